// Login: POST /api/v1/login; the API's message is shown on failure.
import { useState } from "preact/hooks";
import { ApiError, login } from "./api";

export function LoginPage() {
  const [user, setUser] = useState("admin");
  const [password, setPassword] = useState("");
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);

  async function submit(e: Event) {
    e.preventDefault();
    if (!user.trim() || !password) {
      setError("Enter a user name and a password.");
      return;
    }
    setBusy(true);
    setError("");
    try {
      await login(user.trim(), password);
    } catch (err) {
      setError(
        err instanceof ApiError && err.status === 401
          ? "Wrong user name or password."
          : err instanceof Error
            ? err.message
            : String(err),
      );
    } finally {
      setBusy(false);
    }
  }

  return (
    <main class="login">
      <form onSubmit={submit} aria-labelledby="login-title" noValidate>
        <h1 id="login-title">iotbroker</h1>
        <label>
          User
          <input
            name="username"
            autoComplete="username"
            value={user}
            onInput={(e) => setUser(e.currentTarget.value)}
            required
          />
        </label>
        <label>
          Password
          <input
            name="password"
            type="password"
            autoComplete="current-password"
            value={password}
            onInput={(e) => setPassword(e.currentTarget.value)}
            required
          />
        </label>
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" disabled={busy}>
          {busy ? "Logging in…" : "Log in"}
        </button>
        <p class="hint">
          The first start writes the password of <code>admin</code> to{" "}
          <code>&lt;data-dir&gt;/initial-admin-password</code>.
        </p>
      </form>
    </main>
  );
}
