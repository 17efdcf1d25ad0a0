// The console's shell: hash routes (#/overview, …) so that no console path
// can collide with the API's, the login gate, and the navigation.
import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import { currentSession, logout, onSessionChange } from "./api";
import { AuditPage } from "./audit";
import { DevicePage } from "./device";
import { DevicesPage } from "./devices";
import { LoginPage } from "./login";
import { MetricsPage } from "./metrics_page";
import { OverviewPage } from "./overview";
import { ProductsPage } from "./products";
import { RulesPage } from "./rules";
import { TracePage } from "./trace";
import { UsersPage } from "./users";
import { hashRoute } from "./ui";
import "./style.css";

/** A page gets the route's segments after its own ("#/devices/pk/dn" → [pk, dn]). */
interface Route {
  path: string;
  title: string;
  adminOnly?: boolean;
  hidden?: boolean;
  page: (rest: string[]) => preact.JSX.Element;
}

const routes: Route[] = [
  { path: "overview", title: "Overview", page: () => <OverviewPage /> },
  { path: "products", title: "Products", page: (r) => <ProductsPage rest={r} /> },
  { path: "devices", title: "Devices", page: () => <DevicesPage /> },
  {
    path: "device",
    title: "Device",
    hidden: true,
    page: (r) => <DevicePage productKey={r[0] ?? ""} deviceName={r[1] ?? ""} />,
  },
  { path: "rules", title: "Rules", page: (r) => <RulesPage rest={r} /> },
  { path: "trace", title: "Live trace", page: () => <TracePage /> },
  { path: "metrics", title: "Metrics", page: () => <MetricsPage /> },
  { path: "audit", title: "Audit log", adminOnly: true, page: () => <AuditPage /> },
  { path: "users", title: "Users", adminOnly: true, page: () => <UsersPage /> },
];

function currentPath(): string {
  return hashRoute().segments.join("/") || "overview";
}

function useHashPath(): string {
  const [path, setPath] = useState(currentPath());
  useEffect(() => {
    const f = () => setPath(currentPath());
    addEventListener("hashchange", f);
    return () => removeEventListener("hashchange", f);
  }, []);
  return path;
}

function useSession() {
  const [s, setS] = useState(currentSession());
  useEffect(() => onSessionChange(() => setS(currentSession())), []);
  return s;
}

function App() {
  const session = useSession();
  const path = useHashPath();
  if (!session) return <LoginPage />;
  const segments = path.split("/");
  const visible = routes.filter((r) => !r.adminOnly || session.role === "admin");
  const route = visible.find((r) => r.path === segments[0]) ?? routes[0];
  const current = route.hidden ? routes.find((r) => r.path === "devices") : route;
  return (
    <div class="shell">
      <header class="bar">
        <span class="brand">iotbroker</span>
        <nav aria-label="Main">
          {visible
            .filter((r) => !r.hidden)
            .map((r) => (
              <a href={"#/" + r.path} aria-current={r === current ? "page" : undefined}>
                {r.title}
              </a>
            ))}
        </nav>
        <span class="who">
          {session.user} ({session.role})
          <button type="button" class="link" onClick={logout}>
            Log out
          </button>
        </span>
      </header>
      <main key={path}>{route.page(segments.slice(1))}</main>
    </div>
  );
}

render(<App />, document.getElementById("app")!);
