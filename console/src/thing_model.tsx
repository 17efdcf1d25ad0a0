// A product's thing model (TSL): the editor with import/export, check &
// save and the check mode, the summary tables, and helpers that read a model.
import { useEffect, useState } from "preact/hooks";
import { api, ApiError } from "./api";
import {
  canChange,
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
import "./products.css";

interface DataType {
  type: string;
  specs?: unknown;
}

interface Param {
  identifier: string;
  name?: string;
  dataType?: DataType;
}

export interface Tsl {
  properties?: (Param & { accessMode?: string; required?: boolean })[];
  events?: (Param & { type?: string; outputData?: Param[] })[];
  services?: (Param & { callType?: string; inputData?: Param[] | string[]; outputData?: Param[] })[];
}

/** Whether a product has a thing model, from its check-mode answer. */
export function hasModel(i: ModelInfo): boolean {
  return i.properties + i.events + i.services > 0 || i.updatedMs > 0;
}

export interface ModelInfo {
  productKey: string;
  properties: number;
  events: number;
  services: number;
  checkMode: string;
  updatedMs: number;
}

/** "float −40..120 °C", for the summary. */
export function typeText(t: DataType | undefined): string {
  if (!t) return "";
  const s = (t.specs ?? {}) as Record<string, unknown>;
  if (["int", "float", "double"].includes(t.type)) {
    const range = s.min !== undefined || s.max !== undefined ? ` ${s.min ?? ""}..${s.max ?? ""}` : "";
    const unit = s.unit ? ` ${String(s.unit)}` : "";
    return t.type + range + unit;
  }
  if (t.type === "enum" || t.type === "bool")
    return `${t.type} {${Object.entries(s)
      .map(([k, v]) => `${k}: ${String(v)}`)
      .join(", ")}}`;
  if (t.type === "text" && s.length) return `text (≤ ${String(s.length)})`;
  if (t.type === "array") {
    const item = s.item as DataType | undefined;
    return `array of ${item?.type ?? "?"}${s.size ? ` (≤ ${String(s.size)})` : ""}`;
  }
  if (t.type === "struct" && Array.isArray(t.specs))
    return `struct {${(t.specs as Param[]).map((f) => f.identifier).join(", ")}}`;
  return t.type;
}

function params(list: Param[] | string[] | undefined): string {
  if (!list || list.length === 0) return "—";
  return list
    .map((x) => (typeof x === "string" ? x : `${x.identifier}: ${typeText(x.dataType)}`))
    .join("; ");
}

function downloadJson(name: string, text: string) {
  const url = URL.createObjectURL(new Blob([text], { type: "application/json" }));
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

export function ThingModel(props: { pk: string }) {
  const { pk } = props;
  const [tick, setTick] = useState(0);
  const [stored, setStored] = useState<Tsl | null>(null);
  const [loadError, setLoadError] = useState("");
  const [loaded, setLoaded] = useState(false);
  const info = useApi<ModelInfo>(p("products", pk, "thing-model", "check-mode"));
  const [text, setText] = useState("");
  const [jsonError, setJsonError] = useState("");
  const [notice, setNotice] = useState("");
  const save = useAction();
  const mode = useAction();

  // Ask for the model only when there is one (a 404 is a console error).
  const known = info.data ? hasModel(info.data) : undefined;
  useEffect(() => {
    if (known === undefined) return;
    let live = true;
    if (!known) {
      setStored(null);
      setLoaded(true);
      return;
    }
    api<Tsl>("GET", p("products", pk, "thing-model"))
      .then((m) => {
        if (!live) return;
        setStored(m);
        setText(pretty(m));
        setLoadError("");
      })
      .catch((e: unknown) => {
        if (!live) return;
        if (e instanceof ApiError && e.status === 404) setStored(null);
        else setLoadError(messageOf(e));
      })
      .finally(() => live && setLoaded(true));
    return () => {
      live = false;
    };
  }, [pk, tick, known]);

  function parsed(): unknown {
    try {
      const v: unknown = JSON.parse(text);
      if (typeof v !== "object" || v === null || Array.isArray(v)) {
        setJsonError("A thing model is a JSON object.");
        return undefined;
      }
      setJsonError("");
      return v;
    } catch (e) {
      setJsonError("Not JSON: " + messageOf(e));
      return undefined;
    }
  }

  async function checkAndSave() {
    setNotice("");
    const v = parsed();
    if (v === undefined) return;
    const r = await save.run(() => api<ModelInfo>("PUT", p("products", pk, "thing-model"), v));
    if (r) {
      setNotice(
        `Saved: ${r.properties} properties, ${r.events} events, ${r.services} services (${r.checkMode} check).`,
      );
      setTick((t) => t + 1);
      info.reload();
    }
  }

  async function importFile(e: Event) {
    const input = e.currentTarget as HTMLInputElement;
    const f = input.files?.[0];
    if (!f) return;
    try {
      const t = await f.text();
      setText(t);
      setJsonError("");
      setNotice(`Loaded ${f.name}: check & save to use it.`);
    } catch (err) {
      setJsonError("Could not read the file: " + messageOf(err));
    }
    input.value = "";
  }

  const cm = info.data?.checkMode ?? "weak";
  return (
    <div class="card">
      <h2>Thing model</h2>
      <ErrorText error={loadError || info.error} />
      <Loading when={!loaded && !info.error} />
      {loaded && !stored && !loadError && <p class="hint">This product has no thing model yet.</p>}
      {stored && <TslSummary tsl={stored} />}
      {info.data && info.data.updatedMs > 0 && (
        <p class="hint">Last changed {fmtTime(info.data.updatedMs)}.</p>
      )}
      <div class="toolbar">
        {canChange() ? (
          <Field label="Check mode" hint="weak: keep the valid values; strict: refuse the whole post">
            <select
              value={cm}
              disabled={mode.busy}
              onChange={async (e) => {
                const v = e.currentTarget.value;
                const r = await mode.run(() =>
                  api<ModelInfo>("PUT", p("products", pk, "thing-model", "check-mode"), {
                    checkMode: v,
                  }),
                );
                if (r) info.reload();
              }}
            >
              <option value="weak">weak</option>
              <option value="strict">strict</option>
            </select>
          </Field>
        ) : (
          <p>
            Check mode: <strong>{cm}</strong>
          </p>
        )}
        <button
          type="button"
          disabled={!stored}
          onClick={() => stored && downloadJson(`${pk}-thing-model.json`, pretty(stored))}
        >
          Export
        </button>
      </div>
      <ErrorText error={mode.error} />
      {canChange() ? (
        <>
          <Field label="TSL JSON" error={jsonError}>
            <textarea
              class="tsl"
              rows={16}
              spellcheck={false}
              value={text}
              onInput={(e) => setText(e.currentTarget.value)}
              aria-invalid={jsonError ? true : undefined}
            />
          </Field>
          <div class="toolbar tsl-actions">
            <Field label="Import from a .json file">
              <input type="file" accept=".json,application/json" onChange={importFile} />
            </Field>
            <button type="button" class="primary" disabled={save.busy} onClick={checkAndSave}>
              {save.busy ? "Checking…" : "Check & save"}
            </button>
          </div>
          <ErrorText error={save.error} />
          {notice && (
            <p class="ok" role="status">
              {notice}
            </p>
          )}
        </>
      ) : (
        stored && (
          <details>
            <summary>TSL JSON</summary>
            <pre class="json">{pretty(stored)}</pre>
          </details>
        )
      )}
    </div>
  );
}

export function TslSummary(props: { tsl: Tsl }) {
  const { properties = [], services = [], events = [] } = props.tsl;
  return (
    <div class="tsl-summary">
      <h3>Properties ({properties.length})</h3>
      {properties.length > 0 && (
        <div class="table-wrap">
          <table class="list" aria-label="Properties">
            <thead>
              <tr>
                <th scope="col">Identifier</th>
                <th scope="col">Name</th>
                <th scope="col">Type</th>
                <th scope="col">Access</th>
              </tr>
            </thead>
            <tbody>
              {properties.map((x) => (
                <tr key={x.identifier}>
                  <td class="mono">{x.identifier}</td>
                  <td>{x.name}</td>
                  <td>{typeText(x.dataType)}</td>
                  <td>{x.accessMode === "r" ? "read" : "read/write"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <h3>Services ({services.length})</h3>
      {services.length > 0 && (
        <div class="table-wrap">
          <table class="list" aria-label="Services">
            <thead>
              <tr>
                <th scope="col">Identifier</th>
                <th scope="col">Name</th>
                <th scope="col">Call</th>
                <th scope="col">Input</th>
                <th scope="col">Output</th>
              </tr>
            </thead>
            <tbody>
              {services.map((x) => (
                <tr key={x.identifier}>
                  <td class="mono">{x.identifier}</td>
                  <td>{x.name}</td>
                  <td>{x.callType ?? "async"}</td>
                  <td>{params(x.inputData)}</td>
                  <td>{params(x.outputData)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <h3>Events ({events.length})</h3>
      {events.length > 0 && (
        <div class="table-wrap">
          <table class="list" aria-label="Events">
            <thead>
              <tr>
                <th scope="col">Identifier</th>
                <th scope="col">Name</th>
                <th scope="col">Type</th>
                <th scope="col">Output</th>
              </tr>
            </thead>
            <tbody>
              {events.map((x) => (
                <tr key={x.identifier}>
                  <td class="mono">{x.identifier}</td>
                  <td>{x.name}</td>
                  <td>{x.type ?? "info"}</td>
                  <td>{params(x.outputData)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
