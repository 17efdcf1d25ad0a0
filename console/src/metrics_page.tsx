// Placeholder: being written (issue 13).
export function MetricsPage() {
  return (
    <section>
      <h1>Metrics</h1>
      <p class="hint">Not written yet.</p>
    </section>
  );
}
