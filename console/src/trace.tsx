// Live message trace (SPEC §12, docs/api.md "Live data"): the messages the
// broker routes, filtered by topic, device and client, over /api/v1/ws.
// Built not to freeze under heavy traffic: a frame costs a string test and
// a ring-buffer store; parsing and rendering happen at most ~3 times a
// second for the newest `keep` frames only; older ones are skipped and
// counted, as are the frames the server dropped for a slow viewer.
import { useEffect, useRef, useState } from "preact/hooks";
import { liveSocket } from "./api";
import { ErrorText, Field, fmtTime } from "./ui";
import "./trace.css";

/** Rows kept and shown (newest first). */
const keep = 500;
/** Least time between two renders. */
const renderEveryMs = 300;
/** A payload longer than this is cut in the table (the browser keeps no more). */
const maxPayloadChars = 1000;

type PayloadMode = "text" | "hex" | "hidden";

interface TraceFilter {
  topic: string;
  clientId: string;
  device: string;
  payload: PayloadMode;
}

interface TraceFrame {
  type: "trace";
  time: number;
  direction: string;
  clientId: string;
  topic: string;
  qos: number;
  retain: boolean;
  messageId: string;
  payload?: string;
  payloadSize?: number;
}

interface TraceRow {
  time: number;
  direction: string;
  clientId: string;
  topic: string;
  qos: number;
  retain: boolean;
  messageId: string;
  payload: string;
  mode: PayloadMode;
}

interface Counts {
  received: number; // trace frames that reached the browser
  serverDropped: number; // {"type":"dropped"} totals
  skipped: number; // arrived faster than rendered: never shown
  whilePaused: number;
  rate: number; // received per second, recent
}

type Conn = "connecting" | "open" | "closed";

function spacedHex(hex: string): string {
  return hex.replace(/(..)(?!$)/g, "$1 ");
}

function rowOf(f: TraceFrame, mode: PayloadMode): TraceRow {
  let payload: string;
  if (f.payload === undefined) {
    payload = `(${(f.payloadSize ?? 0).toLocaleString()} bytes)`;
    mode = "hidden";
  } else {
    const limit = mode === "hex" ? maxPayloadChars * 2 : maxPayloadChars;
    const cut = f.payload.length > limit;
    const shown = cut ? f.payload.slice(0, limit) : f.payload;
    payload = (mode === "hex" ? spacedHex(shown) : shown) + (cut ? " …" : "");
  }
  return {
    time: f.time,
    direction: f.direction,
    clientId: f.clientId,
    topic: f.topic,
    qos: f.qos,
    retain: f.retain,
    messageId: f.messageId,
    payload,
    mode,
  };
}

/**
 * The socket and the buffering, outside Preact: `onUpdate` is called at
 * most every `renderEveryMs` with the rows (or null when only the counts
 * or the state changed).
 */
class TraceStream {
  private ws: WebSocket | null = null;
  private disposed = false;
  private retry: number | undefined;
  // Frames waiting for the next render: a ring of the newest `keep`.
  private ring: (string | undefined)[] = new Array(keep);
  private ringModes: PayloadMode[] = new Array(keep);
  private head = 0;
  private pending = 0;
  private rows: TraceRow[] = [];
  private scheduled = false;
  private lastRender = 0;
  private rateMark = { time: Date.now(), received: 0 };
  private filter: TraceFilter | null = null; // subscribed (or to be) when running
  private subscribed = false;
  private waitOkUntil = 0; // ignore old frames until the subscribe's "ok"
  paused = false;
  conn: Conn = "connecting";
  error = "";
  counts: Counts = { received: 0, serverDropped: 0, skipped: 0, whilePaused: 0, rate: 0 };

  constructor(private onUpdate: (rows: TraceRow[] | null) => void) {
    this.open();
  }

  get running(): boolean {
    return this.filter !== null;
  }

  dispose() {
    this.disposed = true;
    window.clearTimeout(this.retry);
    this.ws?.close();
  }

  /** Subscribes with `f` (unsubscribing first when running). */
  start(f: TraceFilter) {
    this.filter = f;
    this.error = "";
    this.subscribe();
    this.schedule();
  }

  stop() {
    this.filter = null;
    if (this.subscribed) this.send({ unsubscribe: "trace" });
    this.subscribed = false;
    this.schedule();
  }

  setPaused(p: boolean) {
    this.paused = p;
    if (p) this.counts.whilePaused = 0;
    this.schedule();
  }

  clear() {
    this.rows = [];
    this.pending = 0;
    this.ring.fill(undefined);
    this.counts = { received: 0, serverDropped: 0, skipped: 0, whilePaused: 0, rate: 0 };
    this.rateMark = { time: Date.now(), received: 0 };
    this.onUpdate(this.rows);
  }

  private open() {
    const ws = liveSocket();
    this.ws = ws;
    this.conn = "connecting";
    ws.onopen = () => {
      this.conn = "open";
      this.subscribed = false;
      if (this.filter) this.subscribe();
      this.schedule();
    };
    ws.onmessage = (e) => this.onFrame(String(e.data));
    ws.onclose = () => {
      if (this.ws !== ws) return;
      this.conn = "closed";
      this.subscribed = false;
      this.schedule();
      if (!this.disposed) this.retry = window.setTimeout(() => this.open(), 2000);
    };
  }

  private send(cmd: unknown) {
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(cmd));
  }

  private subscribe() {
    const f = this.filter;
    if (!f || this.ws?.readyState !== WebSocket.OPEN) return;
    if (this.subscribed) this.send({ unsubscribe: "trace" });
    const cmd: Record<string, string> = {
      subscribe: "trace",
      topic: f.topic || "#",
      payload: f.payload,
    };
    if (f.clientId) cmd.clientId = f.clientId;
    if (f.device) cmd.device = f.device;
    this.send(cmd);
    this.subscribed = true;
    // Frames of the old filter may still be queued ahead of the "ok"; the
    // server may drop the "ok" itself when its queue is full, hence a limit.
    this.waitOkUntil = Date.now() + 1500;
  }

  /** The hot path: no parsing for trace frames, just the ring. */
  private onFrame(s: string) {
    if (s.startsWith('{"type":"trace"')) return this.onTrace(s);
    let m: { type?: string; count?: number; message?: string; subscribe?: string };
    try {
      m = JSON.parse(s) as typeof m;
    } catch {
      return;
    }
    if (m.type === "trace") return this.onTrace(s);
    if (m.type === "dropped") this.counts.serverDropped += m.count ?? 0;
    else if (m.type === "ok" && m.subscribe === "trace") this.waitOkUntil = 0;
    else if (m.type === "error") {
      this.error = m.message ?? "the broker refused the command";
      this.filter = null;
      this.subscribed = false;
    }
    this.schedule();
  }

  private onTrace(s: string) {
    if (!this.filter || (this.waitOkUntil && Date.now() < this.waitOkUntil)) return;
    this.counts.received++;
    if (this.paused) {
      this.counts.whilePaused++;
    } else {
      if (this.pending === keep) this.counts.skipped++;
      else this.pending++;
      this.ring[this.head] = s;
      this.ringModes[this.head] = this.filter.payload;
      this.head = (this.head + 1) % keep;
    }
    this.schedule();
  }

  private schedule() {
    if (this.scheduled || this.disposed) return;
    this.scheduled = true;
    const wait = Math.max(0, this.lastRender + renderEveryMs - Date.now());
    window.setTimeout(() => requestAnimationFrame(() => this.render()), wait);
  }

  private render() {
    this.scheduled = false;
    if (this.disposed) return;
    this.lastRender = Date.now();
    const dt = (this.lastRender - this.rateMark.time) / 1000;
    if (dt >= 1) {
      this.counts.rate = (this.counts.received - this.rateMark.received) / dt;
      this.rateMark = { time: this.lastRender, received: this.counts.received };
    }
    // Traffic that stops still needs its rate redrawn a second later.
    if (this.filter && (this.pending > 0 || this.counts.rate > 0))
      window.setTimeout(() => this.schedule(), 1000);
    if (this.pending === 0) return this.onUpdate(null);
    const fresh: TraceRow[] = [];
    // Newest first: walk the ring backwards from the last write.
    for (let k = 1; k <= this.pending; ++k) {
      const at = (this.head - k + keep) % keep;
      const s = this.ring[at];
      this.ring[at] = undefined;
      if (s === undefined) continue;
      try {
        fresh.push(rowOf(JSON.parse(s) as TraceFrame, this.ringModes[at]));
      } catch {
        // not JSON: the broker never sends that
      }
    }
    this.pending = 0;
    this.rows =
      fresh.length >= keep
        ? fresh.slice(0, keep)
        : fresh.concat(this.rows.slice(0, keep - fresh.length));
    this.onUpdate(this.rows);
  }
}

function clockTime(ms: number): string {
  const d = new Date(ms);
  return (
    d.toLocaleTimeString([], { hour12: false }) + "." + String(d.getMilliseconds()).padStart(3, "0")
  );
}

/** MQTT filter syntax: + a whole level, # the last level. */
function filterProblem(f: string): string {
  if (!f) return "";
  const levels = f.split("/");
  for (let i = 0; i < levels.length; ++i) {
    const l = levels[i];
    if (l.includes("#") && (l !== "#" || i !== levels.length - 1))
      return "# only as the whole last level.";
    if (l.includes("+") && l !== "+") return "+ only as a whole level.";
  }
  return "";
}

/** Rows drawn above and below the visible ones. */
const overscan = 8;

/**
 * The kept rows in a scrolling table that draws only the rows in view (and
 * a few more): a render costs the same whatever the traffic.
 */
function TraceTable(props: { rows: TraceRow[] }) {
  const box = useRef<HTMLDivElement>(null);
  const [view, setView] = useState({ top: 0, height: 600 });
  const [rowHeight, setRowHeight] = useState(27);
  const frame = useRef(0);
  const rows = props.rows;

  const measure = () => {
    const b = box.current;
    if (!b) return;
    setView({ top: b.scrollTop, height: b.clientHeight || 600 });
    const tr = b.querySelector<HTMLElement>("tbody tr.row");
    if (tr && tr.offsetHeight > 0 && tr.offsetHeight !== rowHeight) setRowHeight(tr.offsetHeight);
  };
  useEffect(() => {
    measure();
    addEventListener("resize", measure);
    return () => {
      removeEventListener("resize", measure);
      cancelAnimationFrame(frame.current);
    };
  }, []);
  useEffect(measure, [rows.length > 0]);
  const onScroll = () => {
    cancelAnimationFrame(frame.current);
    frame.current = requestAnimationFrame(measure);
  };

  const first = Math.max(0, Math.floor(view.top / rowHeight) - overscan);
  const last = Math.min(rows.length, Math.ceil((view.top + view.height) / rowHeight) + overscan);
  return (
    <div class="trace-scroll" ref={box} onScroll={onScroll} tabIndex={0} aria-label="Trace rows">
      <table class="list trace-table" aria-rowcount={rows.length + 1}>
        <colgroup>
          <col class="c-time" />
          <col class="c-dir" />
          <col class="c-client" />
          <col class="c-topic" />
          <col class="c-qos" />
          <col class="c-retain" />
          <col />
        </colgroup>
        <thead>
          <tr>
            <th>Time</th>
            <th>Dir.</th>
            <th>Client</th>
            <th>Topic</th>
            <th>QoS</th>
            <th>Retain</th>
            <th>Payload</th>
          </tr>
        </thead>
        <tbody>
          {first > 0 && (
            <tr class="spacer" aria-hidden="true" style={{ height: first * rowHeight }} />
          )}
          {rows.slice(first, last).map((r, k) => (
            <tr class="row" data-topic={r.topic} aria-rowindex={first + k + 2}>
              <td title={fmtTime(r.time)}>{clockTime(r.time)}</td>
              <td>{r.direction}</td>
              <td class="mono" title={r.clientId}>
                {r.clientId}
              </td>
              <td class="mono" title={r.topic}>
                {r.topic}
              </td>
              <td>{r.qos}</td>
              <td>{r.retain ? "yes" : ""}</td>
              <td class={"mono payload " + r.mode} data-mode={r.mode} title={r.payload}>
                {r.payload}
              </td>
            </tr>
          ))}
          {last < rows.length && (
            <tr
              class="spacer"
              aria-hidden="true"
              style={{ height: (rows.length - last) * rowHeight }}
            />
          )}
        </tbody>
      </table>
    </div>
  );
}

function Count(props: { name: string; n: number | undefined }) {
  return <b data-count={props.name}>{(props.n ?? 0).toLocaleString()}</b>;
}

export function TracePage() {
  const [topic, setTopic] = useState("#");
  const [device, setDevice] = useState("");
  const [clientId, setClientId] = useState("");
  const [mode, setMode] = useState<PayloadMode>("text");
  const [rows, setRows] = useState<TraceRow[]>([]);
  const [, setTick] = useState(0);
  const stream = useRef<TraceStream | null>(null);

  useEffect(() => {
    const s = new TraceStream((r) => {
      if (r) setRows(r);
      setTick((t) => t + 1);
    });
    stream.current = s;
    return () => s.dispose();
  }, []);

  const s = stream.current;
  const running = s?.running ?? false;
  const paused = s?.paused ?? false;
  const counts = s?.counts;
  const topicError = filterProblem(topic.trim());
  const deviceError =
    device.trim() && !/^[^/\s]+\/[^/\s]+$/.test(device.trim()) ? "productKey/deviceName" : "";

  const filter = (m: PayloadMode = mode): TraceFilter => ({
    topic: topic.trim() || "#",
    clientId: clientId.trim(),
    device: device.trim(),
    payload: m,
  });

  const onSubmit = (e: Event) => {
    e.preventDefault();
    if (topicError || deviceError) return;
    s?.start(filter());
  };

  return (
    <section aria-labelledby="trace-title" class="trace-page">
      <h1 id="trace-title">Live trace</h1>
      <form class="toolbar trace-filter" onSubmit={onSubmit}>
        <Field label="Topic filter" error={topicError}>
          <input value={topic} onInput={(e) => setTopic(e.currentTarget.value)} placeholder="#" />
        </Field>
        <Field label="Device (pk/dn)" error={deviceError}>
          <input
            value={device}
            onInput={(e) => setDevice(e.currentTarget.value)}
            placeholder="a1B2c3D4e5F/sensor-01"
          />
        </Field>
        <Field label="Client ID">
          <input value={clientId} onInput={(e) => setClientId(e.currentTarget.value)} />
        </Field>
        <Field label="Payload">
          <select
            value={mode}
            onChange={(e) => {
              const m = e.currentTarget.value as PayloadMode;
              setMode(m);
              // A running trace switches at once.
              if (s?.running && !topicError && !deviceError) s.start(filter(m));
            }}
          >
            <option value="text">text</option>
            <option value="hex">hex</option>
            <option value="hidden">hidden (size only)</option>
          </select>
        </Field>
        <button type="submit" disabled={!!topicError || !!deviceError}>
          {running ? "Apply filter" : "Start"}
        </button>
        <button type="button" disabled={!running} onClick={() => s?.stop()}>
          Stop
        </button>
        <button
          type="button"
          aria-pressed={paused}
          disabled={!running && !paused}
          onClick={() => s?.setPaused(!paused)}
        >
          {paused ? "Resume" : "Pause"}
        </button>
        <button type="button" onClick={() => s?.clear()}>
          Clear
        </button>
      </form>
      <ErrorText error={s?.error ?? ""} />
      <p class="trace-status hint" role="status">
        <span class={"badge " + (s?.conn === "open" ? "online" : "offline")}>
          {s?.conn === "open" ? "connected" : s?.conn === "closed" ? "reconnecting" : "connecting"}
        </span>{" "}
        {running ? (paused ? "Paused" : "Tracing") : "Stopped"} · received{" "}
        <Count name="received" n={counts?.received} /> (
        <Count name="rate" n={Math.round(counts?.rate ?? 0)} />
        /s) · dropped by the server <Count name="dropped" n={counts?.serverDropped} /> · too fast
        to show <Count name="skipped" n={counts?.skipped} />
        {paused && (
          <>
            {" "}
            · <Count name="paused" n={counts?.whilePaused} /> arrived while paused (not shown)
          </>
        )}{" "}
        · keeping <Count name="kept" n={rows.length} /> (the last {keep})
      </p>
      <TraceTable rows={rows} />
      {rows.length === 0 && (
        <p class="hint empty">
          {running ? "Waiting for messages…" : "Choose a filter and press Start."}
        </p>
      )}
    </section>
  );
}
