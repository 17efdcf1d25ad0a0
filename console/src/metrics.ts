// The live metrics stream ({"subscribe":"metrics"} on /api/v1/ws): one
// frame a second with every /metrics sample, turned into totals by metric
// name (labels summed) and per-second rates of the counters.
import { subscribeLive } from "./api";

export interface MetricsFrame {
  time: number;
  values: Record<string, number>;
}

/**
 * The sum of every sample of `name`, whatever its labels; a name with
 * labels (`x{reason="y"}`) is the sum of the samples that carry them.
 */
export function total(f: MetricsFrame, name: string): number {
  const brace = name.indexOf("{");
  const base = brace < 0 ? name : name.slice(0, brace);
  const labels = brace < 0 ? [] : name.slice(brace + 1, -1).split(",");
  let sum = 0;
  for (const [k, v] of Object.entries(f.values)) {
    const kb = k.indexOf("{");
    if ((kb < 0 ? k : k.slice(0, kb)) !== base) continue;
    if (labels.every((l) => k.includes(l))) sum += v;
  }
  return sum;
}

/** Per-second rate of a counter between two frames (0 across a restart). */
export function rate(prev: MetricsFrame, cur: MetricsFrame, name: string): number {
  const dt = (cur.time - prev.time) / 1000;
  const d = total(cur, name) - total(prev, name);
  return dt > 0 && d >= 0 ? d / dt : 0;
}

/** Calls `onFrame` with each frame until the returned function is called. */
export function subscribeMetrics(
  onFrame: (f: MetricsFrame) => void,
  onState: (connected: boolean) => void,
): () => void {
  return subscribeLive(
    "metrics",
    (m) => {
      if (m.type === "metrics") onFrame(m as unknown as MetricsFrame);
    },
    onState,
  );
}
