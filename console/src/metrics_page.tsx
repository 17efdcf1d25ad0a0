// Metrics: live charts of the /metrics families (one frame a second over
// the WebSocket, the last ten minutes kept) and every current sample in a
// filterable table — the same figures a Prometheus scrape gets.
import { useEffect, useMemo, useState } from "preact/hooks";
import { palette, pushPoint, TimeChart } from "./chart";
import { MetricsFrame, rate, subscribeMetrics, total } from "./metrics";
import { Field } from "./ui";

const keepSeconds = 600;

/** One chart: its series, each computed from two consecutive frames. */
interface ChartSpec {
  title: string;
  unit: string;
  series: { label: string; value: (prev: MetricsFrame, cur: MetricsFrame) => number }[];
}

const counter = (label: string, name: string) => ({
  label,
  value: (p: MetricsFrame, c: MetricsFrame) => rate(p, c, name),
});
const gauge = (label: string, name: string) => ({
  label,
  value: (_p: MetricsFrame, c: MetricsFrame) => total(c, name),
});
const dropped = (reason: string) =>
  counter(reason, `iotbroker_messages_dropped_total{reason="${reason}"}`);

const charts: ChartSpec[] = [
  {
    title: "Messages",
    unit: "per second",
    series: [
      counter("received", "iotbroker_messages_received_total"),
      counter("sent", "iotbroker_messages_sent_total"),
      counter("delivered", "iotbroker_messages_delivered_total"),
    ],
  },
  {
    title: "Messages dropped",
    unit: "per second, by reason",
    series: ["queue_full", "slow_consumer", "expired", "store_full", "throttled", "too_large"].map(
      dropped,
    ),
  },
  {
    title: "Connections",
    unit: "open, by listener",
    series: ["mqtt", "mqtts", "ws", "wss"].map((l) =>
      gauge(l, `iotbroker_connections{listener="${l}"}`),
    ),
  },
  {
    title: "Bytes",
    unit: "per second",
    series: [
      counter("received", "iotbroker_bytes_received_total"),
      counter("sent", "iotbroker_bytes_sent_total"),
    ],
  },
  {
    title: "Store",
    unit: "group commits per second; mean commit ms",
    series: [
      counter("commits/s", "iotbroker_store_commits_total"),
      {
        label: "mean ms",
        value: (p, c) => {
          const n = rate(p, c, "iotbroker_store_commit_seconds_count");
          return n > 0 ? (1000 * rate(p, c, "iotbroker_store_commit_seconds_sum")) / n : 0;
        },
      },
    ],
  },
  {
    title: "Session store size",
    unit: "MiB in use; the most it may grow to",
    series: [
      { label: "used", value: (_p, c) => total(c, "iotbroker_store_used_bytes") / 1048576 },
      { label: "max", value: (_p, c) => total(c, "iotbroker_store_max_bytes") / 1048576 },
    ],
  },
  {
    title: "Rules",
    unit: "per second",
    series: [
      counter("matched", "iotbroker_rule_matched_total"),
      counter("passed", "iotbroker_rule_passed_total"),
      counter("failed", "iotbroker_rule_failed_exception_total"),
      counter("actions ok", 'iotbroker_rule_action_total{outcome="success"}'),
      counter("actions retried", 'iotbroker_rule_action_total{outcome="retried"}'),
      counter("actions failed", 'iotbroker_rule_action_total{outcome="failed"}'),
    ],
  },
  {
    title: "Refusals",
    unit: "per second",
    series: [
      counter("auth failures", "iotbroker_auth_failures_total"),
      counter("ACL denials", "iotbroker_acl_denials_total"),
      counter("throttled", "iotbroker_throttled_total"),
    ],
  },
];

export function MetricsPage() {
  const [connected, setConnected] = useState(false);
  const [data, setData] = useState<number[][][]>(charts.map(() => []));
  const [latest, setLatest] = useState<MetricsFrame | null>(null);
  const [filter, setFilter] = useState("");

  useEffect(() => {
    let prev: MetricsFrame | null = null;
    let kept: number[][][] = charts.map(() => []);
    return subscribeMetrics((f) => {
      if (prev) {
        const p = prev;
        kept = charts.map((c, i) =>
          pushPoint(
            kept[i],
            f.time / 1000,
            c.series.map((s) => s.value(p, f)),
            keepSeconds,
          ),
        );
        setData(kept);
      }
      prev = f;
      setLatest(f);
    }, setConnected);
  }, []);

  const samples = useMemo(() => {
    if (!latest) return [];
    const f = filter.trim().toLowerCase();
    return Object.entries(latest.values)
      .filter(([k]) => !f || k.toLowerCase().includes(f))
      .sort(([a], [b]) => (a < b ? -1 : 1));
  }, [latest, filter]);

  return (
    <section aria-labelledby="metrics-title">
      <h1 id="metrics-title">Metrics</h1>
      <p class="hint" role="status">
        {connected
          ? "Live: one frame a second from /api/v1/ws, the last ten minutes."
          : "Connecting to the live data…"}
      </p>
      <div class="chart-grid">
        {charts.map((c, i) => (
          <div class="card">
            <h2>
              {c.title} <small class="hint">{c.unit}</small>
            </h2>
            <TimeChart
              label={`${c.title}, ${c.unit}`}
              series={c.series.map((s, j) => ({ label: s.label, stroke: palette[j % 6] }))}
              data={data[i]}
              windowSeconds={keepSeconds}
              height={180}
            />
          </div>
        ))}
      </div>
      <h2>Samples</h2>
      <div class="toolbar">
        <Field label="Filter by name">
          <input
            type="search"
            value={filter}
            placeholder="e.g. rule_"
            onInput={(e) => setFilter(e.currentTarget.value)}
          />
        </Field>
      </div>
      <div class="table-wrap">
        <table class="list" aria-label="Current samples">
          <thead>
            <tr>
              <th scope="col">Sample</th>
              <th scope="col">Value</th>
            </tr>
          </thead>
          <tbody>
            {samples.map(([k, v]) => (
              <tr>
                <td class="mono">{k}</td>
                <td>{v.toLocaleString()}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
