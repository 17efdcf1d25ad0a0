// One rule's editor: name, description, SQL with highlighting and the API's
// error marks, the actions and the error action, save and delete; beside it
// the live test (rule_test.tsx) and below it the metrics (rule_metrics.tsx).
import { useEffect, useMemo, useState } from "preact/hooks";
import { api } from "./api";
import {
  ActionDraft,
  ActionEditor,
  blankDraft,
  draftOf,
  FieldErrors,
  specOf,
} from "./rule_actions";
import { RuleMetricsPanel } from "./rule_metrics";
import { deleteText, Rule } from "./rule_shared";
import { TestPanel } from "./rule_test";
import { SqlEditor } from "./sql_editor";
import { parseSqlError, SqlError } from "./sql_highlight";
import {
  Admin,
  canChange,
  Confirm,
  ErrorText,
  Field,
  fmtTime,
  Loading,
  messageOf,
  navigate,
  p,
  useAction,
  useApi,
} from "./ui";

interface Plugin {
  name: string;
  version: string;
  description: string;
}

const maxActions = 10;

/** Which action an API message blames: "actions[1]…" → 1, "errorAction…" → "error". */
function blamedAction(message: string): number | "error" | null {
  const m = /^(?:actions\[(\d+)\]|(errorAction))/.exec(message);
  if (!m) return null;
  return m[2] ? "error" : Number(m[1]);
}

export function RuleEditor(props: { id: string | null }) {
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
