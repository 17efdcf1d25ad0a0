// Unit tests of the rules SQL tokenizer (src/sql_highlight.ts): each token
// kind, bad input, the exact round trip (also on random input) and the lines
// for highlighting; sql_positions.test.ts tests its other helpers.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  fromTopic,
  highlightLines,
  keywords,
  offsetOf,
  parseSqlError,
  Token,
  TokenKind,
  tokenize,
} from "../src/sql_highlight";

const kinds: TokenKind[] = [
  "keyword",
  "string",
  "name",
  "number",
  "ident",
  "function",
  "operator",
  "punct",
  "comment",
  "space",
  "error",
];

/** The tokens as [kind, text] pairs, spaces left out. */
function sig(sql: string): [TokenKind, string][] {
  return tokenize(sql)
    .filter((t) => t.kind !== "space")
    .map((t): [TokenKind, string] => [t.kind, t.text]);
}

/** The tokens as [kind, text] pairs, spaces included. */
function all(sql: string): [TokenKind, string][] {
  return tokenize(sql).map((t): [TokenKind, string] => [t.kind, t.text]);
}

/** The tokens cover `sql` exactly: in order, none empty, each starting where the last ended. */
function assertCovers(sql: string, tokens: Token[] = tokenize(sql)): void {
  let at = 0;
  for (const t of tokens) {
    assert.ok(kinds.includes(t.kind), `unknown kind ${t.kind} in ${JSON.stringify(sql)}`);
    assert.ok(t.text.length > 0, `an empty token in ${JSON.stringify(sql)}`);
    assert.equal(t.start, at, `token start in ${JSON.stringify(sql)}`);
    assert.equal(sql.slice(t.start, t.start + t.text.length), t.text);
    at += t.text.length;
  }
  assert.equal(at, sql.length, `tokens cover ${JSON.stringify(sql)}`);
  assert.equal(tokens.map((t) => t.text).join(""), sql);
}

/** highlightLines keeps every character but the newlines, one array a line. */
function assertLines(sql: string): void {
  const lines = highlightLines(sql);
  assert.equal(lines.length, sql.split("\n").length, `line count of ${JSON.stringify(sql)}`);
  const text = lines.map((l) => l.map((piece) => piece.text).join("")).join("\n");
  assert.equal(text, sql);
  for (const l of lines) for (const piece of l) assert.ok(piece.text.length > 0);
}

describe("tokenize: token kinds", () => {
  test("keywords, in any case", () => {
    for (const k of keywords) {
      for (const word of [k, k.toLowerCase(), k[0] + k.slice(1).toLowerCase()])
        assert.deepEqual(all(word), [["keyword", word]]);
    }
    assert.deepEqual(sig("select * From t wHeRe x is not null"), [
      ["keyword", "select"],
      ["operator", "*"],
      ["keyword", "From"],
      ["ident", "t"],
      ["keyword", "wHeRe"],
      ["ident", "x"],
      ["keyword", "is"],
      ["keyword", "not"],
      ["keyword", "null"],
    ]);
  });

  test("a keyword's letters inside a longer name are a name", () => {
    assert.deepEqual(sig("selected fromage _and and_ end1"), [
      ["ident", "selected"],
      ["ident", "fromage"],
      ["ident", "_and"],
      ["ident", "and_"],
      ["ident", "end1"],
    ]);
  });

  test("a keyword after a dot is a field", () => {
    assert.deepEqual(sig("a.end.select"), [
      ["ident", "a"],
      ["punct", "."],
      ["ident", "end"],
      ["punct", "."],
      ["ident", "select"],
    ]);
    assert.deepEqual(sig("a . /* c */ from"), [
      ["ident", "a"],
      ["punct", "."],
      ["comment", "/* c */"],
      ["ident", "from"],
    ]);
  });

  test("'strings' with '' for a quote", () => {
    assert.deepEqual(all("'abc'"), [["string", "'abc'"]]);
    assert.deepEqual(all("''"), [["string", "''"]]);
    assert.deepEqual(all("'it''s'"), [["string", "'it''s'"]]);
    assert.deepEqual(all("''''"), [["string", "''''"]]);
    assert.deepEqual(sig("'a''' 'b'"), [
      ["string", "'a'''"],
      ["string", "'b'"],
    ]);
    assert.deepEqual(all("'a\nb -- c'"), [["string", "'a\nb -- c'"]]);
    assert.deepEqual(all(`'say "hi" and \`x\`'`), [["string", `'say "hi" and \`x\`'`]]);
  });

  test('"quoted" and `back-quoted` names', () => {
    assert.deepEqual(all('"sensors/#"'), [["name", '"sensors/#"']]);
    assert.deepEqual(all('"a""b"'), [["name", '"a""b"']]);
    assert.deepEqual(all("`odd name`"), [["name", "`odd name`"]]);
    assert.deepEqual(all("`a``b`"), [["name", "`a``b`"]]);
    assert.deepEqual(all("\"it's\""), [["name", "\"it's\""]]);
    assert.deepEqual(sig('"a"."b"'), [
      ["name", '"a"'],
      ["punct", "."],
      ["name", '"b"'],
    ]);
  });

  test("numbers: integers, decimals, exponents, hex", () => {
    for (const n of ["0", "42", "1.5", ".5", "1.", "1e10", "1E10", "2.5e-3", "1e+5", ".5E2"])
      assert.deepEqual(all(n), [["number", n]], n);
    for (const n of ["0x1F", "0XaBc", "0x0", "0x"]) assert.deepEqual(all(n), [["number", n]], n);
    assert.deepEqual(sig("x > -3.25"), [
      ["ident", "x"],
      ["operator", ">"],
      ["operator", "-"],
      ["number", "3.25"],
    ]);
  });

  test("numbers: where they end", () => {
    assert.deepEqual(sig("1e"), [
      ["number", "1"],
      ["ident", "e"],
    ]);
    assert.deepEqual(sig("1e+"), [
      ["number", "1"],
      ["ident", "e"],
      ["operator", "+"],
    ]);
    assert.deepEqual(sig("1.e5"), [
      ["number", "1"],
      ["punct", "."],
      ["ident", "e5"],
    ]);
    assert.deepEqual(sig("1.2.3"), [
      ["number", "1.2"],
      ["number", ".3"],
    ]);
    assert.deepEqual(sig("0x1Fg"), [
      ["number", "0x1F"],
      ["ident", "g"],
    ]);
    assert.deepEqual(sig("12abc"), [
      ["number", "12"],
      ["ident", "abc"],
    ]);
    assert.deepEqual(sig("1.)"), [
      ["number", "1."],
      ["punct", ")"],
    ]);
  });

  test("fields with dots and [index]", () => {
    assert.deepEqual(sig("a.b[0].c"), [
      ["ident", "a"],
      ["punct", "."],
      ["ident", "b"],
      ["punct", "["],
      ["number", "0"],
      ["punct", "]"],
      ["punct", "."],
      ["ident", "c"],
    ]);
    assert.deepEqual(sig("$ts _x température"), [
      ["ident", "$ts"],
      ["ident", "_x"],
      ["ident", "température"],
    ]);
  });

  test("function calls: a name before ( with spaces or tabs between", () => {
    assert.deepEqual(sig("upper(name)"), [
      ["function", "upper"],
      ["punct", "("],
      ["ident", "name"],
      ["punct", ")"],
    ]);
    assert.deepEqual(sig("abs \t(x)")[0], ["function", "abs"]);
    assert.deepEqual(sig("abs\n(x)")[0], ["ident", "abs"]);
    assert.deepEqual(sig("a.upper(x)")[2], ["ident", "upper"]);
    // A keyword stays a keyword before "(".
    assert.deepEqual(sig("NOT (x)")[0], ["keyword", "NOT"]);
    assert.deepEqual(sig("IN (1, 2)")[0], ["keyword", "IN"]);
  });

  test("operators, the two-character ones first", () => {
    for (const op of ["<>", "!=", "<=", ">=", "||", "=", "<", ">", "+", "-", "*", "/", "%"])
      assert.deepEqual(all(op), [["operator", op]], op);
    assert.deepEqual(sig("a<>b!=c<=d>=e||f"), [
      ["ident", "a"],
      ["operator", "<>"],
      ["ident", "b"],
      ["operator", "!="],
      ["ident", "c"],
      ["operator", "<="],
      ["ident", "d"],
      ["operator", ">="],
      ["ident", "e"],
      ["operator", "||"],
      ["ident", "f"],
    ]);
    assert.deepEqual(all("<<=>"), [
      ["operator", "<"],
      ["operator", "<="],
      ["operator", ">"],
    ]);
    assert.deepEqual(all("|||"), [
      ["operator", "||"],
      ["error", "|"],
    ]);
  });

  test("punctuation", () => {
    assert.deepEqual(
      all("(),.[]{}:;"),
      [..."(),.[]{}:;"].map((c): [TokenKind, string] => ["punct", c]),
    );
  });

  test("-- comments run to the end of the line", () => {
    assert.deepEqual(all("-- note\nSELECT"), [
      ["comment", "-- note"],
      ["space", "\n"],
      ["keyword", "SELECT"],
    ]);
    assert.deepEqual(all("--"), [["comment", "--"]]);
    assert.deepEqual(all("-- 'x' /* y"), [["comment", "-- 'x' /* y"]]);
    assert.deepEqual(all("a--b\r\nc"), [
      ["ident", "a"],
      ["comment", "--b\r"],
      ["space", "\n"],
      ["ident", "c"],
    ]);
  });

  test("/* */ comments, over lines", () => {
    assert.deepEqual(all("/* a\n b */x"), [
      ["comment", "/* a\n b */"],
      ["ident", "x"],
    ]);
    assert.deepEqual(all("/**/"), [["comment", "/**/"]]);
    assert.deepEqual(all("/*/ x */"), [["comment", "/*/ x */"]]);
    assert.deepEqual(all("/* a */ */"), [
      ["comment", "/* a */"],
      ["space", " "],
      ["operator", "*"],
      ["operator", "/"],
    ]);
  });

  test("white space: runs of spaces, tabs, CR, LF and others", () => {
    assert.deepEqual(all(" \t\r\n\f\v\u00a0\u2028x"), [
      ["space", " \t\r\n\f\v\u00a0\u2028"],
      ["ident", "x"],
    ]);
  });

  test("a character the language does not know is an error token", () => {
    for (const c of ["@", "#", "?", "!", "|", "&", "^", "~", "\\", "\u0000", "\u007f"])
      assert.deepEqual(all(c), [["error", c]], JSON.stringify(c));
    assert.deepEqual(sig("a @@ b"), [
      ["ident", "a"],
      ["error", "@"],
      ["error", "@"],
      ["ident", "b"],
    ]);
  });

  test("a whole statement", () => {
    const sql =
      "SELECT upper(d.name) AS n, t * 1.8 + 32 AS f -- to °F\n" +
      "FROM \"sensors/+/data\"\n" +
      "WHERE t >= 0x10 AND tags[0] <> 'it''s' /* done */";
    assert.deepEqual(sig(sql), [
      ["keyword", "SELECT"],
      ["function", "upper"],
      ["punct", "("],
      ["ident", "d"],
      ["punct", "."],
      ["ident", "name"],
      ["punct", ")"],
      ["keyword", "AS"],
      ["ident", "n"],
      ["punct", ","],
      ["ident", "t"],
      ["operator", "*"],
      ["number", "1.8"],
      ["operator", "+"],
      ["number", "32"],
      ["keyword", "AS"],
      ["ident", "f"],
      ["comment", "-- to °F"],
      ["keyword", "FROM"],
      ["name", '"sensors/+/data"'],
      ["keyword", "WHERE"],
      ["ident", "t"],
      ["operator", ">="],
      ["number", "0x10"],
      ["keyword", "AND"],
      ["ident", "tags"],
      ["punct", "["],
      ["number", "0"],
      ["punct", "]"],
      ["operator", "<>"],
      ["string", "'it''s'"],
      ["comment", "/* done */"],
    ]);
    assertCovers(sql);
  });
});

describe("tokenize: bad input and the exact round trip", () => {
  test("unterminated strings, names and comments run to the end", () => {
    assert.deepEqual(sig("x = 'abc"), [
      ["ident", "x"],
      ["operator", "="],
      ["string", "'abc"],
    ]);
    assert.deepEqual(all("'"), [["string", "'"]]);
    assert.deepEqual(all("'it''"), [["string", "'it''"]]);
    assert.deepEqual(all('"sensors/#'), [["name", '"sensors/#']]);
    assert.deepEqual(all("`a\nb"), [["name", "`a\nb"]]);
    assert.deepEqual(all("/* never closed\nSELECT"), [["comment", "/* never closed\nSELECT"]]);
    assert.deepEqual(all("/*"), [["comment", "/*"]]);
    assert.deepEqual(all("/*/"), [["comment", "/*/"]]);
  });

  test("empty input has no tokens and one empty line", () => {
    assert.deepEqual(tokenize(""), []);
    assert.deepEqual(highlightLines(""), [[]]);
  });

  const inputs = [
    "",
    " ",
    "\n",
    "\n\n",
    "SELECT * FROM \"t/#\"",
    "SELECT *\r\nFROM \"t/#\"\r\nWHERE a = 'x'\r\n",
    "-- only a comment\r\n",
    "'unterminated",
    "'unterminated\r\nover lines",
    '"unterminated',
    "`unterminated",
    "/* unterminated",
    "/* unterminated\r\n",
    "a /* b */ c -- d",
    "@#?!\\^~&|",
    "SELECT €, ¤, ‽ FROM \"x\"",
    "SELECT \"温度\", température, 😀 FROM \"sensors/😀\" WHERE x = '🌡️ °C'",
    "a\u0000b\u007fc",
    "\ud800 lone \udfff surrogates \ud83d",
    "0x 0X 1e 1e+ 1.e 1..2 .5.5 ..",
    "''''''",
    "'''",
    '""""',
    "````",
    "a.b[0].c[-1]",
    "f(g(h()))",
    "<><=>=!=||=",
    "---",
    "-/*-*/-",
    "\t\f\v\u00a0\u2028\u2029",
  ];

  test("concatenating the tokens' text gives the input back", () => {
    for (const sql of inputs) assertCovers(sql);
  });

  test("highlightLines keeps every character but the newlines", () => {
    for (const sql of inputs) assertLines(sql);
    assert.deepEqual(highlightLines("a\r\nb"), [
      [
        { kind: "ident", text: "a" },
        { kind: "space", text: "\r" },
      ],
      [{ kind: "ident", text: "b" }],
    ]);
    assert.deepEqual(highlightLines("/* a\nb */ c"), [
      [{ kind: "comment", text: "/* a" }],
      [
        { kind: "comment", text: "b */" },
        { kind: "space", text: " " },
        { kind: "ident", text: "c" },
      ],
    ]);
    assert.deepEqual(highlightLines("x\n"), [[{ kind: "ident", text: "x" }], []]);
  });

  test("offsets count UTF-16 units", () => {
    const tokens = tokenize("'😀' x");
    assert.deepEqual(
      tokens.map((t) => [t.kind, t.start]),
      [
        ["string", 0],
        ["space", 4],
        ["ident", 5],
      ],
    );
  });
});

// -- random input -----------------------------------------------------------------

/** mulberry32: a small seeded PRNG, so a failure can be reproduced. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Pieces, not characters: keywords and the start of every token kind, so
// random strings hit the interesting paths (an astral character stays whole
// except for the deliberate lone surrogates).
const alphabet = [
  ..."abcxyzEeXx_$019.",
  ..."'\"`",
  ..."-/*+<>=!|%",
  ..."()[]{},:;",
  ..." \t\r\n",
  ..."@#?\\^~&",
  "SELECT",
  "from",
  "Where",
  "AND",
  "0x",
  "1e",
  "--",
  "/*",
  "*/",
  "''",
  "é",
  "温",
  "😀",
  "\u00a0",
  "\u2028",
  "\ud800",
  "\udc00",
  "\u0000",
];

describe("tokenize: random input", () => {
  test("4,000 seeded random strings: no exception, exact round trip", () => {
    const random = prng(20240601);
    for (let n = 0; n < 4000; ++n) {
      const len = Math.floor(random() * 40);
      let sql = "";
      for (let k = 0; k < len; ++k) sql += alphabet[Math.floor(random() * alphabet.length)];
      try {
        assertCovers(sql);
        assertLines(sql);
        fromTopic(sql);
        parseSqlError(sql);
        const lines = sql.split("\n").length;
        const line = 1 + Math.floor(random() * (lines + 1));
        const column = 1 + Math.floor(random() * 45);
        const offset = offsetOf(sql, line, column);
        assert.ok(offset >= 0 && offset <= sql.length, "offset within the text");
      } catch (e) {
        assert.fail(`case ${n}, input ${JSON.stringify(sql)}: ${String(e)}`);
      }
    }
  });
});
