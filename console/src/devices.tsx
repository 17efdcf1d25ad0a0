// Devices of one product (#/devices?pk=PK): keyset paging that stays fast
// at 100,000+ devices, prefix search, state and enabled filters, create
// (one or a batch, the secrets shown once), enable/disable, delete, and
// online state kept live from the WebSocket's device events.
import { useEffect, useRef, useState } from "preact/hooks";
import { api, subscribeLive } from "./api";
import type { Product } from "./products";
import { CopyButton } from "./products";
import {
  Admin,
  Confirm,
  ErrorText,
  Field,
  fmtTime,
  hashRoute,
  href,
  Loading,
  navigate,
  p,
  useAction,
  useApi,
} from "./ui";
import "./products.css";
import "./devices.css";

export interface Device {
  productKey: string;
  deviceName: string;
  state: "online" | "offline" | "inactive";
  enabled: boolean;
  createdMs: number;
  activatedMs: number;
  lastOnlineMs: number;
  lastIp: string;
  tags?: { key: string; value: string }[];
}

interface Credentials {
  productKey: string;
  deviceName: string;
  deviceSecret: string;
}

interface List<T> {
  items: T[];
  total: number;
}

export interface LiveEvent {
  type: string;
  event?: string;
  productKey?: string;
  deviceName?: string;
}

const pageSize = 50;

/** A state badge: online, offline, inactive (never connected). */
export function StateBadge(props: { state: string }) {
  return <span class={"badge " + props.state}>{props.state}</span>;
}

export function EnabledBadge(props: { enabled: boolean }) {
  return props.enabled ? (
    <span class="badge">enabled</span>
  ) : (
    <span class="badge disabled">disabled</span>
  );
}

/** The product key in the hash's query, kept in step with it. */
function useQueryPk(): string {
  const [pk, setPk] = useState(hashRoute().query.get("pk") ?? "");
  useEffect(() => {
    const f = () => setPk(hashRoute().query.get("pk") ?? "");
    addEventListener("hashchange", f);
    return () => removeEventListener("hashchange", f);
  }, []);
  return pk;
}

/**
 * The live WebSocket's device events of product `pk` ({"subscribe":"events"});
 * reconnects after a drop. Returns whether it is connected.
 */
export function useDeviceEvents(pk: string, onEvent: (e: LiveEvent) => void): boolean {
  const [up, setUp] = useState(false);
  const handler = useRef(onEvent);
  handler.current = onEvent;
  useEffect(
    () =>
      subscribeLive(
        "events",
        (m) => {
          const e = m as unknown as LiveEvent;
          if (e.type === "event" && e.productKey === pk && e.deviceName) handler.current(e);
        },
        setUp,
      ),
    [pk],
  );
  return up;
}

export function DevicesPage() {
  const queryPk = useQueryPk();
  const products = useApi<List<Product>>(`${p("products")}?limit=1000`);
  const pk = queryPk || products.data?.items[0]?.productKey || "";
  const product = products.data?.items.find((x) => x.productKey === pk);
  return (
    <section aria-labelledby="devices-title">
      <h1 id="devices-title">Devices</h1>
      <ErrorText error={products.error} />
      <Loading when={products.loading && !products.data} />
      {products.data && products.data.total === 0 && (
        <p class="hint">
          No products yet: <a href={href(["products"])}>create one</a> first.
        </p>
      )}
      {products.data && products.data.total > 0 && (
        <div class="toolbar">
          <Field label="Product">
            <select value={pk} onChange={(e) => navigate(["devices"], { pk: e.currentTarget.value })}>
              {!product && pk && <option value={pk}>{pk}</option>}
              {products.data.items.map((x) => (
                <option value={x.productKey}>
                  {x.name} ({x.productKey})
                </option>
              ))}
            </select>
          </Field>
          {pk && (
            <a class="button-link" href={href(["products", pk])}>
              Product details
            </a>
          )}
        </div>
      )}
      {pk && <DeviceList key={pk} pk={pk} />}
    </section>
  );
}

interface Filters {
  name: string;
  state: string;
  enabled: string;
}

/** An event's state for a row, kept while the store may not show it yet. */
interface Override {
  state?: Device["state"];
  enabled?: boolean;
  at: number;
}

function DeviceList(props: { pk: string }) {
  const { pk } = props;
  const [filters, setFilters] = useState<Filters>({ name: "", state: "", enabled: "" });
  const [nameInput, setNameInput] = useState("");
  const [stack, setStack] = useState<string[]>([]); // `after` of each previous page
  const [after, setAfter] = useState("");
  const [overrides, setOverrides] = useState<Map<string, Override>>(new Map());
  const [deleting, setDeleting] = useState<Device | null>(null);

  const q = new URLSearchParams({ limit: String(pageSize) });
  if (after) q.set("after", after);
  if (filters.name) q.set("name", filters.name);
  if (filters.state) q.set("state", filters.state);
  if (filters.enabled) q.set("enabled", filters.enabled);
  const list = useApi<List<Device>>(`${p("products", pk, "devices")}?${q.toString()}`);

  // When the page's data arrived: an override older than 3 s before that
  // is what the store already shows.
  const arrived = useRef(0);
  useEffect(() => {
    arrived.current = Date.now();
  }, [list.data]);

  // At most one refetch a second, a little after the last event.
  const lastReload = useRef(0);
  const timer = useRef<number | undefined>(undefined);
  const reloadRef = useRef(list.reload);
  reloadRef.current = list.reload;
  function scheduleReload() {
    if (timer.current !== undefined) return;
    const wait = Math.max(500, 1000 - (Date.now() - lastReload.current));
    timer.current = window.setTimeout(() => {
      timer.current = undefined;
      lastReload.current = Date.now();
      reloadRef.current();
    }, wait);
  }

  const liveUp = useDeviceEvents(pk, (m) => {
    const o: Override | null =
      m.event === "online" || m.event === "offline"
        ? { state: m.event, at: Date.now() }
        : m.event === "enabled" || m.event === "disabled"
          ? { enabled: m.event === "enabled", at: Date.now() }
          : null;
    if (o) {
      const dn = m.deviceName!;
      setOverrides((prev) => {
        const next = new Map(prev);
        next.set(dn, { ...prev.get(dn), ...o });
        return next;
      });
    }
    scheduleReload();
  });
  useEffect(() => () => window.clearTimeout(timer.current), []);

  function view(d: Device): Device {
    const o = overrides.get(d.deviceName);
    if (!o || o.at < arrived.current - 3000) return d;
    return { ...d, state: o.state ?? d.state, enabled: o.enabled ?? d.enabled };
  }

  function setFilter(f: Partial<Filters>) {
    setFilters((x) => ({ ...x, ...f }));
    setStack([]);
    setAfter("");
  }

  const items = list.data?.items ?? [];
  const total = list.data?.total ?? 0;
  const pageNo = stack.length + 1;
  const pages = Math.max(1, Math.ceil(total / pageSize));
  const hasNext = items.length === pageSize && pageNo * pageSize < total;

  return (
    <>
      <Admin>
        <CreateDevices pk={pk} onCreated={() => list.reload()} />
      </Admin>
      <form
        class="toolbar"
        aria-label="Search devices"
        onSubmit={(e) => {
          e.preventDefault();
          setFilter({ name: nameInput.trim() });
        }}
      >
        <Field label="Name starts with">
          <input
            type="search"
            value={nameInput}
            onInput={(e) => setNameInput(e.currentTarget.value)}
          />
        </Field>
        <button type="submit">Search</button>
        <Field label="State">
          <select value={filters.state} onChange={(e) => setFilter({ state: e.currentTarget.value })}>
            <option value="">any</option>
            <option value="online">online</option>
            <option value="offline">offline</option>
            <option value="inactive">inactive</option>
          </select>
        </Field>
        <Field label="Enabled">
          <select
            value={filters.enabled}
            onChange={(e) => setFilter({ enabled: e.currentTarget.value })}
          >
            <option value="">any</option>
            <option value="true">enabled</option>
            <option value="false">disabled</option>
          </select>
        </Field>
        <span class={"live " + (liveUp ? "up" : "down")} role="status">
          {liveUp ? "Live" : "Live updates disconnected"}
        </span>
      </form>
      <ErrorText error={list.error} />
      <Loading when={list.loading && !list.data} />
      {list.data && items.length === 0 && (
        <p class="hint">{stack.length ? "No more devices." : "No devices match."}</p>
      )}
      {items.length > 0 && (
        <div class="table-wrap">
          <table class="list devices">
            <thead>
              <tr>
                <th scope="col">Device name</th>
                <th scope="col">State</th>
                <th scope="col">Enabled</th>
                <th scope="col">Last online</th>
                <th scope="col">Last IP</th>
                <th scope="col">Created</th>
                <Admin>
                  <th scope="col">Actions</th>
                </Admin>
              </tr>
            </thead>
            <tbody>
              {items.map(view).map((d) => (
                <tr key={d.deviceName} data-device={d.deviceName}>
                  <td>
                    <a class="mono" href={href(["device", pk, d.deviceName])}>
                      {d.deviceName}
                    </a>
                  </td>
                  <td>
                    <StateBadge state={d.state} />
                  </td>
                  <td>
                    <EnabledBadge enabled={d.enabled} />
                  </td>
                  <td>{fmtTime(d.lastOnlineMs)}</td>
                  <td class="mono">{d.lastIp || "—"}</td>
                  <td>{fmtTime(d.createdMs)}</td>
                  <Admin>
                    <td class="actions">
                      <EnableButton device={d} onDone={() => list.reload()} />
                      <button type="button" class="danger" onClick={() => setDeleting(d)}>
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
      {list.data && (
        <nav class="pager" aria-label="Pages">
          <button
            type="button"
            disabled={stack.length === 0 || list.loading}
            onClick={() => {
              setAfter(stack[stack.length - 1]);
              setStack(stack.slice(0, -1));
            }}
          >
            Previous
          </button>
          <span data-pager>
            Page {pageNo.toLocaleString()} of {pages.toLocaleString()} ({total.toLocaleString()} in
            all)
          </span>
          <button
            type="button"
            disabled={!hasNext || list.loading}
            onClick={() => {
              setStack([...stack, after]);
              setAfter(items[items.length - 1].deviceName);
            }}
          >
            Next
          </button>
        </nav>
      )}
      {deleting && (
        <Confirm
          title="Delete device"
          text={`Delete device ${deleting.deviceName}? It is disconnected at once, and its data (properties, shadow, log) is deleted.`}
          action="Delete"
          onConfirm={async () => {
            await api("DELETE", p("products", pk, "devices", deleting.deviceName));
            list.reload();
          }}
          onClose={() => setDeleting(null)}
        />
      )}
    </>
  );
}

/** Enable or disable (PATCH {"enabled"}); disabling disconnects the device. */
export function EnableButton(props: { device: Device; onDone: (d: Device) => void }) {
  const { busy, error, run } = useAction();
  const d = props.device;
  return (
    <>
      <button
        type="button"
        disabled={busy}
        onClick={async () => {
          const r = await run(() =>
            api<Device>("PATCH", p("products", d.productKey, "devices", d.deviceName), {
              enabled: !d.enabled,
            }),
          );
          if (r) props.onDone(r);
        }}
      >
        {busy ? "Sending…" : d.enabled ? "Disable" : "Enable"}
      </button>
      <ErrorText error={error} />
    </>
  );
}

const deviceNamePattern = /^[A-Za-z0-9\-_@.:]{4,32}$/;

function CreateDevices(props: { pk: string; onCreated: () => void }) {
  const [mode, setMode] = useState<"one" | "batch">("one");
  const [name, setName] = useState("");
  const [count, setCount] = useState("10");
  const [fieldError, setFieldError] = useState("");
  const [created, setCreated] = useState<Credentials[] | null>(null);
  const { busy, error, run } = useAction();

  async function submit(e: Event) {
    e.preventDefault();
    let body: Record<string, unknown>;
    if (mode === "one") {
      const n = name.trim();
      if (n && !deviceNamePattern.test(n)) {
        setFieldError("4 to 32 letters, digits and - _ @ . : (empty: a generated name).");
        return;
      }
      body = n ? { name: n } : {};
    } else {
      const c = Number(count);
      if (!Number.isInteger(c) || c < 1 || c > 10000) {
        setFieldError("A whole number from 1 to 10,000.");
        return;
      }
      body = { count: c };
    }
    setFieldError("");
    const r = await run(() =>
      api<Credentials | List<Credentials>>("POST", p("products", props.pk, "devices"), body),
    );
    if (r) {
      setCreated("items" in r ? r.items : [r]);
      setName("");
      props.onCreated();
    }
  }

  const csv = created
    ? "productKey,deviceName,deviceSecret\n" +
      created.map((c) => `${c.productKey},${c.deviceName},${c.deviceSecret}`).join("\n") +
      "\n"
    : "";

  return (
    <div class="card">
      <h2>New devices</h2>
      <form class="toolbar" onSubmit={submit} noValidate aria-label="New devices">
        <fieldset class="choice">
          <legend>Create</legend>
          <label class="check">
            <input
              type="radio"
              name="create-mode"
              checked={mode === "one"}
              onChange={() => setMode("one")}
            />
            one device
          </label>
          <label class="check">
            <input
              type="radio"
              name="create-mode"
              checked={mode === "batch"}
              onChange={() => setMode("batch")}
            />
            a batch
          </label>
        </fieldset>
        {mode === "one" ? (
          <Field label="Device name" hint="empty: a generated name" error={fieldError}>
            <input value={name} maxLength={32} onInput={(e) => setName(e.currentTarget.value)} />
          </Field>
        ) : (
          <Field label="How many" hint="1–10,000; names are generated" error={fieldError}>
            <input
              type="number"
              min={1}
              max={10000}
              value={count}
              onInput={(e) => setCount(e.currentTarget.value)}
            />
          </Field>
        )}
        <button type="submit" disabled={busy}>
          {busy ? "Creating…" : "Create"}
        </button>
      </form>
      <ErrorText error={error} />
      {created && (
        <div class="secret" role="status">
          <p>
            <strong>
              Copy the device secret{created.length > 1 ? "s" : ""} now: {created.length > 1 ? "they" : "it"}{" "}
              will not be shown again.
            </strong>{" "}
            A device needs its product key, name and secret to connect.
          </p>
          {created.length === 1 ? (
            <dl class="props">
              <dt>Product key</dt>
              <dd class="mono">{created[0].productKey}</dd>
              <dt>Device name</dt>
              <dd>
                <a class="mono" href={href(["device", created[0].productKey, created[0].deviceName])}>
                  {created[0].deviceName}
                </a>
              </dd>
              <dt>Device secret</dt>
              <dd>
                <code class="mono" data-secret="device">
                  {created[0].deviceSecret}
                </code>{" "}
                <CopyButton text={created[0].deviceSecret} />
              </dd>
            </dl>
          ) : (
            <>
              <p>
                {created.length.toLocaleString()} devices created.{" "}
                <CopyButton text={csv} label="Copy all as CSV" />{" "}
                <button
                  type="button"
                  onClick={() => {
                    const url = URL.createObjectURL(new Blob([csv], { type: "text/csv" }));
                    const a = document.createElement("a");
                    a.href = url;
                    a.download = `${props.pk}-devices.csv`;
                    document.body.appendChild(a);
                    a.click();
                    a.remove();
                    setTimeout(() => URL.revokeObjectURL(url), 1000);
                  }}
                >
                  Download CSV
                </button>
              </p>
              <details>
                <summary>Show the secrets</summary>
                <pre class="json">{csv}</pre>
              </details>
            </>
          )}
          <button type="button" onClick={() => setCreated(null)}>
            Done
          </button>
        </div>
      )}
    </div>
  );
}
