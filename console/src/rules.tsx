// Placeholder: being written (issue 13).
export function RulesPage(props: { rest: string[] }) {
  void props;
  return (
    <section>
      <h1>Rules</h1>
      <p class="hint">Not written yet.</p>
    </section>
  );
}
