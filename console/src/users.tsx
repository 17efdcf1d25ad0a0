// Placeholder: being written (issue 13).
export function UsersPage() {
  return (
    <section>
      <h1>Users</h1>
      <p class="hint">Not written yet.</p>
    </section>
  );
}
