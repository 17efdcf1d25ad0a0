// The console's shell: hash routes (#/overview, …) so that no console path
// can collide with the API's, the login gate, and the navigation.
import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import { currentSession, logout, onSessionChange } from "./api";
import { LoginPage } from "./login";
import { OverviewPage } from "./overview";
import "./style.css";

interface Route {
  path: string;
  title: string;
  page: () => preact.JSX.Element;
}

const routes: Route[] = [{ path: "overview", title: "Overview", page: () => <OverviewPage /> }];

function currentPath(): string {
  return location.hash.replace(/^#\/?/, "").split("?")[0] || "overview";
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
  const route = routes.find((r) => r.path === path.split("/")[0]) ?? routes[0];
  return (
    <div class="shell">
      <header class="bar">
        <span class="brand">iotbroker</span>
        <nav aria-label="Main">
          {routes.map((r) => (
            <a href={"#/" + r.path} aria-current={r === route ? "page" : undefined}>
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
      <main>{route.page()}</main>
    </div>
  );
}

render(<App />, document.getElementById("app")!);
