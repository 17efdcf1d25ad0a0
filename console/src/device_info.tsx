// The device page's Info tab (identity, connection, credentials), its
// Subscriptions tab (the live session's topic filters) and its Log tab.
import { useState } from "preact/hooks";
import type { List } from "./device_common";
import { useSession } from "./device_common";
import type { Device } from "./devices";
import { StateBadge } from "./devices";
import { ErrorText, Field, fmtTime, Loading, messageOf, p, Pager, useApi } from "./ui";

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

// -- Info ----------------------------------------------------------------------

export function InfoTab(props: { pk: string; dn: string; device: Device | undefined }) {
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

export function SubscriptionsTab(props: { pk: string; dn: string }) {
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

export function LogTab(props: { pk: string; dn: string }) {
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
