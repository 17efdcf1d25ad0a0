// The device page's Properties tab: the latest value of each property
// (refreshed every 5 s) and a uPlot history chart of a numeric one.
import { useEffect, useRef, useState } from "preact/hooks";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { api } from "./api";
import type { List } from "./device_common";
import type { Tsl } from "./thing_model";
import { typeText } from "./thing_model";
import { ErrorText, Field, fmtTime, Loading, messageOf, p, useApi } from "./ui";

interface PropertyValue {
  identifier: string;
  value: unknown;
  time: number;
  messageId: string;
}

const ranges = [
  { label: "last hour", ms: 3600e3 },
  { label: "last 6 hours", ms: 6 * 3600e3 },
  { label: "last 24 hours", ms: 24 * 3600e3 },
  { label: "last 7 days", ms: 7 * 24 * 3600e3 },
  { label: "last 30 days", ms: 30 * 24 * 3600e3 },
];

const numericTypes = ["int", "float", "double"];

function shown(v: unknown): string {
  return typeof v === "string" ? v : JSON.stringify(v);
}

export function PropertiesTab(props: { pk: string; dn: string; model: Tsl | null }) {
  const { pk, dn, model } = props;
  const latest = useApi<List<PropertyValue>>(p("products", pk, "devices", dn, "properties"));
  const [auto, setAuto] = useState(true);
  const [tick, setTick] = useState(0);
  const [chosen, setChosen] = useState("");
  const [range, setRange] = useState(0);

  const modelProps = model?.properties ?? [];
  const numeric = new Set<string>();
  for (const x of modelProps)
    if (x.dataType && numericTypes.includes(x.dataType.type)) numeric.add(x.identifier);
  for (const x of latest.data?.items ?? []) if (typeof x.value === "number") numeric.add(x.identifier);
  const choices = [...numeric].sort();
  const identifier = chosen && numeric.has(chosen) ? chosen : (choices[0] ?? "");

  function refresh() {
    latest.reload();
    setTick((t) => t + 1);
  }
  const refreshRef = useRef(refresh);
  refreshRef.current = refresh;
  useEffect(() => {
    if (!auto) return;
    const t = window.setInterval(() => refreshRef.current(), 5000);
    return () => window.clearInterval(t);
  }, [auto]);

  const nameOf = (id: string) => modelProps.find((x) => x.identifier === id);
  return (
    <>
      <div class="card">
        <div class="toolbar">
          <h2>Latest values</h2>
          <button type="button" onClick={refresh} disabled={latest.loading}>
            {latest.loading ? "Loading…" : "Refresh"}
          </button>
          <label class="check">
            <input type="checkbox" checked={auto} onChange={(e) => setAuto(e.currentTarget.checked)} />
            Refresh every 5 s
          </label>
        </div>
        <ErrorText error={latest.error} />
        <Loading when={latest.loading && !latest.data} />
        {latest.data && latest.data.total === 0 && (
          <p class="hint">The device has posted no property yet.</p>
        )}
        {latest.data && latest.data.items.length > 0 && (
          <div class="table-wrap">
            <table class="list" aria-label="Latest property values">
              <thead>
                <tr>
                  <th scope="col">Identifier</th>
                  <th scope="col">Name</th>
                  <th scope="col">Value</th>
                  <th scope="col">Type</th>
                  <th scope="col">Time</th>
                </tr>
              </thead>
              <tbody>
                {latest.data.items.map((x) => (
                  <tr key={x.identifier} data-property={x.identifier}>
                    <td class="mono">{x.identifier}</td>
                    <td>{nameOf(x.identifier)?.name ?? ""}</td>
                    <td class="mono" data-value>
                      {shown(x.value)}
                    </td>
                    <td>{typeText(nameOf(x.identifier)?.dataType)}</td>
                    <td>{fmtTime(x.time)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </div>
      <div class="card">
        <h2>History</h2>
        {choices.length === 0 ? (
          <p class="hint">No numeric property to chart.</p>
        ) : (
          <>
            <div class="toolbar">
              <Field label="Property">
                <select value={identifier} onChange={(e) => setChosen(e.currentTarget.value)}>
                  {choices.map((c) => (
                    <option value={c}>{c}</option>
                  ))}
                </select>
              </Field>
              <Field label="Period">
                <select value={range} onChange={(e) => setRange(Number(e.currentTarget.value))}>
                  {ranges.map((r, i) => (
                    <option value={i}>{r.label}</option>
                  ))}
                </select>
              </Field>
            </div>
            <History
              key={identifier}
              pk={pk}
              dn={dn}
              identifier={identifier}
              unit={String(
                ((nameOf(identifier)?.dataType?.specs ?? {}) as Record<string, unknown>).unit ?? "",
              )}
              spanMs={ranges[range].ms}
              tick={tick}
            />
          </>
        )}
      </div>
    </>
  );
}

const historyLimit = 10000;

/** An axis label for `t` (UTC seconds) when the axis spans `range` seconds. */
function axisTime(t: number, range: number): string {
  const d = new Date(t * 1000);
  if (range > 2 * 86400)
    return d.toLocaleString([], {
      month: "short",
      day: "numeric",
      hour: "2-digit",
      minute: "2-digit",
      hour12: false,
    });
  if (range > 300) return d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", hour12: false });
  const s = d.toLocaleTimeString([], { hour12: false });
  return range >= 10 ? s : `${s}.${String(d.getMilliseconds()).padStart(3, "0")}`;
}

function History(props: {
  pk: string;
  dn: string;
  identifier: string;
  unit: string;
  spanMs: number;
  tick: number;
}) {
  const el = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const [points, setPoints] = useState<number | null>(null);
  const [error, setError] = useState("");

  useEffect(() => {
    const div = el.current!;
    plot.current = new uPlot(
      {
        width: div.clientWidth || 600,
        height: 240,
        scales: { x: { time: true } },
        series: [
          {},
          {
            label: props.identifier + (props.unit ? ` (${props.unit})` : ""),
            stroke: "#2563eb",
            width: 2,
            points: { show: true, size: 5 },
          },
        ],
        // Times in the browser's zone, as precise as the visible span needs.
        axes: [
          {
            values: (u, splits) => {
              const range = (u.scales.x.max ?? 0) - (u.scales.x.min ?? 0);
              return splits.map((t) => axisTime(t, range));
            },
          },
          { size: 60 },
        ],
      },
      [[], []],
      div,
    );
    const resize = () => plot.current?.setSize({ width: div.clientWidth, height: 240 });
    addEventListener("resize", resize);
    return () => {
      removeEventListener("resize", resize);
      plot.current?.destroy();
      plot.current = null;
    };
  }, [props.spanMs]);

  useEffect(() => {
    let live = true;
    const to = Date.now();
    const q = new URLSearchParams({
      identifier: props.identifier,
      from: String(Math.max(0, Math.floor(to - props.spanMs))),
      to: String(to),
      limit: String(historyLimit),
    });
    api<List<PropertyValue>>(
      "GET",
      `${p("products", props.pk, "devices", props.dn, "properties")}?${q.toString()}`,
    )
      .then((r) => {
        if (!live) return;
        const xs: number[] = [];
        const ys: number[] = [];
        for (const x of r.items)
          if (typeof x.value === "number") {
            xs.push(x.time / 1000);
            ys.push(x.value);
          }
        plot.current?.setData([xs, ys]);
        setPoints(xs.length);
        setError("");
      })
      .catch((e: unknown) => live && setError(messageOf(e)));
    return () => {
      live = false;
    };
  }, [props.identifier, props.spanMs, props.tick]);

  return (
    <>
      <ErrorText error={error} />
      <div
        class="history-chart"
        ref={el}
        role="img"
        aria-label={`History of ${props.identifier}`}
      />
      {points !== null && (
        <p class="hint" data-points={points}>
          {points === 0
            ? "No values in this period."
            : `${points.toLocaleString()} value${points === 1 ? "" : "s"}` +
              (points >= historyLimit ? ` (the first ${historyLimit.toLocaleString()})` : "")}
        </p>
      )}
    </>
  );
}
