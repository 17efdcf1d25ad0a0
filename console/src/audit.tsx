// Placeholder: being written (issue 13).
export function AuditPage() {
  return (
    <section>
      <h1>Audit</h1>
      <p class="hint">Not written yet.</p>
    </section>
  );
}
