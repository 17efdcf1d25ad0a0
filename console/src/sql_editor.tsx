// The rules SQL editor: a highlighted <pre> (sql_highlight.ts) layered under
// a transparent <textarea> that keeps the browser's own editing, caret,
// selection, undo and keyboard; the two scroll together. An error position
// (line, column from the API) marks its line and character and puts the
// caret there.
import { useEffect, useLayoutEffect, useMemo, useRef } from "preact/hooks";
import { highlightLines, offsetOf, Piece, SqlError } from "./sql_highlight";

/** One line's pieces, the error character (if on this line) wrapped in a <mark>. */
function renderLine(pieces: Piece[], errorAt: number | null) {
  if (errorAt === null) return pieces.map((p) => <span class={"sql-" + p.kind}>{p.text}</span>);
  const out = [];
  let pos = 0;
  let marked = false;
  for (const p of pieces) {
    const end = pos + p.text.length;
    if (!marked && errorAt >= pos && errorAt < end) {
      const cut = errorAt - pos;
      const cp = p.text.codePointAt(cut) ?? 0;
      const len = cp > 0xffff ? 2 : 1;
      if (cut > 0) out.push(<span class={"sql-" + p.kind}>{p.text.slice(0, cut)}</span>);
      out.push(
        <mark class={"sql-error-at sql-" + p.kind}>{p.text.slice(cut, cut + len)}</mark>,
      );
      if (cut + len < p.text.length)
        out.push(<span class={"sql-" + p.kind}>{p.text.slice(cut + len)}</span>);
      marked = true;
    } else {
      out.push(<span class={"sql-" + p.kind}>{p.text}</span>);
    }
    pos = end;
  }
  // Past the end of the line (an unexpected end): mark the place after it.
  if (!marked) out.push(<mark class="sql-error-at sql-error-end"> </mark>);
  return out;
}

export function SqlEditor(props: {
  id?: string;
  value: string;
  onInput: (sql: string) => void;
  /** The position to mark; a new object moves the caret there. */
  error: SqlError | null;
  readOnly?: boolean;
  label?: string;
}) {
  const area = useRef<HTMLTextAreaElement>(null);
  const code = useRef<HTMLElement>(null);
  const lines = useMemo(() => highlightLines(props.value), [props.value]);
  const err = props.error;
  const errorLine = err ? Math.min(Math.max(err.line, 1), lines.length) : 0;
  const errorAt = useMemo(() => {
    if (!err) return null;
    const lineStart = offsetOf(props.value, errorLine, 1);
    return offsetOf(props.value, errorLine, err.column) - lineStart;
  }, [err, props.value, errorLine]);

  const sync = () => {
    const a = area.current;
    const c = code.current;
    if (a && c) c.style.transform = `translate(${-a.scrollLeft}px, ${-a.scrollTop}px)`;
  };
  useLayoutEffect(sync, [props.value]);

  // A new error: the caret to its place, the line scrolled into view.
  useEffect(() => {
    const a = area.current;
    if (!err || !a) return;
    const at = offsetOf(props.value, err.line, err.column);
    a.focus({ preventScroll: true });
    a.setSelectionRange(at, at);
    const lineHeight = parseFloat(getComputedStyle(a).lineHeight) || 20;
    const top = (errorLine - 1) * lineHeight;
    if (top < a.scrollTop || top > a.scrollTop + a.clientHeight - 2 * lineHeight)
      a.scrollTop = Math.max(0, top - a.clientHeight / 2);
    sync();
  }, [err]);

  return (
    <div class={"sql-editor" + (err ? " has-error" : "")}>
      <pre class="sql-hl" aria-hidden="true">
        <code ref={code}>
          {lines.map((pieces, k) => (
            <span
              class={"sql-line" + (k + 1 === errorLine ? " sql-error-line" : "")}
              data-line={k + 1}
            >
              {pieces.length === 0 && k + 1 !== errorLine
                ? " "
                : renderLine(pieces, k + 1 === errorLine ? errorAt : null)}
            </span>
          ))}
        </code>
      </pre>
      <textarea
        id={props.id}
        ref={area}
        class="sql-input"
        aria-label={props.label}
        aria-invalid={err ? "true" : undefined}
        value={props.value}
        readOnly={props.readOnly}
        rows={Math.min(18, Math.max(5, lines.length + 1))}
        wrap="off"
        spellcheck={false}
        autocomplete="off"
        autocapitalize="off"
        onInput={(e) => props.onInput(e.currentTarget.value)}
        onScroll={sync}
      />
    </div>
  );
}
