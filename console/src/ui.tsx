// What every page shares: API loading state, the viewer's read-only rule,
// errors, paging, dialogs, labelled form fields, times in the browser's
// zone, and hash navigation with parameters.
import type { ComponentChildren } from "preact";
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { api, ApiError, currentSession } from "./api";

/** Only admins change things; a viewer sees no button that would. */
export function canChange(): boolean {
  return currentSession()?.role === "admin";
}

/** Renders its children only for a caller who may change things. */
export function Admin(props: { children: ComponentChildren }) {
  return canChange() ? <>{props.children}</> : null;
}

export interface Loaded<T> {
  data: T | undefined;
  error: string;
  loading: boolean;
  reload: () => void;
}

/** GET `path` (null: nothing yet); reloads when `path` changes. */
export function useApi<T>(path: string | null): Loaded<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState("");
  const [loading, setLoading] = useState(false);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    if (path === null) return;
    let live = true;
    setLoading(true);
    api<T>("GET", path)
      .then((d) => {
        if (!live) return;
        setData(d);
        setError("");
      })
      .catch((e: unknown) => live && setError(messageOf(e)))
      .finally(() => live && setLoading(false));
    return () => {
      live = false;
    };
  }, [path, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data, error, loading, reload };
}

/** The API's message (or the exception's) for people. */
export function messageOf(e: unknown): string {
  if (e instanceof ApiError) return e.message;
  if (e instanceof Error) return e.message;
  return String(e);
}

/**
 * Runs an action with a busy flag and its error: `run(f)` returns what `f`
 * returns, or undefined when it threw (the error is then shown).
 */
export function useAction() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState("");
  const run = useCallback(async <R,>(f: () => Promise<R>): Promise<R | undefined> => {
    setBusy(true);
    setError("");
    try {
      return await f();
    } catch (e) {
      setError(messageOf(e));
      return undefined;
    } finally {
      setBusy(false);
    }
  }, []);
  return { busy, error, setError, run };
}

export function ErrorText(props: { error: string }) {
  return props.error ? (
    <p class="error" role="alert">
      {props.error}
    </p>
  ) : null;
}

export function Loading(props: { when: boolean }) {
  return props.when ? (
    <p class="hint" role="status" aria-live="polite">
      Loading…
    </p>
  ) : null;
}

/** A labelled control with its validation message. */
export function Field(props: {
  label: string;
  error?: string;
  hint?: string;
  children: ComponentChildren;
}) {
  // The hint and the error stay outside the label: the control's accessible
  // name is the label alone; the error is announced when it appears.
  return (
    <div class="field">
      <label>
        <span>{props.label}</span>
        {props.children}
      </label>
      {props.hint && <small class="hint">{props.hint}</small>}
      {props.error && (
        <small class="error" role="status">
          {props.error}
        </small>
      )}
    </div>
  );
}

/** Page n of `total` items, `limit` a page (1-based pages, as the API). */
export function Pager(props: {
  page: number;
  limit: number;
  total: number;
  onPage: (page: number) => void;
}) {
  const pages = Math.max(1, Math.ceil(props.total / props.limit));
  return (
    <nav class="pager" aria-label="Pages">
      <button type="button" disabled={props.page <= 1} onClick={() => props.onPage(props.page - 1)}>
        Previous
      </button>
      <span>
        Page {props.page} of {pages.toLocaleString()} ({props.total.toLocaleString()} in all)
      </span>
      <button
        type="button"
        disabled={props.page >= pages}
        onClick={() => props.onPage(props.page + 1)}
      >
        Next
      </button>
    </nav>
  );
}

/** A modal dialog (the native <dialog>: focus trap and Escape for free). */
export function Modal(props: { title: string; onClose: () => void; children: ComponentChildren }) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const d = ref.current!;
    if (!d.open) d.showModal();
    const close = () => props.onClose();
    d.addEventListener("close", close);
    return () => d.removeEventListener("close", close);
  }, []);
  return (
    <dialog ref={ref} aria-labelledby="modal-title" class="modal">
      <h2 id="modal-title">{props.title}</h2>
      {props.children}
    </dialog>
  );
}

/** "Really?" with a named button; `onConfirm` may be async (shows progress). */
export function Confirm(props: {
  title: string;
  text: string;
  action: string;
  onConfirm: () => Promise<unknown>;
  onClose: () => void;
}) {
  const { busy, error, run } = useAction();
  return (
    <Modal title={props.title} onClose={props.onClose}>
      <p>{props.text}</p>
      <ErrorText error={error} />
      <div class="buttons">
        <button type="button" onClick={props.onClose}>
          Cancel
        </button>
        <button
          type="button"
          class="danger"
          disabled={busy}
          onClick={async () => {
            const ok = await run(async () => {
              await props.onConfirm();
              return true;
            });
            if (ok) props.onClose();
          }}
        >
          {busy ? "Working…" : props.action}
        </button>
      </div>
    </Modal>
  );
}

/** A time in the browser's zone (UTC milliseconds in); "—" for 0. */
export function fmtTime(ms: number | undefined): string {
  if (!ms) return "—";
  return new Date(ms).toLocaleString([], { hour12: false });
}

/** Copies to the clipboard; falls back to selecting nothing on refusal. */
export async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    return false;
  }
}

/** The hash route's segments and query: "#/devices/pk/dn?x=1". */
export function hashRoute(): { segments: string[]; query: URLSearchParams } {
  const h = location.hash.replace(/^#\/?/, "");
  const q = h.indexOf("?");
  const path = q < 0 ? h : h.slice(0, q);
  return {
    segments: path.split("/").filter(Boolean).map(decodeURIComponent),
    query: new URLSearchParams(q < 0 ? "" : h.slice(q + 1)),
  };
}

/** "#/devices/a%2Fb" from ["devices", "a/b"], with an optional query. */
export function href(segments: string[], query?: Record<string, string>): string {
  const qs = query ? new URLSearchParams(query).toString() : "";
  return "#/" + segments.map(encodeURIComponent).join("/") + (qs ? "?" + qs : "");
}

export function navigate(segments: string[], query?: Record<string, string>) {
  location.hash = href(segments, query);
}

/** A path's segments URL-encoded: p("products", pk, "devices"). */
export function p(...segments: string[]): string {
  return "/api/v1/" + segments.map(encodeURIComponent).join("/");
}

/** Pretty JSON for editors and displays. */
export function pretty(v: unknown): string {
  return JSON.stringify(v, null, 2);
}
