// One device (#/device/{pk}/{dn}): tabs for its identity and connection,
// subscriptions, device log, properties (latest values and a history
// chart), shadow, and online debugging (publish, property set, service
// invoke, RRPC).
import type { ComponentChildren } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { api, ApiError } from "./api";
import type { Device } from "./devices";
import { EnableButton, EnabledBadge, StateBadge, useDeviceEvents } from "./devices";
import type { ModelInfo, Tsl } from "./products";
import { hasModel, typeText } from "./products";
import {
  Admin,
  canChange,
  Confirm,
  ErrorText,
  Field,
  fmtTime,
  hashRoute,
  href,
  Loading,
  messageOf,
  navigate,
  p,
  Pager,
  pretty,
  useAction,
  useApi,
} from "./ui";
import "./products.css";
import "./devices.css";

interface List<T> {
  items: T[];
  total: number;
}

interface SessionInfo {
  clientId: string;
  state: string;
  ip: string;
  listener: string;
  protocol: string;
  username: string;
  productKey?: string;
  deviceName?: string;
  keepAlive: number;
  expiry: number;
  durable: boolean;
  connectedAt: number;
  disconnectedAt: number;
}

interface Subscription {
  clientId: string;
  topic: string;
  qos: number;
  noLocal: boolean;
  retainAsPublished: boolean;
  subscriptionId?: number;
}

interface LogEntry {
  seq: number;
  timeMs: number;
  kind: string;
  text: string;
  clientIp: string;
}

interface PropertyValue {
  identifier: string;
  value: unknown;
  time: number;
  messageId: string;
}

interface ShadowDoc {
  state: { desired?: unknown; reported?: unknown };
  metadata?: unknown;
  timestamp?: number;
  version: number;
  control?: string;
}

const tabs = ["Info", "Subscriptions", "Log", "Properties", "Shadow", "Debug"] as const;
type Tab = (typeof tabs)[number];

export function DevicePage(props: { productKey: string; deviceName: string }) {
  const pk = props.productKey;
  const dn = props.deviceName;
  const device = useApi<Device>(pk && dn ? p("products", pk, "devices", dn) : null);
  const model = useModel(pk);
  const initial = hashRoute().query.get("tab");
  const [tab, setTab] = useState<Tab>(tabs.find((t) => t.toLowerCase() === initial) ?? "Info");
  const [confirmDelete, setConfirmDelete] = useState(false);
  const tabRefs = useRef<(HTMLButtonElement | null)[]>([]);
  // This device's events reload it, at most once a second.
  const pending = useRef<number | undefined>(undefined);
  const reload = useRef(device.reload);
  reload.current = device.reload;
  useDeviceEvents(pk, (e) => {
    if (e.deviceName !== dn || pending.current !== undefined) return;
    pending.current = window.setTimeout(() => {
      pending.current = undefined;
      reload.current();
    }, 1000);
  });
  useEffect(() => () => window.clearTimeout(pending.current), []);

  if (!pk || !dn) return <p class="error">No device named in the address.</p>;
  const d = device.data;

  function onTabKey(e: KeyboardEvent, i: number) {
    let j = -1;
    if (e.key === "ArrowRight") j = (i + 1) % tabs.length;
    else if (e.key === "ArrowLeft") j = (i + tabs.length - 1) % tabs.length;
    else if (e.key === "Home") j = 0;
    else if (e.key === "End") j = tabs.length - 1;
    if (j < 0) return;
    e.preventDefault();
    setTab(tabs[j]);
    tabRefs.current[j]?.focus();
  }

  return (
    <section aria-labelledby="device-title">
      <p class="crumbs">
        <a href={href(["devices"], { pk })}>Devices</a> /{" "}
        <a href={href(["products", pk])} class="mono">
          {pk}
        </a>{" "}
        / <span class="mono">{dn}</span>
      </p>
      <div class="device-head">
        <h1 id="device-title">{dn}</h1>
        {d && <StateBadge state={d.state} />}
        {d && <EnabledBadge enabled={d.enabled} />}
        <button type="button" onClick={device.reload} disabled={device.loading}>
          {device.loading ? "Loading…" : "Reload"}
        </button>
        <Admin>
          {d && <EnableButton device={d} onDone={() => device.reload()} />}
          {d && (
            <button type="button" class="danger" onClick={() => setConfirmDelete(true)}>
              Delete device
            </button>
          )}
        </Admin>
      </div>
      <ErrorText error={device.error} />
      <Loading when={device.loading && !d} />
      <div class="tabs" role="tablist" aria-label="Device">
        {tabs.map((t, i) => (
          <button
            type="button"
            role="tab"
            id={"tab-" + t}
            aria-selected={tab === t}
            aria-controls={"panel-" + t}
            tabIndex={tab === t ? 0 : -1}
            ref={(el) => {
              tabRefs.current[i] = el;
            }}
            onClick={() => setTab(t)}
            onKeyDown={(e) => onTabKey(e, i)}
          >
            {t}
          </button>
        ))}
      </div>
      <div role="tabpanel" id={"panel-" + tab} aria-labelledby={"tab-" + tab} tabIndex={0}>
        {tab === "Info" && <InfoTab pk={pk} dn={dn} device={d} />}
        {tab === "Subscriptions" && <SubscriptionsTab pk={pk} dn={dn} />}
        {tab === "Log" && <LogTab pk={pk} dn={dn} />}
        {tab === "Properties" && <PropertiesTab pk={pk} dn={dn} model={model} />}
        {tab === "Shadow" && <ShadowTab pk={pk} dn={dn} />}
        {tab === "Debug" && <DebugTab pk={pk} dn={dn} model={model} />}
      </div>
      {confirmDelete && (
        <Confirm
          title="Delete device"
          text={`Delete device ${dn}? It is disconnected at once, and its data (properties, shadow, log) is deleted.`}
          action="Delete"
          onConfirm={async () => {
            await api("DELETE", p("products", pk, "devices", dn));
            navigate(["devices"], { pk });
          }}
          onClose={() => setConfirmDelete(false)}
        />
      )}
    </section>
  );
}

/** The product's thing model; null when it has none (404). */
function useModel(pk: string): Tsl | null {
  const [m, setM] = useState<Tsl | null>(null);
  useEffect(() => {
    if (!pk) return;
    let live = true;
    // Ask for the model only when there is one (a 404 is a console error).
    api<ModelInfo>("GET", p("products", pk, "thing-model", "check-mode"))
      .then((i) => (hasModel(i) ? api<Tsl>("GET", p("products", pk, "thing-model")) : null))
      .then((x) => live && setM(x))
      .catch(() => live && setM(null)); // no model: nothing to offer
    return () => {
      live = false;
    };
  }, [pk]);
  return m;
}

/** The device's session: its client id is whatever the device sent. */
async function findSession(pk: string, dn: string): Promise<SessionInfo | null> {
  const tries: Record<string, string>[] = [
    { product: pk, clientId: `${pk}.${dn}`, limit: "100" },
    { product: pk, clientId: dn, limit: "100" },
    { product: pk, limit: "1000" },
  ];
  for (const q of tries) {
    const r = await api<List<SessionInfo>>(
      "GET",
      "/api/v1/sessions?" + new URLSearchParams(q).toString(),
    );
    const mine = r.items.filter((s) => s.deviceName === dn);
    const s = mine.find((x) => x.state === "online") ?? mine[0];
    if (s) return s;
  }
  return null;
}

function useSession(pk: string, dn: string) {
  const [session, setSession] = useState<SessionInfo | null | undefined>(undefined);
  const [error, setError] = useState("");
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    findSession(pk, dn)
      .then((s) => {
        if (!live) return;
        setSession(s);
        setError("");
      })
      .catch((e: unknown) => live && setError(messageOf(e)));
    return () => {
      live = false;
    };
  }, [pk, dn, tick]);
  return { session, error, reload: () => setTick((t) => t + 1) };
}

// -- Info ----------------------------------------------------------------------

function InfoTab(props: { pk: string; dn: string; device: Device | undefined }) {
  const { pk, dn, device: d } = props;
  const s = useSession(pk, dn);
  return (
    <div class="panel-grid">
      <div class="card">
        <h2>Device</h2>
        {d ? (
          <dl class="props">
            <dt>Product key</dt>
            <dd class="mono">{d.productKey}</dd>
            <dt>Device name</dt>
            <dd class="mono">{d.deviceName}</dd>
            <dt>Enabled</dt>
            <dd>{d.enabled ? "yes" : "no (refused at connect)"}</dd>
            <dt>State</dt>
            <dd>
              <StateBadge state={d.state} />
            </dd>
            <dt>Created</dt>
            <dd>{fmtTime(d.createdMs)}</dd>
            <dt>First connected</dt>
            <dd>{fmtTime(d.activatedMs)}</dd>
            <dt>Last online</dt>
            <dd>{fmtTime(d.lastOnlineMs)}</dd>
            <dt>Last IP</dt>
            <dd class="mono">{d.lastIp || "—"}</dd>
            {d.tags && d.tags.length > 0 && (
              <>
                <dt>Tags</dt>
                <dd>{d.tags.map((t) => `${t.key}=${t.value}`).join(", ")}</dd>
              </>
            )}
          </dl>
        ) : (
          <p class="hint">—</p>
        )}
      </div>
      <div class="card">
        <h2>Connection</h2>
        <ErrorText error={s.error} />
        {s.session === undefined && !s.error && <Loading when={true} />}
        {s.session === null && <p class="hint">The device has no session.</p>}
        {s.session && (
          <dl class="props" data-session>
            <dt>Session</dt>
            <dd>
              <StateBadge state={s.session.state} />
            </dd>
            <dt>Client id</dt>
            <dd class="mono">{s.session.clientId}</dd>
            <dt>Address</dt>
            <dd class="mono">{s.session.ip || "—"}</dd>
            <dt>Listener</dt>
            <dd>{s.session.listener}</dd>
            <dt>Protocol</dt>
            <dd>MQTT {s.session.protocol}</dd>
            <dt>Keep-alive</dt>
            <dd>{s.session.keepAlive} s</dd>
            <dt>Connected at</dt>
            <dd>{fmtTime(s.session.connectedAt)}</dd>
            {s.session.state !== "online" && (
              <>
                <dt>Disconnected at</dt>
                <dd>{fmtTime(s.session.disconnectedAt)}</dd>
              </>
            )}
            <dt>Persistent</dt>
            <dd>
              {s.session.durable ? `yes (expiry ${s.session.expiry} s)` : "no (clean session)"}
            </dd>
          </dl>
        )}
        <div class="row-actions">
          <button type="button" onClick={s.reload}>
            Refresh
          </button>
        </div>
      </div>
      <Credentials pk={pk} dn={dn} />
    </div>
  );
}

function hex(buf: ArrayBuffer): string {
  return [...new Uint8Array(buf)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

function Credentials(props: { pk: string; dn: string }) {
  const { pk, dn } = props;
  const [cid, setCid] = useState(`${pk}.${dn}`);
  const [secret, setSecret] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState("");
  const content = `clientId${cid}deviceName${dn}productKey${pk}`;
  const subtle = typeof crypto !== "undefined" ? crypto.subtle : undefined;

  async function sign(e: Event) {
    e.preventDefault();
    setPassword("");
    if (!cid || cid.includes("|") || cid.length > 64) {
      setError("A client id has 1 to 64 characters without |.");
      return;
    }
    if (!secret) {
      setError("Enter the device secret.");
      return;
    }
    setError("");
    try {
      const enc = new TextEncoder();
      const key = await subtle!.importKey(
        "raw",
        enc.encode(secret),
        { name: "HMAC", hash: "SHA-256" },
        false,
        ["sign"],
      );
      setPassword(hex(await subtle!.sign("HMAC", key, enc.encode(content))));
    } catch (err) {
      setError(messageOf(err));
    }
  }

  return (
    <div class="card recipe">
      <h2>Credentials</h2>
      <p>
        The device secret is shown only when the device is created; it cannot be read back. A
        device connects with a signed MQTT CONNECT:
      </p>
      <ul>
        <li>
          Client id: <code>{`${cid}|securemode=3,signmethod=hmacsha256|`}</code> (securemode=2
          over TLS; any client id of 1–64 characters before the bar)
        </li>
        <li>
          User name: <code>{`${dn}&${pk}`}</code>
        </li>
        <li>
          Password: the hex HMAC-SHA256 of <code>{content}</code> keyed with the device secret
          (parameters sorted by name; with <code>timestamp=T</code> in the client id, append{" "}
          <code>timestampT</code>). <code>iotbroker sign --product {pk} --device {dn} --secret …</code>{" "}
          prints the three.
        </li>
      </ul>
      {subtle && (
        <form onSubmit={sign} noValidate aria-label="Compute the password">
          <Field label="Client id">
            <input value={cid} onInput={(e) => setCid(e.currentTarget.value)} />
          </Field>
          <Field label="Device secret" hint="Used in this browser only; never sent.">
            <input
              type="password"
              autoComplete="off"
              value={secret}
              onInput={(e) => setSecret(e.currentTarget.value)}
            />
          </Field>
          <div>
            <button type="submit">Compute password</button>
          </div>
          <ErrorText error={error} />
          {password && (
            <p>
              Password: <code class="mono">{password}</code>
            </p>
          )}
        </form>
      )}
    </div>
  );
}

// -- Subscriptions ---------------------------------------------------------------

function SubscriptionsTab(props: { pk: string; dn: string }) {
  const s = useSession(props.pk, props.dn);
  const cid = s.session?.state === "online" ? s.session.clientId : null;
  const subs = useApi<List<Subscription>>(
    cid ? "/api/v1/subscriptions?" + new URLSearchParams({ clientId: cid, limit: "1000" }) : null,
  );
  return (
    <div class="card">
      <div class="toolbar">
        <h2>Subscriptions</h2>
        <button
          type="button"
          onClick={() => {
            s.reload();
            subs.reload();
          }}
        >
          Refresh
        </button>
      </div>
      <ErrorText error={s.error || subs.error} />
      {s.session === undefined && !s.error && <Loading when={true} />}
      {s.session !== undefined && !cid && (
        <p class="hint">The device is not connected: it has no subscriptions now.</p>
      )}
      <Loading when={subs.loading && !subs.data} />
      {cid && subs.data && subs.data.total === 0 && <p class="hint">No subscriptions.</p>}
      {cid && subs.data && subs.data.items.length > 0 && (
        <div class="table-wrap">
          <table class="list">
            <thead>
              <tr>
                <th scope="col">Topic filter</th>
                <th scope="col">QoS</th>
                <th scope="col">No local</th>
                <th scope="col">Retain as published</th>
              </tr>
            </thead>
            <tbody>
              {subs.data.items.map((x) => (
                <tr key={x.topic}>
                  <td class="mono">{x.topic}</td>
                  <td>{x.qos}</td>
                  <td>{x.noLocal ? "yes" : "no"}</td>
                  <td>{x.retainAsPublished ? "yes" : "no"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}

// -- Log -----------------------------------------------------------------------

function LogTab(props: { pk: string; dn: string }) {
  const [page, setPage] = useState(1);
  const limit = 100;
  const log = useApi<List<LogEntry>>(
    `${p("products", props.pk, "devices", props.dn, "log")}?page=${page}&limit=${limit}`,
  );
  return (
    <div class="card">
      <div class="toolbar">
        <h2>Device log</h2>
        <button type="button" onClick={log.reload} disabled={log.loading}>
          {log.loading ? "Loading…" : "Refresh"}
        </button>
      </div>
      <p class="hint">Connects, disconnects, refusals, throttling and calls; newest first.</p>
      <ErrorText error={log.error} />
      <Loading when={log.loading && !log.data} />
      {log.data && log.data.total === 0 && <p class="hint">Nothing logged yet.</p>}
      {log.data && log.data.items.length > 0 && (
        <>
          <div class="table-wrap">
            <table class="list">
              <thead>
                <tr>
                  <th scope="col">Time</th>
                  <th scope="col">Kind</th>
                  <th scope="col">What</th>
                  <th scope="col">Address</th>
                </tr>
              </thead>
              <tbody>
                {log.data.items.map((x) => (
                  <tr key={x.seq}>
                    <td>{fmtTime(x.timeMs)}</td>
                    <td>{x.kind}</td>
                    <td>{x.text}</td>
                    <td class="mono">{x.clientIp || "—"}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <Pager page={page} limit={limit} total={log.data.total} onPage={setPage} />
        </>
      )}
    </div>
  );
}

// -- Properties ----------------------------------------------------------------

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

function PropertiesTab(props: { pk: string; dn: string; model: Tsl | null }) {
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

// -- Shadow ----------------------------------------------------------------------

function ShadowTab(props: { pk: string; dn: string }) {
  const path = p("products", props.pk, "devices", props.dn, "shadow");
  const doc = useApi<ShadowDoc>(path);
  const [desired, setDesired] = useState<string | null>(null);
  const [version, setVersion] = useState<string | null>(null);
  const [desiredError, setDesiredError] = useState("");
  const [versionError, setVersionError] = useState("");
  const [result, setResult] = useState<ShadowDoc | null>(null);
  const [conflict, setConflict] = useState(false);
  const { busy, error, run } = useAction();

  const d = doc.data;
  const desiredText = desired ?? (d?.state.desired !== undefined ? pretty(d.state.desired) : "{}");
  const versionText = version ?? (d ? String(d.version + 1) : "0");

  async function submit(e: Event) {
    e.preventDefault();
    setResult(null);
    setConflict(false);
    let value: unknown;
    try {
      value = JSON.parse(desiredText);
    } catch (err) {
      setDesiredError("Not JSON: " + messageOf(err));
      return;
    }
    if (value === null) value = "null"; // clears every desired attribute
    else if (typeof value !== "object" || Array.isArray(value)) {
      setDesiredError("The desired state is a JSON object (or null to clear it).");
      return;
    }
    setDesiredError("");
    const v = Number(versionText);
    if (!Number.isInteger(v) || v < -1) {
      setVersionError("A whole number: 0 for no check, −1 to reset.");
      return;
    }
    setVersionError("");
    const r = await run(async () => {
      try {
        return await api<ShadowDoc>("PATCH", path, { state: { desired: value }, version: v });
      } catch (err) {
        if (err instanceof ApiError && err.status === 409) setConflict(true);
        throw err;
      }
    });
    if (r) {
      setResult(r);
      setDesired(null);
      setVersion(null);
      doc.reload();
    }
  }

  return (
    <div class="panel-grid">
      <div class="card">
        <div class="toolbar">
          <h2>Shadow document</h2>
          <button type="button" onClick={doc.reload} disabled={doc.loading}>
            {doc.loading ? "Loading…" : "Reload"}
          </button>
        </div>
        <ErrorText error={doc.error} />
        <Loading when={doc.loading && !d} />
        {d && (
          <>
            <p>
              Version <strong data-shadow-version>{d.version}</strong>
              {d.timestamp ? `, last changed ${fmtTime(d.timestamp * 1000)}` : ""}
            </p>
            <pre class="json" data-shadow>
              {pretty(d)}
            </pre>
          </>
        )}
      </div>
      <Admin>
        <div class="card">
          <h2>Desired state</h2>
          <form onSubmit={submit} noValidate aria-label="Update the desired state">
            <Field
              label="Desired attributes (JSON)"
              error={desiredError}
              hint="Merged into desired; an attribute set to null is deleted; null alone clears them."
            >
              <textarea
                rows={8}
                spellcheck={false}
                value={desiredText}
                onInput={(e) => setDesired(e.currentTarget.value)}
                aria-invalid={desiredError ? true : undefined}
              />
            </Field>
            <Field
              label="Version"
              error={versionError}
              hint={`Must exceed the current version${d ? ` (${d.version})` : ""}; 0: no check; −1: reset to 0.`}
            >
              <input
                type="number"
                value={versionText}
                onInput={(e) => setVersion(e.currentTarget.value)}
              />
            </Field>
            <div>
              <button type="submit" class="primary" disabled={busy}>
                {busy ? "Sending…" : "Update desired"}
              </button>
            </div>
          </form>
          {conflict ? (
            <div class="result warn" role="alert">
              <p>
                <strong>Version conflict.</strong> {error}
              </p>
              <p>The shadow changed meanwhile: reload it, then send again with a higher version.</p>
              <button type="button" onClick={doc.reload}>
                Reload the shadow
              </button>
            </div>
          ) : (
            <ErrorText error={error} />
          )}
          {result && (
            <div class="result" role="status" data-control={result.control}>
              <p>
                Saved as version {result.version}.{" "}
                {result.control === "sent"
                  ? "The device is online: the control message was sent."
                  : "The device is offline: it gets the control message when it reconnects."}
              </p>
            </div>
          )}
        </div>
      </Admin>
    </div>
  );
}

// -- Debug -----------------------------------------------------------------------

/** A JSON object from a field, or the message to show under it. */
function parseObject(text: string): { value?: Record<string, unknown>; error: string } {
  try {
    const v: unknown = JSON.parse(text.trim() || "{}");
    if (typeof v !== "object" || v === null || Array.isArray(v))
      return { error: "Give a JSON object: {…}." };
    return { value: v as Record<string, unknown>, error: "" };
  } catch (e) {
    return { error: "Not JSON: " + messageOf(e) };
  }
}

function timeoutError(t: string): string {
  const n = Number(t);
  return Number.isInteger(n) && n >= 1 && n <= 8000 ? "" : "1 to 8,000 milliseconds.";
}

function Result(props: { children: ComponentChildren; warn?: boolean }) {
  return (
    <div class={"result" + (props.warn ? " warn" : "")} role="status">
      {props.children}
    </div>
  );
}

function DebugTab(props: { pk: string; dn: string; model: Tsl | null }) {
  if (!canChange())
    return <p class="hint">Debugging sends to the device: only admins may do it.</p>;
  return (
    <div class="panel-grid">
      <PublishCard {...props} />
      <PropertySetCard {...props} />
      <ServiceCard {...props} />
      <RrpcCard {...props} />
    </div>
  );
}

function PublishCard(props: { pk: string; dn: string }) {
  const [topic, setTopic] = useState(`/${props.pk}/${props.dn}/user/get`);
  const [payload, setPayload] = useState("");
  const [qos, setQos] = useState("0");
  const [topicError, setTopicError] = useState("");
  const [sent, setSent] = useState("");
  const { busy, error, run } = useAction();
  async function submit(e: Event) {
    e.preventDefault();
    setSent("");
    const t = topic.trim();
    const bad = !t ? "Enter a topic." : /[+#]/.test(t) ? "A topic name has no wildcards." : "";
    setTopicError(bad);
    if (bad) return;
    const r = await run(() =>
      api<{ messageId: string }>("POST", "/api/v1/publish", { topic: t, payload, qos: Number(qos) }),
    );
    if (r) setSent(r.messageId);
  }
  return (
    <div class="card">
      <h2>Publish to the device</h2>
      <form onSubmit={submit} noValidate aria-label="Publish to the device">
        <Field label="Topic" error={topicError}>
          <input class="mono" value={topic} onInput={(e) => setTopic(e.currentTarget.value)} />
        </Field>
        <Field label="Payload">
          <textarea rows={4} value={payload} onInput={(e) => setPayload(e.currentTarget.value)} />
        </Field>
        <Field label="QoS">
          <select value={qos} onChange={(e) => setQos(e.currentTarget.value)}>
            <option value="0">0 (at most once)</option>
            <option value="1">1 (at least once)</option>
          </select>
        </Field>
        <div>
          <button type="submit" class="primary" disabled={busy}>
            {busy ? "Sending…" : "Publish"}
          </button>
        </div>
      </form>
      <ErrorText error={error} />
      {sent && (
        <Result>
          <p>
            Published: message <span class="mono">{sent}</span>.
          </p>
        </Result>
      )}
    </div>
  );
}

interface CallResult {
  result: string;
  messageId: string;
  code?: number;
  data?: unknown;
  message?: string;
  payloadBase64?: string;
}

function CallOutcome(props: { r: CallResult }) {
  const r = props.r;
  return (
    <Result warn={r.result !== "SUCCESS" && r.result !== "SENT"}>
      <p>
        Result: <strong data-result>{r.result}</strong> (message{" "}
        <span class="mono">{r.messageId}</span>)
      </p>
      {r.code !== undefined && <p>Code: {r.code}</p>}
      {r.message && <p>Message: {r.message}</p>}
      {r.data !== undefined && <pre class="json">{pretty(r.data)}</pre>}
    </Result>
  );
}

function PropertySetCard(props: { pk: string; dn: string; model: Tsl | null }) {
  const writable = (props.model?.properties ?? []).filter((x) => x.accessMode !== "r");
  const [params, setParams] = useState("{}");
  const [timeout, setTimeoutMs] = useState("8000");
  const [paramsError, setParamsError] = useState("");
  const [timeoutErr, setTimeoutErr] = useState("");
  const [result, setResult] = useState<CallResult | null>(null);
  const { busy, error, run } = useAction();
  async function submit(e: Event) {
    e.preventDefault();
    setResult(null);
    const parsed = parseObject(params);
    setParamsError(parsed.error);
    const te = timeoutError(timeout);
    setTimeoutErr(te);
    if (parsed.error || te) return;
    const r = await run(() =>
      api<CallResult>("POST", p("products", props.pk, "devices", props.dn, "properties", "set"), {
        params: parsed.value,
        timeoutMs: Number(timeout),
      }),
    );
    if (r) setResult(r);
  }
  return (
    <div class="card">
      <h2>Set properties</h2>
      <form onSubmit={submit} noValidate aria-label="Set properties">
        <Field
          label="Params (JSON)"
          error={paramsError}
          hint={
            writable.length
              ? "Writable: " + writable.map((x) => x.identifier).join(", ")
              : 'e.g. {"PowerSwitch":1}'
          }
        >
          <textarea rows={4} value={params} onInput={(e) => setParams(e.currentTarget.value)} />
        </Field>
        <Field label="Timeout (ms)" error={timeoutErr}>
          <input type="number" value={timeout} onInput={(e) => setTimeoutMs(e.currentTarget.value)} />
        </Field>
        <div>
          <button type="submit" class="primary" disabled={busy}>
            {busy ? "Sending…" : "Set"}
          </button>
        </div>
      </form>
      <ErrorText error={error} />
      {result && <CallOutcome r={result} />}
    </div>
  );
}

function ServiceCard(props: { pk: string; dn: string; model: Tsl | null }) {
  const services = (props.model?.services ?? []).filter(
    (x) => x.identifier !== "set" && x.identifier !== "get",
  );
  const [chosen, setChosen] = useState("");
  const [typed, setTyped] = useState("");
  const [params, setParams] = useState("{}");
  const [timeout, setTimeoutMs] = useState("8000");
  const [idError, setIdError] = useState("");
  const [paramsError, setParamsError] = useState("");
  const [timeoutErr, setTimeoutErr] = useState("");
  const [result, setResult] = useState<CallResult | null>(null);
  const { busy, error, run } = useAction();
  const id = services.length ? chosen || services[0].identifier : typed.trim();
  const svc = services.find((x) => x.identifier === id);

  async function submit(e: Event) {
    e.preventDefault();
    setResult(null);
    const ie = /^[A-Za-z_][A-Za-z0-9_]{0,49}$/.test(id) ? "" : "Enter a service identifier.";
    setIdError(ie);
    const parsed = parseObject(params);
    setParamsError(parsed.error);
    const te = timeoutError(timeout);
    setTimeoutErr(te);
    if (ie || parsed.error || te) return;
    const r = await run(() =>
      api<CallResult>("POST", p("products", props.pk, "devices", props.dn, "services", id), {
        params: parsed.value,
        timeoutMs: Number(timeout),
      }),
    );
    if (r) setResult(r);
  }

  return (
    <div class="card">
      <h2>Invoke a service</h2>
      <form onSubmit={submit} noValidate aria-label="Invoke a service">
        {services.length ? (
          <Field label="Service" hint={svc ? `${svc.callType ?? "async"} call` : undefined}>
            <select value={id} onChange={(e) => setChosen(e.currentTarget.value)}>
              {services.map((x) => (
                <option value={x.identifier}>
                  {x.identifier}
                  {x.name && x.name !== x.identifier ? ` (${x.name})` : ""}
                </option>
              ))}
            </select>
          </Field>
        ) : (
          <Field label="Service identifier" error={idError} hint="The product has no thing model.">
            <input value={typed} onInput={(e) => setTyped(e.currentTarget.value)} />
          </Field>
        )}
        <Field
          label="Input params (JSON)"
          error={paramsError}
          hint={
            svc?.inputData && svc.inputData.length
              ? "Input: " +
                svc.inputData
                  .map((x) => (typeof x === "string" ? x : `${x.identifier} (${typeText(x.dataType)})`))
                  .join(", ")
              : undefined
          }
        >
          <textarea rows={4} value={params} onInput={(e) => setParams(e.currentTarget.value)} />
        </Field>
        <Field label="Timeout (ms)" error={timeoutErr} hint="for a sync service">
          <input type="number" value={timeout} onInput={(e) => setTimeoutMs(e.currentTarget.value)} />
        </Field>
        <div>
          <button type="submit" class="primary" disabled={busy}>
            {busy ? "Sending…" : "Invoke"}
          </button>
        </div>
      </form>
      <ErrorText error={error} />
      {result && <CallOutcome r={result} />}
    </div>
  );
}

/** Base64 → text (or hex when it is not UTF-8). */
export function decodePayload(b64: string): { text: string; binary: boolean } {
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  try {
    return { text: new TextDecoder("utf-8", { fatal: true }).decode(bytes), binary: false };
  } catch {
    return { text: [...bytes].map((b) => b.toString(16).padStart(2, "0")).join(" "), binary: true };
  }
}

function RrpcCard(props: { pk: string; dn: string }) {
  const [payload, setPayload] = useState("");
  const [timeout, setTimeoutMs] = useState("5000");
  const [timeoutErr, setTimeoutErr] = useState("");
  const [result, setResult] = useState<CallResult | null>(null);
  const { busy, error, run } = useAction();
  async function submit(e: Event) {
    e.preventDefault();
    setResult(null);
    const te = timeoutError(timeout);
    setTimeoutErr(te);
    if (te) return;
    const r = await run(() =>
      api<CallResult>("POST", p("products", props.pk, "devices", props.dn, "rrpc"), {
        payload,
        timeoutMs: Number(timeout),
      }),
    );
    if (r) setResult(r);
  }
  const decoded = result?.payloadBase64 ? decodePayload(result.payloadBase64) : null;
  return (
    <div class="card">
      <h2>RRPC</h2>
      <form onSubmit={submit} noValidate aria-label="RRPC">
        <Field label="Request payload">
          <textarea rows={4} value={payload} onInput={(e) => setPayload(e.currentTarget.value)} />
        </Field>
        <Field label="Timeout (ms)" error={timeoutErr}>
          <input type="number" value={timeout} onInput={(e) => setTimeoutMs(e.currentTarget.value)} />
        </Field>
        <div>
          <button type="submit" class="primary" disabled={busy}>
            {busy ? "Sending…" : "Call"}
          </button>
        </div>
      </form>
      <ErrorText error={error} />
      {result && (
        <Result warn={result.result !== "SUCCESS"}>
          <p>
            Result: <strong data-result>{result.result}</strong> (message{" "}
            <span class="mono">{result.messageId}</span>)
          </p>
          {result.message && <p>{result.message}</p>}
          {decoded && (
            <>
              <p>Response{decoded.binary ? " (binary, hex)" : ""}:</p>
              <pre class="json">{decoded.text}</pre>
            </>
          )}
        </Result>
      )}
    </div>
  );
}
