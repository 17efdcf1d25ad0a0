// The rule editor's live test: runs the SQL on a sample topic and payload
// (POST /api/v1/rules/test, no action runs) and shows what the actions would get.
import { useState } from "preact/hooks";
import { api } from "./api";
import { fromTopic, parseSqlError, SqlError } from "./sql_highlight";
import { ErrorText, Field, messageOf, pretty, useAction } from "./ui";

interface TestResult {
  matched: boolean;
  fromMatched: boolean;
  result: "passed" | "no_result" | "exception";
  output?: unknown;
  error?: string;
}

/** A topic the FROM filter matches: each + and # replaced by a level. */
function sampleTopic(sql: string): string {
  const f = fromTopic(sql);
  if (!f) return "";
  return f
    .split("/")
    .map((l) => (l === "+" || l === "#" ? "test" : l))
    .join("/");
}

export function TestPanel(props: { sql: string; onSqlError: (e: SqlError | null) => void }) {
  const [topic, setTopic] = useState("");
  const [payload, setPayload] = useState('{\n  "temperature": 25.5,\n  "humidity": 61\n}');
  const [clientId, setClientId] = useState("");
  const [result, setResult] = useState<TestResult | null>(null);
  const test = useAction();
  const suggested = sampleTopic(props.sql);

  let payloadNote = "";
  try {
    JSON.parse(payload);
  } catch (e) {
    payloadNote = "Not JSON: sent as text (fields read as missing). " + messageOf(e);
  }

  const run = async (ev: Event) => {
    ev.preventDefault();
    setResult(null);
    const t = topic.trim() || suggested;
    if (!topic.trim() && t) setTopic(t);
    const body: Record<string, unknown> = { sql: props.sql, topic: t, payload };
    if (clientId.trim()) body.clientId = clientId.trim();
    const r = await test.run(async () => {
      if (!t) throw new Error("Give a topic to test with.");
      try {
        return await api<TestResult>("POST", "/api/v1/rules/test", body);
      } catch (e) {
        const m = parseSqlError(messageOf(e));
        if (m && messageOf(e).startsWith("sql:")) props.onSqlError(m);
        throw e;
      }
    });
    if (r) {
      props.onSqlError(null);
      setResult(r);
    }
  };

  return (
    <form class="card test-panel" onSubmit={run} aria-labelledby="test-title">
      <h2 id="test-title">Test</h2>
      <p class="hint">Runs the SQL above on a sample message; no action runs.</p>
      <Field label="Topic">
        <input
          value={topic}
          placeholder={suggested}
          onInput={(e) => setTopic(e.currentTarget.value)}
        />
      </Field>
      <Field label="Payload" hint={payloadNote || "JSON"}>
        <textarea rows={6} value={payload} onInput={(e) => setPayload(e.currentTarget.value)} />
      </Field>
      <Field label="Client ID (optional)">
        <input value={clientId} onInput={(e) => setClientId(e.currentTarget.value)} />
      </Field>
      <div class="buttons">
        <button type="submit" disabled={test.busy}>
          {test.busy ? "Testing…" : "Run test"}
        </button>
      </div>
      <ErrorText error={test.error} />
      {result && (
        <div class="test-result" role="status" aria-label="Test result">
          <p>
            <span
              class={"badge " + (result.matched ? "online" : "disabled")}
              data-matched={String(result.matched)}
            >
              {result.matched ? "matched" : "not matched"}
            </span>{" "}
            {!result.fromMatched
              ? "The topic does not match the FROM filter."
              : result.result === "no_result"
                ? "WHERE filtered the message out."
                : result.result === "exception"
                  ? "The evaluation failed."
                  : "The actions would get:"}
          </p>
          {result.error && <p class="error">{result.error}</p>}
          {result.output !== undefined && <pre class="test-output">{pretty(result.output)}</pre>}
        </div>
      )}
    </form>
  );
}
