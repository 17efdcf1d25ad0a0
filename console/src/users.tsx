// Users (admins only): the admin users of /api/v1/users — add with a role,
// set a password, delete (never the last admin: the API answers 409).
import { useState } from "preact/hooks";
import { api, currentSession } from "./api";
import { Confirm, ErrorText, Field, fmtTime, Loading, Modal, p, useAction, useApi } from "./ui";

interface User {
  name: string;
  role: "admin" | "viewer";
  createdMs: number;
}

const namePattern = /^[A-Za-z0-9_.@-]{1,64}$/;

/** The checks the API makes, made first (its message is shown if it refuses). */
function passwordProblem(password: string, repeat: string): string {
  if (password.length < 8) return "At least 8 characters.";
  if (password.length > 1024) return "At most 1,024 characters.";
  if (password !== repeat) return "The two passwords differ.";
  return "";
}

/** A new password typed twice; `label` names the first field. */
function PasswordFields(props: {
  label: string;
  password: string;
  repeat: string;
  error: string;
  autoFocus?: boolean;
  onPassword: (v: string) => void;
  onRepeat: (v: string) => void;
}) {
  return (
    <>
      <Field label={props.label} error={props.error}>
        <input
          type="password"
          autoComplete="new-password"
          value={props.password}
          onInput={(e) => props.onPassword(e.currentTarget.value)}
          autoFocus={props.autoFocus}
        />
      </Field>
      <Field label="Repeat the password">
        <input
          type="password"
          autoComplete="new-password"
          value={props.repeat}
          onInput={(e) => props.onRepeat(e.currentTarget.value)}
        />
      </Field>
    </>
  );
}

/** Cancel and the submit button, which says what it is doing while busy. */
function FormButtons(props: { busy: boolean; action: string; doing: string; onCancel: () => void }) {
  return (
    <div class="buttons">
      <button type="button" onClick={props.onCancel}>
        Cancel
      </button>
      <button type="submit" disabled={props.busy}>
        {props.busy ? props.doing : props.action}
      </button>
    </div>
  );
}

function AddUser(props: { onClose: () => void; onDone: () => void }) {
  const [name, setName] = useState("");
  const [role, setRole] = useState<"admin" | "viewer">("viewer");
  const [password, setPassword] = useState("");
  const [repeat, setRepeat] = useState("");
  const [checked, setChecked] = useState(false);
  const { busy, error, run } = useAction();
  const nameError = namePattern.test(name) ? "" : "1–64 letters, digits and _ . @ -";
  const passwordError = passwordProblem(password, repeat);

  async function submit(e: Event) {
    e.preventDefault();
    setChecked(true);
    if (nameError || passwordError) return;
    const ok = await run(() => api("POST", "/api/v1/users", { name, role, password }));
    if (ok) {
      props.onDone();
      props.onClose();
    }
  }

  return (
    <Modal title="Add a user" onClose={props.onClose}>
      <form onSubmit={submit} noValidate>
        <Field label="Name" error={checked ? nameError : ""}>
          <input value={name} onInput={(e) => setName(e.currentTarget.value)} autoFocus />
        </Field>
        <Field label="Role" hint="A viewer reads everything and changes nothing.">
          <select value={role} onChange={(e) => setRole(e.currentTarget.value as User["role"])}>
            <option value="viewer">viewer</option>
            <option value="admin">admin</option>
          </select>
        </Field>
        <PasswordFields
          label="Password"
          password={password}
          repeat={repeat}
          error={checked ? passwordError : ""}
          onPassword={setPassword}
          onRepeat={setRepeat}
        />
        <ErrorText error={error} />
        <FormButtons busy={busy} action="Add user" doing="Adding…" onCancel={props.onClose} />
      </form>
    </Modal>
  );
}

function SetPassword(props: { user: string; onClose: () => void }) {
  const [password, setPassword] = useState("");
  const [repeat, setRepeat] = useState("");
  const [checked, setChecked] = useState(false);
  const [done, setDone] = useState(false);
  const { busy, error, run } = useAction();
  const problem = passwordProblem(password, repeat);

  async function submit(e: Event) {
    e.preventDefault();
    setChecked(true);
    if (problem) return;
    const ok = await run(() => api("PUT", p("users", props.user, "password"), { password }));
    if (ok) setDone(true);
  }

  return (
    <Modal title={`New password for ${props.user}`} onClose={props.onClose}>
      {done ? (
        <>
          <p role="status">Password changed; the user's sessions have ended.</p>
          <div class="buttons">
            <button type="button" onClick={props.onClose}>
              Close
            </button>
          </div>
        </>
      ) : (
        <form onSubmit={submit} noValidate>
          <PasswordFields
            label="New password"
            password={password}
            repeat={repeat}
            error={checked ? problem : ""}
            autoFocus
            onPassword={setPassword}
            onRepeat={setRepeat}
          />
          <ErrorText error={error} />
          <FormButtons
            busy={busy}
            action="Set password"
            doing="Saving…"
            onCancel={props.onClose}
          />
        </form>
      )}
    </Modal>
  );
}

export function UsersPage() {
  const list = useApi<{ items: User[]; total: number }>("/api/v1/users");
  const [dialog, setDialog] = useState<
    { kind: "add" } | { kind: "password"; user: string } | { kind: "delete"; user: string } | null
  >(null);
  const me = currentSession()?.user;

  return (
    <section aria-labelledby="users-title">
      <h1 id="users-title">Users</h1>
      <div class="toolbar">
        <button type="button" onClick={() => setDialog({ kind: "add" })}>
          Add user
        </button>
      </div>
      <ErrorText error={list.error} />
      <Loading when={list.loading && !list.data} />
      {list.data && (
        <div class="table-wrap">
          <table class="list" aria-label="Users">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Role</th>
                <th scope="col">Created</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {list.data.items.map((u) => (
                <tr>
                  <td>
                    {u.name}
                    {u.name === me && <span class="hint"> (you)</span>}
                  </td>
                  <td>
                    <span class="badge">{u.role}</span>
                  </td>
                  <td>{fmtTime(u.createdMs)}</td>
                  <td class="row-actions">
                    <button
                      type="button"
                      aria-label={`Set the password of ${u.name}`}
                      onClick={() => setDialog({ kind: "password", user: u.name })}
                    >
                      Set password
                    </button>{" "}
                    <button
                      type="button"
                      class="danger"
                      aria-label={`Delete ${u.name}`}
                      onClick={() => setDialog({ kind: "delete", user: u.name })}
                    >
                      Delete
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {dialog?.kind === "add" && <AddUser onClose={() => setDialog(null)} onDone={list.reload} />}
      {dialog?.kind === "password" && (
        <SetPassword user={dialog.user} onClose={() => setDialog(null)} />
      )}
      {dialog?.kind === "delete" && (
        <Confirm
          title={`Delete ${dialog.user}?`}
          text="The user's sessions end at once. This cannot be undone."
          action="Delete user"
          onConfirm={async () => {
            await api("DELETE", p("users", dialog.user));
            list.reload();
          }}
          onClose={() => setDialog(null)}
        />
      )}
    </section>
  );
}
