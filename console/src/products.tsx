// Products: the list with a create form (#/products); one product's detail
// (#/products/{pk}) is in product.tsx.
import { useState } from "preact/hooks";
import { api } from "./api";
import { ProductDetail, productNameError } from "./product";
import {
  Admin,
  copyText,
  ErrorText,
  Field,
  fmtTime,
  href,
  Loading,
  p,
  Pager,
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
