// Placeholder: being written (issue 13).
export function TracePage() {
  return (
    <section>
      <h1>Trace</h1>
      <p class="hint">Not written yet.</p>
    </section>
  );
}
