// Overview: online devices and connections, messages in/out per second as a
// live chart (uPlot), rule and sink rates, alarms.
import { useEffect, useState } from "preact/hooks";
import { palette, pushPoint, TimeChart } from "./chart";
import { MetricsFrame, rate, subscribeMetrics, total } from "./metrics";

const windowSeconds = 300;
/** The share of the session store's map in use that raises an alarm. */
const storeAlarm = 0.9;

interface Figures {
  connections: number;
  sessions: number;
  subscriptions: number;
  retained: number;
  inRate: number;
  outRate: number;
  rulesPassed: number;
  rulesFailed: number;
  sinkRetries: number;
  sinkFailures: number;
  dropped: number;
  storeUsed: number;
  storeMax: number;
}

function figures(prev: MetricsFrame, cur: MetricsFrame): Figures {
  return {
    connections: total(cur, "iotbroker_connections"),
    sessions: total(cur, "iotbroker_sessions"),
    subscriptions: total(cur, "iotbroker_subscriptions"),
    retained: total(cur, "iotbroker_retained"),
    inRate: rate(prev, cur, "iotbroker_messages_received_total"),
    outRate: rate(prev, cur, "iotbroker_messages_sent_total"),
    rulesPassed: rate(prev, cur, "iotbroker_rule_passed_total"),
    rulesFailed:
      rate(prev, cur, "iotbroker_rule_failed_exception_total") +
      rate(prev, cur, "iotbroker_rule_dropped_overloaded_total"),
    sinkRetries: actionRate(prev, cur, "retried"),
    sinkFailures: actionRate(prev, cur, "failed"),
    // A message nobody subscribed to is not a loss: not counted here.
    dropped:
      rate(prev, cur, "iotbroker_messages_dropped_total") -
      rate(prev, cur, 'iotbroker_messages_dropped_total{reason="no_subscribers"}'),
    storeUsed: total(cur, "iotbroker_store_used_bytes"),
    storeMax: total(cur, "iotbroker_store_max_bytes"),
  };
}

/** Rate of iotbroker_rule_action_total samples whose result label is `result`. */
function actionRate(prev: MetricsFrame, cur: MetricsFrame, result: string): number {
  const pick = (f: MetricsFrame) =>
    Object.entries(f.values)
      .filter(([k]) => k.startsWith("iotbroker_rule_action_total{") && k.includes(`"${result}"`))
      .reduce((s, [, v]) => s + v, 0);
  const dt = (cur.time - prev.time) / 1000;
  const d = pick(cur) - pick(prev);
  return dt > 0 && d >= 0 ? d / dt : 0;
}

function fmt(x: number): string {
  return x >= 100 ? Math.round(x).toLocaleString() : x.toFixed(x % 1 === 0 ? 0 : 1);
}

function Stat(props: { label: string; value: number; unit?: string }) {
  return (
    <div class="stat">
      <div class="value" data-stat={props.label}>
        {fmt(props.value)}
        {props.unit && <span class="unit">{props.unit}</span>}
      </div>
      <div class="label">{props.label}</div>
    </div>
  );
}

export function OverviewPage() {
  const [fig, setFig] = useState<Figures | null>(null);
  const [connected, setConnected] = useState(false);
  const [data, setData] = useState<number[][]>([]);

  useEffect(() => {
    let prev: MetricsFrame | null = null;
    let series: number[][] = [];
    return subscribeMetrics((f) => {
      if (prev) {
        const g = figures(prev, f);
        setFig(g);
        series = pushPoint(series, f.time / 1000, [g.inRate, g.outRate], windowSeconds);
        setData(series);
      }
      prev = f;
    }, setConnected);
  }, []);

  const alarms: string[] = [];
  if (!connected) alarms.push("Live data is disconnected; reconnecting.");
  if (fig && fig.sinkRetries > 0) alarms.push(`Sinks are retrying: ${fmt(fig.sinkRetries)}/s.`);
  if (fig && fig.sinkFailures > 0)
    alarms.push(`Sinks are failing records: ${fmt(fig.sinkFailures)}/s.`);
  if (fig && fig.rulesFailed > 0) alarms.push(`Rules are failing: ${fmt(fig.rulesFailed)}/s.`);
  if (fig && fig.storeMax > 0 && fig.storeUsed >= storeAlarm * fig.storeMax) {
    const mib = (b: number) => Math.round(b / 1048576).toLocaleString();
    alarms.push(
      `The session store is ${Math.round((100 * fig.storeUsed) / fig.storeMax)} % full ` +
        `(${mib(fig.storeUsed)} of ${mib(fig.storeMax)} MiB): QoS 1 messages will be refused.`,
    );
  }

  return (
    <section aria-labelledby="overview-title">
      <h1 id="overview-title">Overview</h1>
      {alarms.length > 0 && (
        <ul class="alarms" role="status">
          {alarms.map((a) => (
            <li>{a}</li>
          ))}
        </ul>
      )}
      <div class="stats">
        <Stat label="Connections" value={fig?.connections ?? 0} />
        <Stat label="Sessions" value={fig?.sessions ?? 0} />
        <Stat label="Subscriptions" value={fig?.subscriptions ?? 0} />
        <Stat label="Messages in" value={fig?.inRate ?? 0} unit="/s" />
        <Stat label="Messages out" value={fig?.outRate ?? 0} unit="/s" />
        <Stat label="Rule outputs" value={fig?.rulesPassed ?? 0} unit="/s" />
        <Stat label="Dropped" value={fig?.dropped ?? 0} unit="/s" />
      </div>
      <h2>Messages per second</h2>
      <TimeChart
        label="Messages in and out per second"
        series={[
          { label: "in/s", stroke: palette[0] },
          { label: "out/s", stroke: palette[1] },
        ]}
        data={data}
        windowSeconds={windowSeconds}
        height={240}
      />
    </section>
  );
}
