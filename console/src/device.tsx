// Placeholder: being written (issue 13).
export function DevicePage(props: { productKey: string; deviceName: string }) {
  void props;
  return (
    <section>
      <h1>Device</h1>
      <p class="hint">Not written yet.</p>
    </section>
  );
}
