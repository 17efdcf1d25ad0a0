// Placeholder: being written (issue 13).
export function DevicesPage() {
  return (
    <section>
      <h1>Devices</h1>
      <p class="hint">Not written yet.</p>
    </section>
  );
}
