// Rules (SPEC §9, docs/rules.md): the list with enable/disable and delete,
// and the routing to one rule's editor (rule_editor.tsx).
//   #/rules          the list
//   #/rules/new      a new rule
//   #/rules/{id}     one rule
import { useEffect, useState } from "preact/hooks";
import { api } from "./api";
import { RuleEditor } from "./rule_editor";
import { deleteText, num, Rule } from "./rule_shared";
import { Admin, canChange, Confirm, ErrorText, href, Loading, p, useAction, useApi } from "./ui";
import "./rules.css";

export function RulesPage(props: { rest: string[] }) {
  const [first] = props.rest;
  if (!first) return <RuleList />;
  return <RuleEditor id={first === "new" ? null : first} />;
}

// -- the list -------------------------------------------------------------------

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
