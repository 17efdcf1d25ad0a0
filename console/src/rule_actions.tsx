// The actions editor: an action's form draft, its conversion from and to the
// API's action object with the fields' validation, and the form per sink type.
import { ActionSpec } from "./rule_shared";
import { Admin, Field, messageOf, pretty } from "./ui";

export interface ActionDraft {
  key: number;
  type: string;
  // republish
  topic: string;
  payload: string;
  qos: string;
  retain: boolean;
  // file
  path: string;
  // http
  url: string;
  method: string;
  headers: string; // "Name: value" a line
  // postgres
  conninfo: string;
  table: string;
  columns: string; // a JSON object
  /** The other keys as a JSON object (a plugin's whole configuration). */
  extra: string;
}

/** The keys a type's form fields hold; the rest of its config goes to `extra`. */
const formKeys: Record<string, string[]> = {
  republish: ["topic", "payload", "qos", "retain"],
  file: ["path"],
  http: ["url", "method", "headers"],
  postgres: ["conninfo", "table", "columns"],
};

let nextKey = 1;

export function blankDraft(type = "republish"): ActionDraft {
  return {
    key: nextKey++,
    type,
    topic: "",
    payload: "",
    qos: "0",
    retain: false,
    path: "",
    url: "",
    method: "POST",
    headers: "",
    conninfo: "",
    table: "",
    columns: "",
    extra: "",
  };
}

export function draftOf(spec: ActionSpec): ActionDraft {
  const d = blankDraft(spec.type);
  const known = formKeys[spec.type] ?? [];
  const rest: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(spec)) {
    if (k === "type") continue;
    if (!known.includes(k)) rest[k] = v;
  }
  const s = (v: unknown) => (typeof v === "string" ? v : v === undefined ? "" : String(v));
  d.topic = s(spec.topic);
  d.payload = s(spec.payload);
  d.qos = spec.qos === undefined ? "0" : s(spec.qos);
  d.retain = spec.retain === true;
  d.path = s(spec.path);
  d.url = s(spec.url);
  d.method = spec.method ? s(spec.method) : "POST";
  if (spec.headers && typeof spec.headers === "object")
    d.headers = Object.entries(spec.headers as Record<string, unknown>)
      .map(([k, v]) => `${k}: ${s(v)}`)
      .join("\n");
  d.conninfo = s(spec.conninfo);
  d.table = s(spec.table);
  if (spec.columns !== undefined) d.columns = pretty(spec.columns);
  d.extra = Object.keys(rest).length ? pretty(rest) : "";
  return d;
}

export type FieldErrors = Record<string, string>;

/** The action object for the API, or the fields' errors. */
export function specOf(d: ActionDraft): { spec?: ActionSpec; errors: FieldErrors } {
  const errors: FieldErrors = {};
  const spec: ActionSpec = { type: d.type };
  if (!/^[a-z0-9_-]{1,32}$/.test(d.type)) errors.type = "Choose a type.";
  let extra: Record<string, unknown> = {};
  if (d.type !== "republish" && d.extra.trim()) {
    try {
      const v: unknown = JSON.parse(d.extra);
      if (!v || typeof v !== "object" || Array.isArray(v)) errors.extra = "A JSON object.";
      else extra = v as Record<string, unknown>;
    } catch (e) {
      errors.extra = "Not JSON: " + messageOf(e);
    }
    if ("type" in extra) errors.extra = "“type” is chosen above.";
  }
  if (d.type === "republish") {
    if (!d.topic.trim()) errors.topic = "Required: a topic template such as alerts/${t}.";
    else if (/[+#]/.test(d.topic)) errors.topic = "No wildcards (+, #) in a topic to publish to.";
    spec.topic = d.topic;
    if (d.payload) spec.payload = d.payload;
    spec.qos = Number(d.qos);
    if (d.retain) spec.retain = true;
  } else if (d.type === "file") {
    if (!d.path.trim()) errors.path = "Required: the file to append JSON lines to.";
    spec.path = d.path;
  } else if (d.type === "http") {
    if (!/^https?:\/\/[^/\s]+/i.test(d.url.trim())) errors.url = "An http:// or https:// URL.";
    spec.url = d.url.trim();
    spec.method = d.method;
    const headers: Record<string, string> = {};
    for (const [n, line] of d.headers.split("\n").entries()) {
      if (!line.trim()) continue;
      const colon = line.indexOf(":");
      const name = colon < 0 ? "" : line.slice(0, colon).trim();
      if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) {
        errors.headers = `Line ${n + 1}: “Name: value”.`;
        break;
      }
      headers[name] = line.slice(colon + 1).trim();
    }
    if (Object.keys(headers).length) spec.headers = headers;
  } else if (d.type === "postgres") {
    if (!d.conninfo.trim()) errors.conninfo = "Required: a libpq connection string.";
    if (!/^[A-Za-z_][\w$]*(\.[A-Za-z_][\w$]*)?$/.test(d.table.trim()))
      errors.table = "Required: “table” or “schema.table”.";
    spec.conninfo = d.conninfo;
    spec.table = d.table.trim();
    try {
      const c: unknown = JSON.parse(d.columns || "null");
      if (!c || typeof c !== "object" || Array.isArray(c) || Object.keys(c).length === 0)
        errors.columns = 'A JSON object of column → field: {"temp": "t", "at": "$timestamp"}.';
      else if (Object.values(c).some((v) => typeof v !== "string"))
        errors.columns = "Every column maps to a field name (a string).";
      else spec.columns = c;
    } catch (e) {
      errors.columns = "Not JSON: " + messageOf(e);
    }
  }
  Object.assign(spec, extra);
  return Object.keys(errors).length ? { errors } : { spec, errors };
}

export function ActionEditor(props: {
  title: string;
  draft: ActionDraft;
  types: { name: string; loaded: boolean }[];
  errors: FieldErrors;
  apiError?: string;
  onChange: (d: ActionDraft) => void;
  onRemove: () => void;
}) {
  const d = props.draft;
  const e = props.errors;
  const set = (patch: Partial<ActionDraft>) => props.onChange({ ...d, ...patch });
  const types = props.types.some((t) => t.name === d.type)
    ? props.types
    : [...props.types, { name: d.type, loaded: false }];
  const builtIn = d.type in formKeys;
  return (
    <fieldset class={"action-card card" + (props.apiError ? " has-error" : "")}>
      <legend>{props.title}</legend>
      <div class="action-row">
        <Field label="Type" error={e.type}>
          <select value={d.type} onChange={(ev) => set({ type: ev.currentTarget.value })}>
            {types.map((t) => (
              <option value={t.name}>
                {t.name}
                {t.loaded ? "" : " (not loaded)"}
              </option>
            ))}
          </select>
        </Field>
        {d.type === "republish" && (
          <>
            <Field label="Topic" error={e.topic} hint="${field} reads the rule's output">
              <input
                class="wide"
                value={d.topic}
                placeholder="alerts/${deviceName}"
                onInput={(ev) => set({ topic: ev.currentTarget.value })}
              />
            </Field>
            <Field label="QoS">
              <select value={d.qos} onChange={(ev) => set({ qos: ev.currentTarget.value })}>
                <option value="0">0</option>
                <option value="1">1</option>
              </select>
            </Field>
            <label class="check">
              <input
                type="checkbox"
                checked={d.retain}
                onChange={(ev) => set({ retain: ev.currentTarget.checked })}
              />
              Retain
            </label>
          </>
        )}
        {d.type === "file" && (
          <Field label="Path" error={e.path} hint="JSON lines, appended">
            <input
              class="wide"
              value={d.path}
              placeholder="/var/lib/iotbroker/out.jsonl"
              onInput={(ev) => set({ path: ev.currentTarget.value })}
            />
          </Field>
        )}
        {d.type === "http" && (
          <>
            <Field label="URL" error={e.url}>
              <input
                class="wide"
                type="url"
                value={d.url}
                placeholder="https://example.com/hook"
                onInput={(ev) => set({ url: ev.currentTarget.value })}
              />
            </Field>
            <Field label="Method">
              <select value={d.method} onChange={(ev) => set({ method: ev.currentTarget.value })}>
                <option>POST</option>
                <option>PUT</option>
              </select>
            </Field>
          </>
        )}
        {d.type === "postgres" && (
          <>
            <Field label="Connection (conninfo)" error={e.conninfo}>
              <input
                class="wide"
                value={d.conninfo}
                placeholder="host=127.0.0.1 dbname=iot user=iot sslmode=require"
                onInput={(ev) => set({ conninfo: ev.currentTarget.value })}
              />
            </Field>
            <Field label="Table" error={e.table}>
              <input
                value={d.table}
                placeholder="readings"
                onInput={(ev) => set({ table: ev.currentTarget.value })}
              />
            </Field>
          </>
        )}
        <Admin>
          <button type="button" class="small remove" onClick={props.onRemove}>
            Remove
          </button>
        </Admin>
      </div>
      {d.type === "republish" && (
        <Field label="Payload template (optional)" hint="Empty: the rule's output as JSON">
          <input
            class="wide"
            value={d.payload}
            placeholder='{"temp": ${t}}'
            onInput={(ev) => set({ payload: ev.currentTarget.value })}
          />
        </Field>
      )}
      {d.type === "http" && (
        <Field label="Headers" error={e.headers} hint="One “Name: value” a line">
          <textarea
            rows={2}
            value={d.headers}
            placeholder="Authorization: Bearer …"
            onInput={(ev) => set({ headers: ev.currentTarget.value })}
          />
        </Field>
      )}
      {d.type === "postgres" && (
        <Field
          label="Columns (JSON)"
          error={e.columns}
          hint="column → output field, or $topic, $deviceName, $timestamp, $output …"
        >
          <textarea
            rows={3}
            value={d.columns}
            placeholder='{"temp": "t", "device": "$deviceName"}'
            onInput={(ev) => set({ columns: ev.currentTarget.value })}
          />
        </Field>
      )}
      {d.type !== "republish" && (
        <Field
          label={builtIn ? "More options (JSON, optional)" : "Configuration (JSON)"}
          error={e.extra}
          hint={
            builtIn
              ? d.type === "file"
                ? "e.g. rotateBytes, rotateSeconds, keep, fsync, metadata"
                : d.type === "http"
                  ? "e.g. timeoutMs, batch, body, caFile"
                  : "e.g. connectTimeoutSeconds, statementTimeoutMs"
              : types.find((t) => t.name === d.type)?.loaded
                ? "The plugin's configuration object"
                : "This plugin is not loaded: the broker refuses the rule"
          }
        >
          <textarea
            rows={3}
            value={d.extra}
            placeholder="{}"
            onInput={(ev) => set({ extra: ev.currentTarget.value })}
          />
        </Field>
      )}
      {props.apiError && <p class="error">{props.apiError}</p>}
    </fieldset>
  );
}
