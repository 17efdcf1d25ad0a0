// One rule's metrics panel: the rule's and its actions' counters, polled
// every 2 s, with a chart of the match, pass and failure rates.
import { useEffect, useRef, useState } from "preact/hooks";
import { api } from "./api";
import { pushPoint, TimeChart } from "./chart";
import { ActionMetrics, num, RuleMetrics } from "./rule_shared";
import { ErrorText, messageOf, p } from "./ui";

const pollMs = 2000;

interface Sample {
  time: number;
  m: RuleMetrics;
}

function dropSum(d: Record<string, number> | undefined): number {
  return Object.values(d ?? {}).reduce((s, v) => s + v, 0);
}

export function RuleMetricsPanel(props: { id: string }) {
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
