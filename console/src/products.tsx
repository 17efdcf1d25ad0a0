// Products: the list with a create form (#/products) and one product's
// detail (#/products/{pk}): its fields, custom topic categories, thing model
// (editor, import/export, summary, check mode) and deletion.
import { useEffect, useState } from "preact/hooks";
import { api, ApiError } from "./api";
import {
  Admin,
  canChange,
  Confirm,
  copyText,
  ErrorText,
  Field,
  fmtTime,
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

export interface Category {
  topic: string;
  perms: string;
}

export interface Product {
  productKey: string;
  productSecret?: string;
  name: string;
  nodeType: string;
  dataFormat: string;
  dynamicRegister: boolean;
  categories: Category[];
  createdMs: number;
  description?: string;
}

interface List<T> {
  items: T[];
  total: number;
}

export function ProductsPage(props: { rest: string[] }) {
  const pk = props.rest[0];
  return pk ? <ProductDetail pk={pk} /> : <ProductList />;
}

// -- the list ------------------------------------------------------------------

const pageSize = 50;

function ProductList() {
  const [page, setPage] = useState(1);
  const list = useApi<List<Product>>(`${p("products")}?page=${page}&limit=${pageSize}`);
  return (
    <section aria-labelledby="products-title">
      <h1 id="products-title">Products</h1>
      <Admin>
        <CreateProduct onCreated={list.reload} />
      </Admin>
      <ErrorText error={list.error} />
      <Loading when={list.loading && !list.data} />
      {list.data && list.data.total === 0 && <p class="hint">No products yet.</p>}
      {list.data && list.data.items.length > 0 && (
        <>
          <div class="table-wrap">
            <table class="list">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Product key</th>
                  <th scope="col">Node type</th>
                  <th scope="col">Data format</th>
                  <th scope="col">Dynamic registration</th>
                  <th scope="col">Created</th>
                  <th scope="col">Devices</th>
                </tr>
              </thead>
              <tbody>
                {list.data.items.map((x) => (
                  <tr key={x.productKey}>
                    <td>
                      <a href={href(["products", x.productKey])}>{x.name}</a>
                    </td>
                    <td class="mono">{x.productKey}</td>
                    <td>{x.nodeType}</td>
                    <td>{x.dataFormat}</td>
                    <td>{x.dynamicRegister ? "on" : "off"}</td>
                    <td>{fmtTime(x.createdMs)}</td>
                    <td>
                      <a href={href(["devices"], { pk: x.productKey })}>Devices</a>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <Pager page={page} limit={pageSize} total={list.data.total} onPage={setPage} />
        </>
      )}
    </section>
  );
}

/** The API's rule for product names: 4–30 letters, digits and _ - @ ( ). */
export function productNameError(name: string): string {
  const n = [...name.trim()].length;
  if (n === 0) return "Enter a name.";
  if (n < 4 || n > 30) return "A name has 4 to 30 characters.";
  if (!/^(?:[A-Za-z0-9_\-@()]|[^\x00-\x7f])+$/u.test(name.trim()))
    return "Use letters, digits and _ - @ ( ) only.";
  return "";
}

function CreateProduct(props: { onCreated: () => void }) {
  const [name, setName] = useState("");
  const [nodeType, setNodeType] = useState("direct");
  const [dataFormat, setDataFormat] = useState("alink");
  const [dynamicRegister, setDynamicRegister] = useState(false);
  const [nameError, setNameError] = useState("");
  const [created, setCreated] = useState<Product | null>(null);
  const { busy, error, run } = useAction();

  async function submit(e: Event) {
    e.preventDefault();
    const bad = productNameError(name);
    setNameError(bad);
    if (bad) return;
    const r = await run(() =>
      api<Product>("POST", p("products"), {
        name: name.trim(),
        nodeType,
        dataFormat,
        dynamicRegister,
      }),
    );
    if (r) {
      setCreated(r);
      setName("");
      props.onCreated();
    }
  }

  return (
    <div class="card">
      <h2>New product</h2>
      <form class="toolbar" onSubmit={submit} noValidate aria-label="New product">
        <Field label="Name" error={nameError}>
          <input
            name="name"
            value={name}
            maxLength={30}
            onInput={(e) => setName(e.currentTarget.value)}
            aria-invalid={nameError ? true : undefined}
          />
        </Field>
        <Field label="Node type">
          <select value={nodeType} onChange={(e) => setNodeType(e.currentTarget.value)}>
            <option value="direct">direct</option>
            <option value="gateway">gateway</option>
            <option value="sub-device">sub-device</option>
          </select>
        </Field>
        <Field label="Data format">
          <select value={dataFormat} onChange={(e) => setDataFormat(e.currentTarget.value)}>
            <option value="alink">Alink JSON</option>
            <option value="custom">custom</option>
          </select>
        </Field>
        <label class="check">
          <input
            type="checkbox"
            checked={dynamicRegister}
            onChange={(e) => setDynamicRegister(e.currentTarget.checked)}
          />
          Dynamic registration
        </label>
        <button type="submit" disabled={busy}>
          {busy ? "Creating…" : "Create product"}
        </button>
      </form>
      <ErrorText error={error} />
      {created && (
        <div class="secret" role="status">
          <p>
            Product <strong>{created.name}</strong> created:{" "}
            <a href={href(["products", created.productKey])} class="mono">
              {created.productKey}
            </a>
          </p>
          <p>
            Product secret: <code class="mono" data-secret="product">{created.productSecret}</code>{" "}
            <CopyButton text={created.productSecret ?? ""} />
          </p>
          <p>
            <strong>Copy it now: it will not be shown again.</strong>
          </p>
          <button type="button" onClick={() => setCreated(null)}>
            Done
          </button>
        </div>
      )}
    </div>
  );
}

/** A Copy button that says whether it worked. */
export function CopyButton(props: { text: string; label?: string }) {
  const [state, setState] = useState("");
  return (
    <button
      type="button"
      onClick={async () => setState((await copyText(props.text)) ? "Copied" : "Copy refused")}
    >
      {state || props.label || "Copy"}
    </button>
  );
}

// -- one product ---------------------------------------------------------------

function ProductDetail(props: { pk: string }) {
  const { pk } = props;
  const product = useApi<Product>(p("products", pk));
  const [confirmDelete, setConfirmDelete] = useState(false);
  const d = product.data;
  return (
    <section aria-labelledby="product-title">
      <p class="crumbs">
        <a href={href(["products"])}>Products</a> / <span class="mono">{pk}</span>
      </p>
      <h1 id="product-title">{d ? d.name : "Product"}</h1>
      <ErrorText error={product.error} />
      <Loading when={product.loading && !d} />
      {d && (
        <>
          <div class="card">
            <dl class="props">
              <dt>Product key</dt>
              <dd class="mono">{d.productKey}</dd>
              <dt>Node type</dt>
              <dd>{d.nodeType}</dd>
              <dt>Data format</dt>
              <dd>{d.dataFormat}</dd>
              <dt>Dynamic registration</dt>
              <dd>{d.dynamicRegister ? "on" : "off"}</dd>
              <dt>Created</dt>
              <dd>{fmtTime(d.createdMs)}</dd>
              {d.description && (
                <>
                  <dt>Description</dt>
                  <dd>{d.description}</dd>
                </>
              )}
            </dl>
            <div class="row-actions">
              <a class="button-link" href={href(["devices"], { pk })}>
                Devices of this product
              </a>
              <Admin>
                <button type="button" class="danger" onClick={() => setConfirmDelete(true)}>
                  Delete product
                </button>
              </Admin>
            </div>
          </div>
          <Admin>
            <EditProduct product={d} onSaved={product.reload} />
          </Admin>
          <Categories product={d} onSaved={product.reload} />
          <ThingModel pk={pk} />
        </>
      )}
      {confirmDelete && (
        <Confirm
          title="Delete product"
          text={`Delete product ${d?.name ?? pk} (${pk}) with its thing model? A product that still has devices cannot be deleted.`}
          action="Delete"
          onConfirm={async () => {
            await api("DELETE", p("products", pk));
            navigate(["products"]);
          }}
          onClose={() => setConfirmDelete(false)}
        />
      )}
    </section>
  );
}

function EditProduct(props: { product: Product; onSaved: () => void }) {
  const [name, setName] = useState(props.product.name);
  const [dyn, setDyn] = useState(props.product.dynamicRegister);
  const [nameError, setNameError] = useState("");
  const [saved, setSaved] = useState(false);
  const { busy, error, run } = useAction();
  async function submit(e: Event) {
    e.preventDefault();
    const bad = productNameError(name);
    setNameError(bad);
    setSaved(false);
    if (bad) return;
    const r = await run(() =>
      api<Product>("PATCH", p("products", props.product.productKey), {
        name: name.trim(),
        dynamicRegister: dyn,
      }),
    );
    if (r) {
      setSaved(true);
      props.onSaved();
    }
  }
  return (
    <div class="card">
      <h2>Settings</h2>
      <form class="toolbar" onSubmit={submit} noValidate aria-label="Product settings">
        <Field label="Product name" error={nameError}>
          <input value={name} maxLength={30} onInput={(e) => setName(e.currentTarget.value)} />
        </Field>
        <label class="check">
          <input type="checkbox" checked={dyn} onChange={(e) => setDyn(e.currentTarget.checked)} />
          Dynamic registration
        </label>
        <button type="submit" disabled={busy}>
          {busy ? "Saving…" : "Save"}
        </button>
        {saved && (
          <span class="ok" role="status">
            Saved.
          </span>
        )}
      </form>
      <ErrorText error={error} />
    </div>
  );
}

// -- topic categories ------------------------------------------------------------

const permChoices = [
  { value: "pub", label: "publish (device → cloud)" },
  { value: "sub", label: "subscribe (cloud → device)" },
  { value: "pub,sub", label: "publish and subscribe" },
];

function suffixOf(c: Category): string {
  const at = c.topic.indexOf("/user/");
  return at < 0 ? c.topic : c.topic.slice(at + 6);
}

function Categories(props: { product: Product; onSaved: () => void }) {
  const pk = props.product.productKey;
  const [suffix, setSuffix] = useState("");
  const [perms, setPerms] = useState("pub");
  const [suffixError, setSuffixError] = useState("");
  const { busy, error, run } = useAction();

  async function save(sfx: string, pm: string) {
    const r = await run(() =>
      api<Product>("PATCH", p("products", pk), { categories: [{ suffix: sfx, perms: pm }] }),
    );
    if (r) props.onSaved();
    return r;
  }

  async function add(e: Event) {
    e.preventDefault();
    const s = suffix.trim().replace(/^\/+/, "");
    let bad = "";
    if (!s) bad = "Enter the topic's part after /user/.";
    else if (/\s/.test(s)) bad = "A topic has no spaces.";
    else if (/[+#]/.test(s) && !/^([^/+#]+\/)*(\+|#)?(\/[^/+#]+)*$/.test(s))
      bad = "Wildcards (+, #) take a whole level.";
    setSuffixError(bad);
    if (bad) return;
    if (await save(s, perms)) setSuffix("");
  }

  const cats = props.product.categories ?? [];
  return (
    <div class="card">
      <h2>Topic categories</h2>
      <p class="hint">
        Custom topics under <code>/{pk}/$&#123;deviceName&#125;/user/</code>, besides the default
        ones (<code>…/user/update</code>, <code>…/user/update/error</code> publish;{" "}
        <code>…/user/get</code> subscribe).
      </p>
      {cats.length === 0 ? (
        <p class="hint">No custom categories.</p>
      ) : (
        <div class="table-wrap">
          <table class="list">
            <thead>
              <tr>
                <th scope="col">Topic</th>
                <th scope="col">Device may</th>
              </tr>
            </thead>
            <tbody>
              {cats.map((c) => (
                <tr key={c.topic}>
                  <td class="mono">{c.topic}</td>
                  <td>
                    {canChange() ? (
                      <select
                        aria-label={`Permission of ${c.topic}`}
                        value={c.perms}
                        disabled={busy}
                        onChange={(e) => save(suffixOf(c), e.currentTarget.value)}
                      >
                        {permChoices.map((o) => (
                          <option value={o.value}>{o.label}</option>
                        ))}
                      </select>
                    ) : (
                      permChoices.find((o) => o.value === c.perms)?.label ?? c.perms
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <Admin>
        <form class="toolbar cat-form" onSubmit={add} noValidate aria-label="Add a topic category">
          <Field
            label="Topic suffix"
            error={suffixError}
            hint={`/${pk}/\${deviceName}/user/${suffix.trim() || "…"}`}
          >
            <input value={suffix} onInput={(e) => setSuffix(e.currentTarget.value)} />
          </Field>
          <Field label="Permission">
            <select value={perms} onChange={(e) => setPerms(e.currentTarget.value)}>
              {permChoices.map((o) => (
                <option value={o.value}>{o.label}</option>
              ))}
            </select>
          </Field>
          <button type="submit" disabled={busy}>
            {busy ? "Saving…" : "Add category"}
          </button>
        </form>
        <p class="hint">Categories cannot be removed through the API; changing one replaces its permission.</p>
      </Admin>
      <ErrorText error={error} />
    </div>
  );
}

// -- thing model -----------------------------------------------------------------

interface DataType {
  type: string;
  specs?: unknown;
}

interface Param {
  identifier: string;
  name?: string;
  dataType?: DataType;
}

export interface Tsl {
  properties?: (Param & { accessMode?: string; required?: boolean })[];
  events?: (Param & { type?: string; outputData?: Param[] })[];
  services?: (Param & { callType?: string; inputData?: Param[] | string[]; outputData?: Param[] })[];
}

/** Whether a product has a thing model, from its check-mode answer. */
export function hasModel(i: ModelInfo): boolean {
  return i.properties + i.events + i.services > 0 || i.updatedMs > 0;
}

export interface ModelInfo {
  productKey: string;
  properties: number;
  events: number;
  services: number;
  checkMode: string;
  updatedMs: number;
}

/** "float −40..120 °C", for the summary. */
export function typeText(t: DataType | undefined): string {
  if (!t) return "";
  const s = (t.specs ?? {}) as Record<string, unknown>;
  if (["int", "float", "double"].includes(t.type)) {
    const range = s.min !== undefined || s.max !== undefined ? ` ${s.min ?? ""}..${s.max ?? ""}` : "";
    const unit = s.unit ? ` ${String(s.unit)}` : "";
    return t.type + range + unit;
  }
  if (t.type === "enum" || t.type === "bool")
    return `${t.type} {${Object.entries(s)
      .map(([k, v]) => `${k}: ${String(v)}`)
      .join(", ")}}`;
  if (t.type === "text" && s.length) return `text (≤ ${String(s.length)})`;
  if (t.type === "array") {
    const item = s.item as DataType | undefined;
    return `array of ${item?.type ?? "?"}${s.size ? ` (≤ ${String(s.size)})` : ""}`;
  }
  if (t.type === "struct" && Array.isArray(t.specs))
    return `struct {${(t.specs as Param[]).map((f) => f.identifier).join(", ")}}`;
  return t.type;
}

function params(list: Param[] | string[] | undefined): string {
  if (!list || list.length === 0) return "—";
  return list
    .map((x) => (typeof x === "string" ? x : `${x.identifier}: ${typeText(x.dataType)}`))
    .join("; ");
}

function downloadJson(name: string, text: string) {
  const url = URL.createObjectURL(new Blob([text], { type: "application/json" }));
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

function ThingModel(props: { pk: string }) {
  const { pk } = props;
  const [tick, setTick] = useState(0);
  const [stored, setStored] = useState<Tsl | null>(null);
  const [loadError, setLoadError] = useState("");
  const [loaded, setLoaded] = useState(false);
  const info = useApi<ModelInfo>(p("products", pk, "thing-model", "check-mode"));
  const [text, setText] = useState("");
  const [jsonError, setJsonError] = useState("");
  const [notice, setNotice] = useState("");
  const save = useAction();
  const mode = useAction();

  // Ask for the model only when there is one (a 404 is a console error).
  const known = info.data ? hasModel(info.data) : undefined;
  useEffect(() => {
    if (known === undefined) return;
    let live = true;
    if (!known) {
      setStored(null);
      setLoaded(true);
      return;
    }
    api<Tsl>("GET", p("products", pk, "thing-model"))
      .then((m) => {
        if (!live) return;
        setStored(m);
        setText(pretty(m));
        setLoadError("");
      })
      .catch((e: unknown) => {
        if (!live) return;
        if (e instanceof ApiError && e.status === 404) setStored(null);
        else setLoadError(messageOf(e));
      })
      .finally(() => live && setLoaded(true));
    return () => {
      live = false;
    };
  }, [pk, tick, known]);

  function parsed(): unknown {
    try {
      const v: unknown = JSON.parse(text);
      if (typeof v !== "object" || v === null || Array.isArray(v)) {
        setJsonError("A thing model is a JSON object.");
        return undefined;
      }
      setJsonError("");
      return v;
    } catch (e) {
      setJsonError("Not JSON: " + messageOf(e));
      return undefined;
    }
  }

  async function checkAndSave() {
    setNotice("");
    const v = parsed();
    if (v === undefined) return;
    const r = await save.run(() => api<ModelInfo>("PUT", p("products", pk, "thing-model"), v));
    if (r) {
      setNotice(
        `Saved: ${r.properties} properties, ${r.events} events, ${r.services} services (${r.checkMode} check).`,
      );
      setTick((t) => t + 1);
      info.reload();
    }
  }

  async function importFile(e: Event) {
    const input = e.currentTarget as HTMLInputElement;
    const f = input.files?.[0];
    if (!f) return;
    try {
      const t = await f.text();
      setText(t);
      setJsonError("");
      setNotice(`Loaded ${f.name}: check & save to use it.`);
    } catch (err) {
      setJsonError("Could not read the file: " + messageOf(err));
    }
    input.value = "";
  }

  const cm = info.data?.checkMode ?? "weak";
  return (
    <div class="card">
      <h2>Thing model</h2>
      <ErrorText error={loadError || info.error} />
      <Loading when={!loaded && !info.error} />
      {loaded && !stored && !loadError && <p class="hint">This product has no thing model yet.</p>}
      {stored && <TslSummary tsl={stored} />}
      {info.data && info.data.updatedMs > 0 && (
        <p class="hint">Last changed {fmtTime(info.data.updatedMs)}.</p>
      )}
      <div class="toolbar">
        {canChange() ? (
          <Field label="Check mode" hint="weak: keep the valid values; strict: refuse the whole post">
            <select
              value={cm}
              disabled={mode.busy}
              onChange={async (e) => {
                const v = e.currentTarget.value;
                const r = await mode.run(() =>
                  api<ModelInfo>("PUT", p("products", pk, "thing-model", "check-mode"), {
                    checkMode: v,
                  }),
                );
                if (r) info.reload();
              }}
            >
              <option value="weak">weak</option>
              <option value="strict">strict</option>
            </select>
          </Field>
        ) : (
          <p>
            Check mode: <strong>{cm}</strong>
          </p>
        )}
        <button
          type="button"
          disabled={!stored}
          onClick={() => stored && downloadJson(`${pk}-thing-model.json`, pretty(stored))}
        >
          Export
        </button>
      </div>
      <ErrorText error={mode.error} />
      {canChange() ? (
        <>
          <Field label="TSL JSON" error={jsonError}>
            <textarea
              class="tsl"
              rows={16}
              spellcheck={false}
              value={text}
              onInput={(e) => setText(e.currentTarget.value)}
              aria-invalid={jsonError ? true : undefined}
            />
          </Field>
          <div class="toolbar tsl-actions">
            <Field label="Import from a .json file">
              <input type="file" accept=".json,application/json" onChange={importFile} />
            </Field>
            <button type="button" class="primary" disabled={save.busy} onClick={checkAndSave}>
              {save.busy ? "Checking…" : "Check & save"}
            </button>
          </div>
          <ErrorText error={save.error} />
          {notice && (
            <p class="ok" role="status">
              {notice}
            </p>
          )}
        </>
      ) : (
        stored && (
          <details>
            <summary>TSL JSON</summary>
            <pre class="json">{pretty(stored)}</pre>
          </details>
        )
      )}
    </div>
  );
}

export function TslSummary(props: { tsl: Tsl }) {
  const { properties = [], services = [], events = [] } = props.tsl;
  return (
    <div class="tsl-summary">
      <h3>Properties ({properties.length})</h3>
      {properties.length > 0 && (
        <div class="table-wrap">
          <table class="list" aria-label="Properties">
            <thead>
              <tr>
                <th scope="col">Identifier</th>
                <th scope="col">Name</th>
                <th scope="col">Type</th>
                <th scope="col">Access</th>
              </tr>
            </thead>
            <tbody>
              {properties.map((x) => (
                <tr key={x.identifier}>
                  <td class="mono">{x.identifier}</td>
                  <td>{x.name}</td>
                  <td>{typeText(x.dataType)}</td>
                  <td>{x.accessMode === "r" ? "read" : "read/write"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <h3>Services ({services.length})</h3>
      {services.length > 0 && (
        <div class="table-wrap">
          <table class="list" aria-label="Services">
            <thead>
              <tr>
                <th scope="col">Identifier</th>
                <th scope="col">Name</th>
                <th scope="col">Call</th>
                <th scope="col">Input</th>
                <th scope="col">Output</th>
              </tr>
            </thead>
            <tbody>
              {services.map((x) => (
                <tr key={x.identifier}>
                  <td class="mono">{x.identifier}</td>
                  <td>{x.name}</td>
                  <td>{x.callType ?? "async"}</td>
                  <td>{params(x.inputData)}</td>
                  <td>{params(x.outputData)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <h3>Events ({events.length})</h3>
      {events.length > 0 && (
        <div class="table-wrap">
          <table class="list" aria-label="Events">
            <thead>
              <tr>
                <th scope="col">Identifier</th>
                <th scope="col">Name</th>
                <th scope="col">Type</th>
                <th scope="col">Output</th>
              </tr>
            </thead>
            <tbody>
              {events.map((x) => (
                <tr key={x.identifier}>
                  <td class="mono">{x.identifier}</td>
                  <td>{x.name}</td>
                  <td>{x.type ?? "info"}</td>
                  <td>{params(x.outputData)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
