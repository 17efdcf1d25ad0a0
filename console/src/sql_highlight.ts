// A small tokenizer for the rules SQL (docs/rules.md "Lexical rules") for
// the console's editor: keywords, 'strings', "quoted" and `quoted` names,
// numbers, fields, function calls, operators, punctuation and comments.
// It never fails: an unterminated string or comment runs to the end, and a
// character it does not know is an "error" token.

export type TokenKind =
  | "keyword"
  | "string"
  | "name" // "double-quoted" or `back-quoted`: the FROM topic, odd field names
  | "number"
  | "ident"
  | "function"
  | "operator"
  | "punct"
  | "comment"
  | "space"
  | "error";

export interface Token {
  kind: TokenKind;
  text: string;
  /** Offset in the text (UTF-16 units, as a textarea's selection). */
  start: number;
}

export const keywords = new Set([
  "SELECT", "FROM", "WHERE", "AS", "AND", "OR", "NOT", "IN", "LIKE", "ESCAPE", "IS", "NULL",
  "TRUE", "FALSE", "CASE", "WHEN", "THEN", "ELSE", "END",
]);

const operators = ["<>", "!=", "<=", ">=", "||", "=", "<", ">", "+", "-", "*", "/", "%"];
const punctuation = "(),.[]{}:;";

function isIdentStart(c: string): boolean {
  return /[A-Za-z_$\u0080-\uffff]/.test(c);
}

function isIdentPart(c: string): boolean {
  return /[A-Za-z0-9_$\u0080-\uffff]/.test(c);
}

function isDigit(c: string | undefined): boolean {
  return c !== undefined && c >= "0" && c <= "9";
}

/** The tokens of `sql`, covering every character in order. */
export function tokenize(sql: string): Token[] {
  const out: Token[] = [];
  const n = sql.length;
  let i = 0;
  const push = (kind: TokenKind, end: number) => {
    out.push({ kind, text: sql.slice(i, end), start: i });
    i = end;
  };
  while (i < n) {
    const c = sql[i];
    const next = sql[i + 1];
    if (/\s/.test(c)) {
      let j = i + 1;
      while (j < n && /\s/.test(sql[j])) ++j;
      push("space", j);
    } else if (c === "-" && next === "-") {
      const j = sql.indexOf("\n", i);
      push("comment", j < 0 ? n : j);
    } else if (c === "/" && next === "*") {
      const j = sql.indexOf("*/", i + 2);
      push("comment", j < 0 ? n : j + 2);
    } else if (c === "'" || c === '"' || c === "`") {
      // A doubled quote stands for itself ('it''s').
      let j = i + 1;
      for (;;) {
        const k = sql.indexOf(c, j);
        if (k < 0) {
          j = n;
          break;
        }
        if (sql[k + 1] === c) {
          j = k + 2;
          continue;
        }
        j = k + 1;
        break;
      }
      push(c === "'" ? "string" : "name", j);
    } else if (isDigit(c) || (c === "." && isDigit(next))) {
      let j = i;
      if (c === "0" && (next === "x" || next === "X")) {
        j += 2;
        while (j < n && /[0-9A-Fa-f]/.test(sql[j])) ++j;
      } else {
        while (j < n && isDigit(sql[j])) ++j;
        if (sql[j] === "." && isDigit(sql[j + 1])) {
          ++j;
          while (j < n && isDigit(sql[j])) ++j;
        } else if (sql[j] === "." && j > i && !isIdentStart(sql[j + 1] ?? "")) {
          ++j; // "1." is a number
        }
        if ((sql[j] === "e" || sql[j] === "E") && (isDigit(sql[j + 1]) ||
            ((sql[j + 1] === "+" || sql[j + 1] === "-") && isDigit(sql[j + 2])))) {
          j += 2;
          while (j < n && isDigit(sql[j])) ++j;
        }
      }
      push("number", j);
    } else if (isIdentStart(c)) {
      let j = i + 1;
      while (j < n && isIdentPart(sql[j])) ++j;
      const word = sql.slice(i, j);
      // A name followed by "(" (spaces allowed) is a call.
      let k = j;
      while (k < n && (sql[k] === " " || sql[k] === "\t")) ++k;
      const prev = lastSignificant(out);
      const afterDot = prev?.kind === "punct" && prev.text === ".";
      if (keywords.has(word.toUpperCase()) && !afterDot) push("keyword", j);
      else if (sql[k] === "(" && !afterDot) push("function", j);
      else push("ident", j);
    } else {
      const op = operators.find((o) => sql.startsWith(o, i));
      if (op) push("operator", i + op.length);
      else if (punctuation.includes(c)) push("punct", i + 1);
      else push("error", i + 1);
    }
  }
  return out;
}

function lastSignificant(tokens: Token[]): Token | undefined {
  for (let k = tokens.length - 1; k >= 0; --k)
    if (tokens[k].kind !== "space" && tokens[k].kind !== "comment") return tokens[k];
  return undefined;
}

/** A token cut into the pieces on each line (a comment or string may span lines). */
export interface Piece {
  kind: TokenKind;
  text: string;
}

/** The tokens of `sql` by line (split at "\n"; the newlines themselves left out). */
export function highlightLines(sql: string): Piece[][] {
  const lines: Piece[][] = [[]];
  for (const t of tokenize(sql)) {
    const parts = t.text.split("\n");
    parts.forEach((part, k) => {
      if (k > 0) lines.push([]);
      if (part) lines[lines.length - 1].push({ kind: t.kind, text: part });
    });
  }
  return lines;
}

/**
 * The offset (UTF-16 units) of a 1-based line and column, columns counting
 * characters (code points) as the broker's errors do; clamped to the text.
 */
export function offsetOf(sql: string, line: number, column: number): number {
  let offset = 0;
  for (let l = 1; l < line; ++l) {
    const nl = sql.indexOf("\n", offset);
    if (nl < 0) return sql.length;
    offset = nl + 1;
  }
  const end = sql.indexOf("\n", offset) < 0 ? sql.length : sql.indexOf("\n", offset);
  for (let c = 1; c < column && offset < end; ++c) {
    const code = sql.codePointAt(offset) ?? 0;
    offset += code > 0xffff ? 2 : 1;
  }
  return offset;
}

/** The FROM topic filter of a statement, if it has a quoted one. */
export function fromTopic(sql: string): string | undefined {
  const tokens = tokenize(sql).filter((t) => t.kind !== "space" && t.kind !== "comment");
  const k = tokens.findIndex((t) => t.kind === "keyword" && t.text.toUpperCase() === "FROM");
  const t = tokens[k + 1];
  if (k < 0 || !t || (t.kind !== "name" && t.kind !== "string") || t.text.length < 2) return;
  const q = t.text[0];
  return t.text.slice(1, -1).split(q + q).join(q);
}

/** An error position in an API message: "sql: line 2, column 7: …". */
export interface SqlError {
  line: number;
  column: number;
  message: string;
}

export function parseSqlError(message: string): SqlError | null {
  const m = /line (\d+), column (\d+): ?([\s\S]*)$/.exec(message);
  if (!m) return null;
  return { line: Number(m[1]), column: Number(m[2]), message: m[3] };
}
