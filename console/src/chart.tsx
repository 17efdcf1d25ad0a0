// A live time-series chart (uPlot): the last `windowSeconds` of points,
// clock times in the browser's time zone, resized with the window. Feed it
// a new `data` array (x in seconds, then one array per series) to redraw.
import { useEffect, useRef } from "preact/hooks";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";

export interface SeriesSpec {
  label: string;
  stroke: string;
}

export const palette = ["#2563eb", "#16a34a", "#dc2626", "#d97706", "#7c3aed", "#0891b2"];

/** Appends one point to rolling series, keeping at most `keep` points. */
export function pushPoint(data: number[][], t: number, values: number[], keep: number): number[][] {
  const next = data.length ? data : [[], ...values.map(() => [])];
  next[0].push(t);
  values.forEach((v, i) => next[i + 1].push(v));
  if (next[0].length > keep) next.forEach((s) => s.shift());
  return next.map((s) => s); // a new outer array: a new prop value
}

export function TimeChart(props: {
  label: string;
  series: SeriesSpec[];
  data: number[][];
  windowSeconds?: number;
  height?: number;
  /** Times on the x axis: "clock" for live data, "datetime" for history. */
  axis?: "clock" | "datetime";
}) {
  const el = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const height = props.height ?? 220;

  useEffect(() => {
    const div = el.current!;
    const window = props.windowSeconds;
    const fmt =
      props.axis === "datetime"
        ? (t: number) => new Date(t * 1000).toLocaleString([], { hour12: false })
        : (t: number) => new Date(t * 1000).toLocaleTimeString([], { hour12: false });
    plot.current = new uPlot(
      {
        width: div.clientWidth || 600,
        height,
        scales: {
          x: window
            ? { time: true, range: (_u, _min, max) => [max - window, max] }
            : { time: true },
          y: { range: (_u, min, max) => [Math.min(0, min), Math.max(1, max * 1.1)] },
        },
        series: [{}, ...props.series.map((s) => ({ label: s.label, stroke: s.stroke, width: 2 }))],
        axes: [{ values: (_u, splits) => splits.map(fmt) }, { size: 60 }],
      },
      empty(props.series.length),
      div,
    );
    const resize = () => plot.current?.setSize({ width: div.clientWidth, height });
    addEventListener("resize", resize);
    return () => {
      removeEventListener("resize", resize);
      plot.current?.destroy();
      plot.current = null;
    };
  }, [props.series.map((s) => s.label).join("\u0000")]);

  useEffect(() => {
    plot.current?.setData(
      (props.data.length ? props.data : empty(props.series.length)) as uPlot.AlignedData,
    );
  }, [props.data]);

  return <div class="chart" ref={el} aria-label={props.label} role="img" />;
}

function empty(n: number): uPlot.AlignedData {
  return [[], ...Array.from({ length: n }, () => [])] as unknown as uPlot.AlignedData;
}
