// Placeholder: being written (issue 13).
export function ProductsPage(props: { rest: string[] }) {
  void props;
  return (
    <section>
      <h1>Products</h1>
      <p class="hint">Not written yet.</p>
    </section>
  );
}
