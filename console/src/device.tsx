// One device (#/device/{pk}/{dn}): the page shell with its header, actions
// and tabs; each tab is drawn by a device_*.tsx module (info, subscriptions
// and log; properties; shadow; debug).
import { useEffect, useRef, useState } from "preact/hooks";
// uPlot's CSS (the Properties tab's chart) stays ahead of ours in the bundle.
import "uplot/dist/uPlot.min.css";
import { api } from "./api";
import { DebugTab } from "./device_debug";
import { InfoTab, LogTab, SubscriptionsTab } from "./device_info";
import { PropertiesTab } from "./device_properties";
import { ShadowTab } from "./device_shadow";
import type { Device } from "./devices";
import { EnableButton, EnabledBadge, StateBadge, useDeviceEvents } from "./devices";
import type { ModelInfo, Tsl } from "./thing_model";
import { hasModel } from "./thing_model";
import { Admin, Confirm, ErrorText, hashRoute, href, Loading, navigate, p, useApi } from "./ui";
import "./products.css";
import "./devices.css";

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
