// The device page's Debug tab (admins only): publish to the device, set
// properties, invoke a service, and RRPC.
import type { ComponentChildren } from "preact";
import { useState } from "preact/hooks";
import { api } from "./api";
import type { Tsl } from "./thing_model";
import { typeText } from "./thing_model";
import { canChange, ErrorText, Field, messageOf, p, pretty, useAction } from "./ui";

/** A JSON object from a field, or the message to show under it. */
/** The submit button of a debug form; says "Sending…" while busy. */
function SendButton(props: { busy: boolean; label: string }) {
  return (
    <div>
      <button type="submit" class="primary" disabled={props.busy}>
        {props.busy ? "Sending…" : props.label}
      </button>
    </div>
  );
}

/** A call's timeout in milliseconds, with its validation message. */
function TimeoutField(props: {
  value: string;
  error: string;
  hint?: string;
  onInput: (v: string) => void;
}) {
  return (
    <Field label="Timeout (ms)" error={props.error} hint={props.hint}>
      <input
        type="number"
        value={props.value}
        onInput={(e) => props.onInput(e.currentTarget.value)}
      />
    </Field>
  );
}

function parseObject(text: string): { value?: Record<string, unknown>; error: string } {
  try {
    const v: unknown = JSON.parse(text.trim() || "{}");
    if (typeof v !== "object" || v === null || Array.isArray(v))
      return { error: "Give a JSON object: {…}." };
    return { value: v as Record<string, unknown>, error: "" };
  } catch (e) {
    return { error: "Not JSON: " + messageOf(e) };
  }
}

function timeoutError(t: string): string {
  const n = Number(t);
  return Number.isInteger(n) && n >= 1 && n <= 8000 ? "" : "1 to 8,000 milliseconds.";
}

function Result(props: { children: ComponentChildren; warn?: boolean }) {
  return (
    <div class={"result" + (props.warn ? " warn" : "")} role="status">
      {props.children}
    </div>
  );
}

export function DebugTab(props: { pk: string; dn: string; model: Tsl | null }) {
  if (!canChange())
    return <p class="hint">Debugging sends to the device: only admins may do it.</p>;
  return (
    <div class="panel-grid">
      <PublishCard {...props} />
      <PropertySetCard {...props} />
      <ServiceCard {...props} />
      <RrpcCard {...props} />
    </div>
  );
}

function PublishCard(props: { pk: string; dn: string }) {
  const [topic, setTopic] = useState(`/${props.pk}/${props.dn}/user/get`);
  const [payload, setPayload] = useState("");
  const [qos, setQos] = useState("0");
  const [topicError, setTopicError] = useState("");
  const [sent, setSent] = useState("");
  const { busy, error, run } = useAction();
  async function submit(e: Event) {
    e.preventDefault();
    setSent("");
    const t = topic.trim();
    const bad = !t ? "Enter a topic." : /[+#]/.test(t) ? "A topic name has no wildcards." : "";
    setTopicError(bad);
    if (bad) return;
    const r = await run(() =>
      api<{ messageId: string }>("POST", "/api/v1/publish", { topic: t, payload, qos: Number(qos) }),
    );
    if (r) setSent(r.messageId);
  }
  return (
    <div class="card">
      <h2>Publish to the device</h2>
      <form onSubmit={submit} noValidate aria-label="Publish to the device">
        <Field label="Topic" error={topicError}>
          <input class="mono" value={topic} onInput={(e) => setTopic(e.currentTarget.value)} />
        </Field>
        <Field label="Payload">
          <textarea rows={4} value={payload} onInput={(e) => setPayload(e.currentTarget.value)} />
        </Field>
        <Field label="QoS">
          <select value={qos} onChange={(e) => setQos(e.currentTarget.value)}>
            <option value="0">0 (at most once)</option>
            <option value="1">1 (at least once)</option>
          </select>
        </Field>
        <SendButton busy={busy} label="Publish" />
      </form>
      <ErrorText error={error} />
      {sent && (
        <Result>
          <p>
            Published: message <span class="mono">{sent}</span>.
          </p>
        </Result>
      )}
    </div>
  );
}

interface CallResult {
  result: string;
  messageId: string;
  code?: number;
  data?: unknown;
  message?: string;
  payloadBase64?: string;
}

function CallOutcome(props: { r: CallResult }) {
  const r = props.r;
  return (
    <Result warn={r.result !== "SUCCESS" && r.result !== "SENT"}>
      <p>
        Result: <strong data-result>{r.result}</strong> (message{" "}
        <span class="mono">{r.messageId}</span>)
      </p>
      {r.code !== undefined && <p>Code: {r.code}</p>}
      {r.message && <p>Message: {r.message}</p>}
      {r.data !== undefined && <pre class="json">{pretty(r.data)}</pre>}
    </Result>
  );
}

function PropertySetCard(props: { pk: string; dn: string; model: Tsl | null }) {
  const writable = (props.model?.properties ?? []).filter((x) => x.accessMode !== "r");
  const [params, setParams] = useState("{}");
  const [timeout, setTimeoutMs] = useState("8000");
  const [paramsError, setParamsError] = useState("");
  const [timeoutErr, setTimeoutErr] = useState("");
  const [result, setResult] = useState<CallResult | null>(null);
  const { busy, error, run } = useAction();
  async function submit(e: Event) {
    e.preventDefault();
    setResult(null);
    const parsed = parseObject(params);
    setParamsError(parsed.error);
    const te = timeoutError(timeout);
    setTimeoutErr(te);
    if (parsed.error || te) return;
    const r = await run(() =>
      api<CallResult>("POST", p("products", props.pk, "devices", props.dn, "properties", "set"), {
        params: parsed.value,
        timeoutMs: Number(timeout),
      }),
    );
    if (r) setResult(r);
  }
  return (
    <div class="card">
      <h2>Set properties</h2>
      <form onSubmit={submit} noValidate aria-label="Set properties">
        <Field
          label="Params (JSON)"
          error={paramsError}
          hint={
            writable.length
              ? "Writable: " + writable.map((x) => x.identifier).join(", ")
              : 'e.g. {"PowerSwitch":1}'
          }
        >
          <textarea rows={4} value={params} onInput={(e) => setParams(e.currentTarget.value)} />
        </Field>
        <TimeoutField value={timeout} error={timeoutErr} onInput={setTimeoutMs} />
        <SendButton busy={busy} label="Set" />
      </form>
      <ErrorText error={error} />
      {result && <CallOutcome r={result} />}
    </div>
  );
}

function ServiceCard(props: { pk: string; dn: string; model: Tsl | null }) {
  const services = (props.model?.services ?? []).filter(
    (x) => x.identifier !== "set" && x.identifier !== "get",
  );
  const [chosen, setChosen] = useState("");
  const [typed, setTyped] = useState("");
  const [params, setParams] = useState("{}");
  const [timeout, setTimeoutMs] = useState("8000");
  const [idError, setIdError] = useState("");
  const [paramsError, setParamsError] = useState("");
  const [timeoutErr, setTimeoutErr] = useState("");
  const [result, setResult] = useState<CallResult | null>(null);
  const { busy, error, run } = useAction();
  const id = services.length ? chosen || services[0].identifier : typed.trim();
  const svc = services.find((x) => x.identifier === id);

  async function submit(e: Event) {
    e.preventDefault();
    setResult(null);
    const ie = /^[A-Za-z_][A-Za-z0-9_]{0,49}$/.test(id) ? "" : "Enter a service identifier.";
    setIdError(ie);
    const parsed = parseObject(params);
    setParamsError(parsed.error);
    const te = timeoutError(timeout);
    setTimeoutErr(te);
    if (ie || parsed.error || te) return;
    const r = await run(() =>
      api<CallResult>("POST", p("products", props.pk, "devices", props.dn, "services", id), {
        params: parsed.value,
        timeoutMs: Number(timeout),
      }),
    );
    if (r) setResult(r);
  }

  return (
    <div class="card">
      <h2>Invoke a service</h2>
      <form onSubmit={submit} noValidate aria-label="Invoke a service">
        {services.length ? (
          <Field label="Service" hint={svc ? `${svc.callType ?? "async"} call` : undefined}>
            <select value={id} onChange={(e) => setChosen(e.currentTarget.value)}>
              {services.map((x) => (
                <option value={x.identifier}>
                  {x.identifier}
                  {x.name && x.name !== x.identifier ? ` (${x.name})` : ""}
                </option>
              ))}
            </select>
          </Field>
        ) : (
          <Field label="Service identifier" error={idError} hint="The product has no thing model.">
            <input value={typed} onInput={(e) => setTyped(e.currentTarget.value)} />
          </Field>
        )}
        <Field
          label="Input params (JSON)"
          error={paramsError}
          hint={
            svc?.inputData && svc.inputData.length
              ? "Input: " +
                svc.inputData
                  .map((x) => (typeof x === "string" ? x : `${x.identifier} (${typeText(x.dataType)})`))
                  .join(", ")
              : undefined
          }
        >
          <textarea rows={4} value={params} onInput={(e) => setParams(e.currentTarget.value)} />
        </Field>
        <TimeoutField value={timeout} error={timeoutErr} onInput={setTimeoutMs} hint="for a sync service" />
        <SendButton busy={busy} label="Invoke" />
      </form>
      <ErrorText error={error} />
      {result && <CallOutcome r={result} />}
    </div>
  );
}

/** Base64 → text (or hex when it is not UTF-8). */
export function decodePayload(b64: string): { text: string; binary: boolean } {
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  try {
    return { text: new TextDecoder("utf-8", { fatal: true }).decode(bytes), binary: false };
  } catch {
    return { text: [...bytes].map((b) => b.toString(16).padStart(2, "0")).join(" "), binary: true };
  }
}

function RrpcCard(props: { pk: string; dn: string }) {
  const [payload, setPayload] = useState("");
  const [timeout, setTimeoutMs] = useState("5000");
  const [timeoutErr, setTimeoutErr] = useState("");
  const [result, setResult] = useState<CallResult | null>(null);
  const { busy, error, run } = useAction();
  async function submit(e: Event) {
    e.preventDefault();
    setResult(null);
    const te = timeoutError(timeout);
    setTimeoutErr(te);
    if (te) return;
    const r = await run(() =>
      api<CallResult>("POST", p("products", props.pk, "devices", props.dn, "rrpc"), {
        payload,
        timeoutMs: Number(timeout),
      }),
    );
    if (r) setResult(r);
  }
  const decoded = result?.payloadBase64 ? decodePayload(result.payloadBase64) : null;
  return (
    <div class="card">
      <h2>RRPC</h2>
      <form onSubmit={submit} noValidate aria-label="RRPC">
        <Field label="Request payload">
          <textarea rows={4} value={payload} onInput={(e) => setPayload(e.currentTarget.value)} />
        </Field>
        <TimeoutField value={timeout} error={timeoutErr} onInput={setTimeoutMs} />
        <SendButton busy={busy} label="Call" />
      </form>
      <ErrorText error={error} />
      {result && (
        <Result warn={result.result !== "SUCCESS"}>
          <p>
            Result: <strong data-result>{result.result}</strong> (message{" "}
            <span class="mono">{result.messageId}</span>)
          </p>
          {result.message && <p>{result.message}</p>}
          {decoded && (
            <>
              <p>Response{decoded.binary ? " (binary, hex)" : ""}:</p>
              <pre class="json">{decoded.text}</pre>
            </>
          )}
        </Result>
      )}
    </div>
  );
}
