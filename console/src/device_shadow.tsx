// The device page's Shadow tab: the shadow document and a form that
// updates its desired state (with version checks and conflicts).
import { useState } from "preact/hooks";
import { api, ApiError } from "./api";
import {
  Admin,
  ErrorText,
  Field,
  fmtTime,
  Loading,
  messageOf,
  p,
  pretty,
  useAction,
  useApi,
} from "./ui";

interface ShadowDoc {
  state: { desired?: unknown; reported?: unknown };
  metadata?: unknown;
  timestamp?: number;
  version: number;
  control?: string;
}

export function ShadowTab(props: { pk: string; dn: string }) {
  const path = p("products", props.pk, "devices", props.dn, "shadow");
  const doc = useApi<ShadowDoc>(path);
  const [desired, setDesired] = useState<string | null>(null);
  const [version, setVersion] = useState<string | null>(null);
  const [desiredError, setDesiredError] = useState("");
  const [versionError, setVersionError] = useState("");
  const [result, setResult] = useState<ShadowDoc | null>(null);
  const [conflict, setConflict] = useState(false);
  const { busy, error, run } = useAction();

  const d = doc.data;
  const desiredText = desired ?? (d?.state.desired !== undefined ? pretty(d.state.desired) : "{}");
  const versionText = version ?? (d ? String(d.version + 1) : "0");

  async function submit(e: Event) {
    e.preventDefault();
    setResult(null);
    setConflict(false);
    let value: unknown;
    try {
      value = JSON.parse(desiredText);
    } catch (err) {
      setDesiredError("Not JSON: " + messageOf(err));
      return;
    }
    if (value === null) value = "null"; // clears every desired attribute
    else if (typeof value !== "object" || Array.isArray(value)) {
      setDesiredError("The desired state is a JSON object (or null to clear it).");
      return;
    }
    setDesiredError("");
    const v = Number(versionText);
    if (!Number.isInteger(v) || v < -1) {
      setVersionError("A whole number: 0 for no check, −1 to reset.");
      return;
    }
    setVersionError("");
    const r = await run(async () => {
      try {
        return await api<ShadowDoc>("PATCH", path, { state: { desired: value }, version: v });
      } catch (err) {
        if (err instanceof ApiError && err.status === 409) setConflict(true);
        throw err;
      }
    });
    if (r) {
      setResult(r);
      setDesired(null);
      setVersion(null);
      doc.reload();
    }
  }

  return (
    <div class="panel-grid">
      <div class="card">
        <div class="toolbar">
          <h2>Shadow document</h2>
          <button type="button" onClick={doc.reload} disabled={doc.loading}>
            {doc.loading ? "Loading…" : "Reload"}
          </button>
        </div>
        <ErrorText error={doc.error} />
        <Loading when={doc.loading && !d} />
        {d && (
          <>
            <p>
              Version <strong data-shadow-version>{d.version}</strong>
              {d.timestamp ? `, last changed ${fmtTime(d.timestamp * 1000)}` : ""}
            </p>
            <pre class="json" data-shadow>
              {pretty(d)}
            </pre>
          </>
        )}
      </div>
      <Admin>
        <div class="card">
          <h2>Desired state</h2>
          <form onSubmit={submit} noValidate aria-label="Update the desired state">
            <Field
              label="Desired attributes (JSON)"
              error={desiredError}
              hint="Merged into desired; an attribute set to null is deleted; null alone clears them."
            >
              <textarea
                rows={8}
                spellcheck={false}
                value={desiredText}
                onInput={(e) => setDesired(e.currentTarget.value)}
                aria-invalid={desiredError ? true : undefined}
              />
            </Field>
            <Field
              label="Version"
              error={versionError}
              hint={`Must exceed the current version${d ? ` (${d.version})` : ""}; 0: no check; −1: reset to 0.`}
            >
              <input
                type="number"
                value={versionText}
                onInput={(e) => setVersion(e.currentTarget.value)}
              />
            </Field>
            <div>
              <button type="submit" class="primary" disabled={busy}>
                {busy ? "Sending…" : "Update desired"}
              </button>
            </div>
          </form>
          {conflict ? (
            <div class="result warn" role="alert">
              <p>
                <strong>Version conflict.</strong> {error}
              </p>
              <p>The shadow changed meanwhile: reload it, then send again with a higher version.</p>
              <button type="button" onClick={doc.reload}>
                Reload the shadow
              </button>
            </div>
          ) : (
            <ErrorText error={error} />
          )}
          {result && (
            <div class="result" role="status" data-control={result.control}>
              <p>
                Saved as version {result.version}.{" "}
                {result.control === "sent"
                  ? "The device is online: the control message was sent."
                  : "The device is offline: it gets the control message when it reconnects."}
              </p>
            </div>
          )}
        </div>
      </Admin>
    </div>
  );
}
