// Rules (SPEC §9, docs/rules.md): the list with enable/disable and delete,
// and one rule's editor — SQL with highlighting and error marks, actions
// and the error action, a live test on a sample message (no side effects),
// and the rule's and its actions' counters, polled every 2 s with a chart.
//   #/rules          the list
//   #/rules/new      a new rule
//   #/rules/{id}     one rule
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { api } from "./api";
import { pushPoint, TimeChart } from "./chart";
import { SqlEditor } from "./sql_editor";
import { fromTopic, parseSqlError, SqlError } from "./sql_highlight";
import {
  Admin,
  canChange,
  Confirm,
  ErrorText,
  Field,
  fmtTime,
  href,
  Loading,
  messageOf,
  navigate,
  p,
  pretty,
  useAction,
  useApi,
} from "./ui";
import "./rules.css";

// -- API shapes ---------------------------------------------------------------

type ActionSpec = { type: string } & Record<string, unknown>;

interface ActionMetrics {
  index?: number;
  type: string;
  state: string;
  error?: string;
  matched?: number;
  success?: number;
  failed?: number;
  retried?: number;
  dropped?: Record<string, number>;
  inflight?: number;
  queuing?: number;
  queuedBytes?: number;
}

interface RuleMetrics {
  state: string;
  error?: string;
  matched?: number;
  passed?: number;
  failed?: number;
  exception?: number;
  noResult?: number;
  errorRecords?: number;
  dropped?: { overloaded?: number };
  backlog?: number;
  actions?: ActionMetrics[];
  errorAction?: ActionMetrics;
}

interface Rule {
  id: string;
  name: string;
  description: string;
  sql: string;
  enabled: boolean;
  actions: ActionSpec[];
  errorAction?: ActionSpec;
  createdMs: number;
  updatedMs: number;
  metrics?: RuleMetrics;
}

interface Plugin {
  name: string;
  version: string;
  description: string;
}

interface TestResult {
  matched: boolean;
  fromMatched: boolean;
  result: "passed" | "no_result" | "exception";
  output?: unknown;
  error?: string;
}

const maxActions = 10;

export function RulesPage(props: { rest: string[] }) {
  const [first] = props.rest;
  if (!first) return <RuleList />;
  return <RuleEditor id={first === "new" ? null : first} />;
}

// -- the list -------------------------------------------------------------------

function num(v: number | undefined): string {
  return (v ?? 0).toLocaleString();
}

function deleteText(name: string, id: string): string {
  return `Delete the rule “${name}” (${id})? Its actions stop at once.`;
}

function StateBadge(props: { rule: Rule }) {
  const state = props.rule.metrics?.state ?? (props.rule.enabled ? "starting" : "disabled");
  const cls = state === "running" ? "online" : state === "disabled" ? "disabled" : "";
  return (
    <span class={"badge " + cls} title={props.rule.metrics?.error}>
      {state}
    </span>
  );
}

function RuleList() {
  const rules = useApi<{ items: Rule[]; total: number }>("/api/v1/rules");
  const toggle = useAction();
  const [busyId, setBusyId] = useState("");
  const [deleting, setDeleting] = useState<Rule | null>(null);
  const reload = rules.reload;

  // The counters move: refresh every 5 s while the list is open.
  useEffect(() => {
    const t = window.setInterval(reload, 5000);
    return () => window.clearInterval(t);
  }, [reload]);

  const setEnabled = async (r: Rule, enabled: boolean) => {
    setBusyId(r.id);
    await toggle.run(() => api("PATCH", p("rules", r.id), { enabled }));
    setBusyId("");
    reload();
  };

  const items = rules.data?.items ?? [];
  return (
    <section aria-labelledby="rules-title" class="rules-page">
      <h1 id="rules-title">Rules</h1>
      <div class="toolbar">
        <Admin>
          <a class="button primary" href={href(["rules", "new"])}>
            New rule
          </a>
        </Admin>
        <button type="button" onClick={reload}>
          Refresh
        </button>
      </div>
      <ErrorText error={rules.error || toggle.error} />
      <Loading when={rules.loading && !rules.data} />
      {rules.data && items.length === 0 && (
        <p class="hint">No rules yet{canChange() ? ": make one with “New rule”." : "."}</p>
      )}
      {items.length > 0 && (
        <div class="table-wrap">
          <table class="list rules-list">
            <thead>
              <tr>
                <th>Name</th>
                <th>SQL</th>
                <th>Actions</th>
                <th>State</th>
                <th class="num">Matched</th>
                <th class="num">Passed</th>
                <th class="num">Failed</th>
                <th>Enabled</th>
                <Admin>
                  <th>
                    <span class="sr-only">Delete</span>
                  </th>
                </Admin>
              </tr>
            </thead>
            <tbody>
              {items.map((r) => (
                <tr key={r.id} data-rule={r.name}>
                  <td>
                    <a href={href(["rules", r.id])}>{r.name}</a>
                    <div class="hint mono">{r.id}</div>
                  </td>
                  <td>
                    <code class="rule-sql" title={r.sql}>
                      {r.sql}
                    </code>
                  </td>
                  <td>
                    {r.actions.map((a) => (
                      <span class="badge action-badge">{a.type}</span>
                    ))}
                    {r.errorAction && (
                      <span class="badge action-badge error-action" title="error action">
                        on error: {r.errorAction.type}
                      </span>
                    )}
                  </td>
                  <td>
                    <StateBadge rule={r} />
                  </td>
                  <td class="num" data-metric="matched">
                    {num(r.metrics?.matched)}
                  </td>
                  <td class="num" data-metric="passed">
                    {num(r.metrics?.passed)}
                  </td>
                  <td class="num" data-metric="failed">
                    {num(r.metrics?.failed)}
                  </td>
                  <td>
                    {canChange() ? (
                      <label class="switch">
                        <input
                          type="checkbox"
                          role="switch"
                          checked={r.enabled}
                          disabled={busyId === r.id}
                          aria-label={`Enabled: ${r.name}`}
                          onChange={(e) => setEnabled(r, e.currentTarget.checked)}
                        />
                        <span>{r.enabled ? "on" : "off"}</span>
                      </label>
                    ) : r.enabled ? (
                      "yes"
                    ) : (
                      "no"
                    )}
                  </td>
                  <Admin>
                    <td>
                      <button
                        type="button"
                        class="small"
                        aria-label={`Delete ${r.name}`}
                        onClick={() => setDeleting(r)}
                      >
                        Delete
                      </button>
                    </td>
                  </Admin>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {deleting && (
        <Confirm
          title="Delete rule"
          text={deleteText(deleting.name, deleting.id)}
          action="Delete"
          onConfirm={async () => {
            await api("DELETE", p("rules", deleting.id));
            reload();
          }}
          onClose={() => setDeleting(null)}
        />
      )}
    </section>
  );
}

// -- actions: the form's drafts ------------------------------------------------------

interface ActionDraft {
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

function blankDraft(type = "republish"): ActionDraft {
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

function draftOf(spec: ActionSpec): ActionDraft {
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

type FieldErrors = Record<string, string>;

/** The action object for the API, or the fields' errors. */
function specOf(d: ActionDraft): { spec?: ActionSpec; errors: FieldErrors } {
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

function ActionEditor(props: {
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

// -- one rule ---------------------------------------------------------------------

/** Which action an API message blames: "actions[1]…" → 1, "errorAction…" → "error". */
function blamedAction(message: string): number | "error" | null {
  const m = /^(?:actions\[(\d+)\]|(errorAction))/.exec(message);
  if (!m) return null;
  return m[2] ? "error" : Number(m[1]);
}

function RuleEditor(props: { id: string | null }) {
  const isNew = props.id === null;
  const loaded = useApi<Rule>(isNew ? null : p("rules", props.id!));
  const plugins = useApi<{ items: Plugin[] }>("/api/v1/plugins");
  const save = useAction();
  const editable = canChange();

  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const [sql, setSql] = useState('SELECT *\nFROM "sensors/#"\nWHERE temperature > 20');
  const [enabled, setEnabled] = useState(true);
  const [actions, setActions] = useState<ActionDraft[]>(() => (isNew ? [blankDraft()] : []));
  const [errorAction, setErrorAction] = useState<ActionDraft | null>(null);
  const [ready, setReady] = useState(isNew);
  const [tried, setTried] = useState(false);
  const [sqlMark, setSqlMark] = useState<SqlError | null>(null);
  const [saved, setSaved] = useState("");
  const [confirmDelete, setConfirmDelete] = useState(false);

  // The stored rule into the form, once.
  useEffect(() => {
    const r = loaded.data;
    if (!r || ready) return;
    setName(r.name);
    setDescription(r.description ?? "");
    setSql(r.sql);
    setEnabled(r.enabled);
    setActions(r.actions.map(draftOf));
    setErrorAction(r.errorAction ? draftOf(r.errorAction) : null);
    setReady(true);
  }, [loaded.data]);

  const types = useMemo(() => {
    const names = (plugins.data?.items ?? []).map((x) => ({ name: x.name, loaded: true }));
    return [{ name: "republish", loaded: true }, ...names];
  }, [plugins.data]);

  const checked = useMemo(() => {
    const a = actions.map(specOf);
    const e = errorAction ? specOf(errorAction) : null;
    const form: FieldErrors = {};
    if (!name.trim()) form.name = "Required.";
    else if (name.length > 64) form.name = "At most 64 characters.";
    if (!sql.trim()) form.sql = "Required.";
    if (description.length > 256) form.description = "At most 256 characters.";
    if (actions.length > maxActions) form.actions = `At most ${maxActions} actions.`;
    const ok =
      Object.keys(form).length === 0 && a.every((x) => x.spec) && (!e || e.spec !== undefined);
    return { a, e, form, ok };
  }, [name, description, sql, actions, errorAction]);

  const blamed = save.error ? blamedAction(save.error) : null;
  const checkFirst = "Check the marked fields.";
  useEffect(() => {
    if (checked.ok && save.error === checkFirst) save.setError("");
  }, [checked.ok]);

  const markFrom = (e: unknown) => {
    const m = parseSqlError(messageOf(e));
    if (m && messageOf(e).startsWith("sql:")) setSqlMark(m);
  };

  const onSave = async (ev: Event) => {
    ev.preventDefault();
    setTried(true);
    setSaved("");
    if (!checked.ok) {
      save.setError(checkFirst);
      return;
    }
    const body: Record<string, unknown> = {
      name: name.trim(),
      description,
      sql,
      enabled,
      actions: checked.a.map((x) => x.spec),
    };
    if (checked.e) body.errorAction = checked.e.spec;
    else if (!isNew) body.errorAction = null;
    const r = await save.run(async () => {
      try {
        if (isNew) return await api<Rule>("POST", "/api/v1/rules", body);
        return await api<Rule>("PATCH", p("rules", props.id!), body);
      } catch (e) {
        markFrom(e);
        throw e;
      }
    });
    if (!r) return;
    setSqlMark(null);
    if (isNew) navigate(["rules", r.id]);
    else setSaved(`Saved at ${fmtTime(r.updatedMs)}.`);
  };

  if (!isNew && loaded.error && !loaded.data)
    return (
      <section class="rules-page">
        <p>
          <a href="#/rules">← Rules</a>
        </p>
        <ErrorText error={loaded.error} />
      </section>
    );

  return (
    <section aria-labelledby="rule-title" class="rules-page">
      <p class="crumbs">
        <a href="#/rules">← Rules</a>
      </p>
      <h1 id="rule-title">
        {isNew ? "New rule" : loaded.data ? `Rule ${loaded.data.name}` : "Rule"}
      </h1>
      <Loading when={!ready} />
      {ready && (
        <div class="rule-layout">
          <form class="rule-form" onSubmit={onSave} noValidate>
            <fieldset class="plain" disabled={!editable}>
              <div class="rule-head">
                <Field label="Name" error={tried ? checked.form.name : undefined}>
                  <input
                    value={name}
                    maxLength={64}
                    onInput={(e) => setName(e.currentTarget.value)}
                  />
                </Field>
                <Field label="Description" error={tried ? checked.form.description : undefined}>
                  <input
                    class="wide"
                    value={description}
                    onInput={(e) => setDescription(e.currentTarget.value)}
                  />
                </Field>
                <label class="check">
                  <input
                    type="checkbox"
                    checked={enabled}
                    onChange={(e) => setEnabled(e.currentTarget.checked)}
                  />
                  Enabled
                </label>
              </div>
              <div class="field">
                <label for="rule-sql">SQL</label>
                <SqlEditor
                  id="rule-sql"
                  value={sql}
                  error={sqlMark}
                  readOnly={!editable}
                  onInput={(s) => {
                    setSql(s);
                    setSqlMark(null);
                  }}
                />
                {sqlMark && (
                  <p
                    class="error sql-error-text"
                    role="alert"
                    data-line={sqlMark.line}
                    data-column={sqlMark.column}
                  >
                    Line {sqlMark.line}, column {sqlMark.column}: {sqlMark.message}
                  </p>
                )}
                {tried && checked.form.sql && <small class="error">{checked.form.sql}</small>}
                <small class="hint">
                  SELECT … FROM "topic/filter" WHERE …; strings in 'single quotes'. Functions:
                  docs/rules-functions.md.
                </small>
              </div>

              <h2>Actions</h2>
              {actions.length === 0 && <p class="hint">No actions: the rule only counts.</p>}
              {actions.map((d, i) => (
                <ActionEditor
                  key={d.key}
                  title={`Action ${i + 1}`}
                  draft={d}
                  types={types}
                  errors={tried ? checked.a[i].errors : {}}
                  apiError={blamed === i ? save.error : undefined}
                  onChange={(n) => setActions(actions.map((x) => (x.key === d.key ? n : x)))}
                  onRemove={() => setActions(actions.filter((x) => x.key !== d.key))}
                />
              ))}
              {tried && checked.form.actions && <p class="error">{checked.form.actions}</p>}
              <Admin>
                <div class="toolbar">
                  <button
                    type="button"
                    disabled={actions.length >= maxActions}
                    onClick={() => setActions([...actions, blankDraft()])}
                  >
                    Add action
                  </button>
                  {!errorAction && (
                    <button type="button" onClick={() => setErrorAction(blankDraft())}>
                      Add error action
                    </button>
                  )}
                </div>
              </Admin>
              {errorAction && (
                <ActionEditor
                  title="Error action (gets a record of each failed delivery)"
                  draft={errorAction}
                  types={types}
                  errors={tried && checked.e ? checked.e.errors : {}}
                  apiError={blamed === "error" ? save.error : undefined}
                  onChange={setErrorAction}
                  onRemove={() => setErrorAction(null)}
                />
              )}
            </fieldset>
            <ErrorText error={save.error} />
            {saved && (
              <p class="ok" role="status">
                {saved}
              </p>
            )}
            <Admin>
              <div class="buttons">
                {!isNew && (
                  <button type="button" class="danger" onClick={() => setConfirmDelete(true)}>
                    Delete rule
                  </button>
                )}
                <button type="submit" disabled={save.busy}>
                  {save.busy ? "Saving…" : isNew ? "Create rule" : "Save"}
                </button>
              </div>
            </Admin>
          </form>
          <TestPanel sql={sql} onSqlError={setSqlMark} />
        </div>
      )}
      {!isNew && ready && <RuleMetricsPanel id={props.id!} />}
      {confirmDelete && (
        <Confirm
          title="Delete rule"
          text={deleteText(name, props.id!)}
          action="Delete"
          onConfirm={async () => {
            await api("DELETE", p("rules", props.id!));
            navigate(["rules"]);
          }}
          onClose={() => setConfirmDelete(false)}
        />
      )}
    </section>
  );
}

// -- the live test ------------------------------------------------------------------

/** A topic the FROM filter matches: each + and # replaced by a level. */
function sampleTopic(sql: string): string {
  const f = fromTopic(sql);
  if (!f) return "";
  return f
    .split("/")
    .map((l) => (l === "+" || l === "#" ? "test" : l))
    .join("/");
}

function TestPanel(props: { sql: string; onSqlError: (e: SqlError | null) => void }) {
  const [topic, setTopic] = useState("");
  const [payload, setPayload] = useState('{\n  "temperature": 25.5,\n  "humidity": 61\n}');
  const [clientId, setClientId] = useState("");
  const [result, setResult] = useState<TestResult | null>(null);
  const test = useAction();
  const suggested = sampleTopic(props.sql);

  let payloadNote = "";
  try {
    JSON.parse(payload);
  } catch (e) {
    payloadNote = "Not JSON: sent as text (fields read as missing). " + messageOf(e);
  }

  const run = async (ev: Event) => {
    ev.preventDefault();
    setResult(null);
    const t = topic.trim() || suggested;
    if (!topic.trim() && t) setTopic(t);
    const body: Record<string, unknown> = { sql: props.sql, topic: t, payload };
    if (clientId.trim()) body.clientId = clientId.trim();
    const r = await test.run(async () => {
      if (!t) throw new Error("Give a topic to test with.");
      try {
        return await api<TestResult>("POST", "/api/v1/rules/test", body);
      } catch (e) {
        const m = parseSqlError(messageOf(e));
        if (m && messageOf(e).startsWith("sql:")) props.onSqlError(m);
        throw e;
      }
    });
    if (r) {
      props.onSqlError(null);
      setResult(r);
    }
  };

  return (
    <form class="card test-panel" onSubmit={run} aria-labelledby="test-title">
      <h2 id="test-title">Test</h2>
      <p class="hint">Runs the SQL above on a sample message; no action runs.</p>
      <Field label="Topic">
        <input
          value={topic}
          placeholder={suggested}
          onInput={(e) => setTopic(e.currentTarget.value)}
        />
      </Field>
      <Field label="Payload" hint={payloadNote || "JSON"}>
        <textarea rows={6} value={payload} onInput={(e) => setPayload(e.currentTarget.value)} />
      </Field>
      <Field label="Client ID (optional)">
        <input value={clientId} onInput={(e) => setClientId(e.currentTarget.value)} />
      </Field>
      <div class="buttons">
        <button type="submit" disabled={test.busy}>
          {test.busy ? "Testing…" : "Run test"}
        </button>
      </div>
      <ErrorText error={test.error} />
      {result && (
        <div class="test-result" role="status" aria-label="Test result">
          <p>
            <span
              class={"badge " + (result.matched ? "online" : "disabled")}
              data-matched={String(result.matched)}
            >
              {result.matched ? "matched" : "not matched"}
            </span>{" "}
            {!result.fromMatched
              ? "The topic does not match the FROM filter."
              : result.result === "no_result"
                ? "WHERE filtered the message out."
                : result.result === "exception"
                  ? "The evaluation failed."
                  : "The actions would get:"}
          </p>
          {result.error && <p class="error">{result.error}</p>}
          {result.output !== undefined && <pre class="test-output">{pretty(result.output)}</pre>}
        </div>
      )}
    </form>
  );
}

// -- metrics ------------------------------------------------------------------------

const pollMs = 2000;

interface Sample {
  time: number;
  m: RuleMetrics;
}

function dropSum(d: Record<string, number> | undefined): number {
  return Object.values(d ?? {}).reduce((s, v) => s + v, 0);
}

function RuleMetricsPanel(props: { id: string }) {
  const [sample, setSample] = useState<Sample | null>(null);
  const [error, setError] = useState("");
  const [chart, setChart] = useState<number[][]>([]);
  const prev = useRef<Sample | null>(null);

  useEffect(() => {
    let live = true;
    let timer: number | undefined;
    const poll = async () => {
      try {
        const m = await api<RuleMetrics>("GET", p("rules", props.id, "metrics"));
        if (!live) return;
        const s = { time: Date.now(), m };
        const last = prev.current;
        if (last) {
          const dt = (s.time - last.time) / 1000;
          const r = (k: "matched" | "passed" | "failed") =>
            dt > 0 ? Math.max(0, ((m[k] ?? 0) - (last.m[k] ?? 0)) / dt) : 0;
          const rates = [r("matched"), r("passed"), r("failed")];
          setChart((c) => pushPoint(c, s.time / 1000, rates, 150));
        }
        prev.current = s;
        setSample(s);
        setError("");
      } catch (e) {
        if (live) setError(messageOf(e));
      }
      if (live) timer = window.setTimeout(poll, pollMs);
    };
    void poll();
    return () => {
      live = false;
      window.clearTimeout(timer);
    };
  }, [props.id]);

  const m = sample?.m;
  const actions = [...(m?.actions ?? [])];
  const rows: { label: string; a: ActionMetrics }[] = actions.map((a, i) => ({
    label: String((a.index ?? i) + 1),
    a,
  }));
  if (m?.errorAction) rows.push({ label: "error", a: m.errorAction });
  return (
    <section class="rule-metrics" aria-labelledby="metrics-title">
      <h2 id="metrics-title">Metrics</h2>
      <ErrorText error={error} />
      {m && (
        <>
          <p class="hint">
            State <span class="badge" data-metric="state">{m.state}</span>
            {m.error && <span class="error"> {m.error}</span>} · refreshed every 2 s
          </p>
          <div class="table-wrap">
            <table class="list metrics-table" aria-label="Rule counters">
              <thead>
                <tr>
                  <th class="num">Matched</th>
                  <th class="num">Passed</th>
                  <th class="num">Failed</th>
                  <th class="num">Exception</th>
                  <th class="num">No result</th>
                  <th class="num">Dropped (overloaded)</th>
                  <th class="num">Backlog</th>
                  <th class="num">Error records</th>
                </tr>
              </thead>
              <tbody>
                <tr>
                  <td class="num" data-metric="matched">{num(m.matched)}</td>
                  <td class="num" data-metric="passed">{num(m.passed)}</td>
                  <td class="num" data-metric="failed">{num(m.failed)}</td>
                  <td class="num" data-metric="exception">{num(m.exception)}</td>
                  <td class="num" data-metric="noResult">{num(m.noResult)}</td>
                  <td class="num" data-metric="overloaded">{num(m.dropped?.overloaded)}</td>
                  <td class="num" data-metric="backlog">{num(m.backlog)}</td>
                  <td class="num" data-metric="errorRecords">{num(m.errorRecords)}</td>
                </tr>
              </tbody>
            </table>
          </div>
          {rows.length > 0 && (
            <div class="table-wrap">
              <table class="list metrics-table" aria-label="Action counters">
                <thead>
                  <tr>
                    <th>Action</th>
                    <th>Type</th>
                    <th>State</th>
                    <th class="num">Matched</th>
                    <th class="num">Success</th>
                    <th class="num">Failed</th>
                    <th class="num">Retried</th>
                    <th class="num">Dropped</th>
                    <th class="num">In flight</th>
                    <th class="num">Queuing</th>
                  </tr>
                </thead>
                <tbody>
                  {rows.map(({ label, a }) => (
                    <tr data-action={label}>
                      <td>{label}</td>
                      <td>{a.type}</td>
                      <td>
                        <span
                          class={"badge " + (a.state === "ok" ? "online" : "disabled")}
                          title={a.error}
                        >
                          {a.state}
                        </span>
                        {a.error && <div class="error small-text">{a.error}</div>}
                      </td>
                      <td class="num" data-metric="matched">
                        {a.matched === undefined ? "—" : num(a.matched)}
                      </td>
                      <td class="num" data-metric="success">{num(a.success)}</td>
                      <td class="num" data-metric="failed">{num(a.failed)}</td>
                      <td class="num" data-metric="retried">
                        {a.retried === undefined ? "—" : num(a.retried)}
                      </td>
                      <td
                        class="num"
                        data-metric="dropped"
                        title={Object.entries(a.dropped ?? {})
                          .map(([k, v]) => `${k}: ${v}`)
                          .join(", ")}
                      >
                        {a.dropped ? num(dropSum(a.dropped)) : "—"}
                      </td>
                      <td class="num">{a.inflight === undefined ? "—" : num(a.inflight)}</td>
                      <td class="num">{a.queuing === undefined ? "—" : num(a.queuing)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </>
      )}
      <TimeChart
        label="Rule matches, passes and failures per second"
        series={[
          { label: "matched/s", stroke: "#2563eb" },
          { label: "passed/s", stroke: "#16a34a" },
          { label: "failed/s", stroke: "#dc2626" },
        ]}
        data={chart}
        windowSeconds={300}
        height={200}
      />
    </section>
  );
}
