// The console's only way to the broker: the public admin API (SPEC §12)
// and its live WebSocket. Nothing here is private to the console.

export type Role = "admin" | "viewer";

export interface Session {
  user: string;
  token: string;
  role: Role;
  expiresAt: number;
}

/** An API error: the HTTP status and the body's {code, message}. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const storageKey = "iotbroker.session";

function loadSession(): Session | null {
  try {
    const s = JSON.parse(sessionStorage.getItem(storageKey) ?? "null") as Session | null;
    return s && s.expiresAt > Date.now() ? s : null;
  } catch {
    return null;
  }
}

let session: Session | null = loadSession();
const listeners = new Set<() => void>();

export function currentSession(): Session | null {
  if (session && session.expiresAt <= Date.now()) setSession(null);
  return session;
}

export function onSessionChange(f: () => void): () => void {
  listeners.add(f);
  return () => listeners.delete(f);
}

function setSession(s: Session | null) {
  session = s;
  if (s) sessionStorage.setItem(storageKey, JSON.stringify(s));
  else sessionStorage.removeItem(storageKey);
  listeners.forEach((f) => f());
}

export function logout() {
  setSession(null);
}

async function errorOf(r: Response): Promise<ApiError> {
  let code = "http_" + r.status;
  let message = r.statusText || "request failed";
  try {
    const body = (await r.json()) as { code?: string; message?: string };
    code = body.code ?? code;
    message = body.message ?? message;
  } catch {
    // not JSON: keep the status line
  }
  return new ApiError(r.status, code, message);
}

/** POST /api/v1/login; the token is kept for this browser tab only. */
export async function login(username: string, password: string): Promise<Session> {
  const r = await fetch("/api/v1/login", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ username, password }),
  });
  if (!r.ok) throw await errorOf(r);
  const body = (await r.json()) as { token: string; role: Role; expiresAt: number | string };
  const expiresAt =
    typeof body.expiresAt === "number" ? body.expiresAt : Date.parse(body.expiresAt);
  const s: Session = { user: username, token: body.token, role: body.role, expiresAt };
  setSession(s);
  return s;
}

/** One API call with the session's token; a 401 ends the session. */
export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const s = currentSession();
  const headers: Record<string, string> = {};
  if (s) headers["Authorization"] = "Bearer " + s.token;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const r = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (r.status === 401) setSession(null);
  if (!r.ok) throw await errorOf(r);
  if (r.status === 204) return undefined as T;
  return (await r.json()) as T;
}

/** The live WebSocket (/api/v1/ws), authenticated with ?token=. */
export function liveSocket(): WebSocket {
  const s = currentSession();
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  const token = s ? "?token=" + encodeURIComponent(s.token) : "";
  return new WebSocket(`${scheme}//${location.host}/api/v1/ws${token}`);
}

/**
 * One live subscription ({"subscribe": what}) on its own socket: each JSON
 * frame goes to `onFrame`; reconnects 2 s after a drop and subscribes
 * again; `onState` hears whether it is connected. Returns the stop function.
 */
export function subscribeLive(
  what: "metrics" | "events",
  onFrame: (frame: { type: string } & Record<string, unknown>) => void,
  onState: (connected: boolean) => void,
): () => void {
  let ws: WebSocket | null = null;
  let stopped = false;
  let retry: number | undefined;
  const open = () => {
    ws = liveSocket();
    ws.onopen = () => {
      onState(true);
      ws?.send(JSON.stringify({ subscribe: what }));
    };
    ws.onmessage = (e) => {
      let m: { type: string } & Record<string, unknown>;
      try {
        m = JSON.parse(String(e.data));
      } catch {
        return;
      }
      onFrame(m);
    };
    ws.onclose = () => {
      onState(false);
      if (!stopped) retry = window.setTimeout(open, 2000);
    };
  };
  open();
  return () => {
    stopped = true;
    window.clearTimeout(retry);
    ws?.close();
  };
}
