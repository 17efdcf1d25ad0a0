// One product (#/products/{pk}): its fields, settings, custom topic
// categories, thing model (thing_model.tsx) and deletion.
import { useState } from "preact/hooks";
import { api } from "./api";
import type { Category, Product } from "./products";
import { ThingModel } from "./thing_model";
import {
  Admin,
  canChange,
  Confirm,
  ErrorText,
  Field,
  fmtTime,
  href,
  Loading,
  navigate,
  p,
  useAction,
  useApi,
} from "./ui";
import "./products.css";

/** The API's rule for product names: 4–30 letters, digits and _ - @ ( ). */
export function productNameError(name: string): string {
  const n = [...name.trim()].length;
  if (n === 0) return "Enter a name.";
  if (n < 4 || n > 30) return "A name has 4 to 30 characters.";
  if (!/^(?:[A-Za-z0-9_\-@()]|[^\x00-\x7f])+$/u.test(name.trim()))
    return "Use letters, digits and _ - @ ( ) only.";
  return "";
}

export function ProductDetail(props: { pk: string }) {
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
