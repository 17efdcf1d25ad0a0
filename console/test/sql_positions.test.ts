// Unit tests of the rules SQL helpers around the tokenizer (src/sql_highlight.ts):
// the API's line and column → an offset, the FROM topic, and the API's error positions.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { fromTopic, offsetOf, parseSqlError } from "../src/sql_highlight";

describe("offsetOf: 1-based line and column to an offset", () => {
  const sql = "SELECT *\nFROM \"t\"\nWHERE x";

  test("line and column within the text", () => {
    assert.equal(offsetOf(sql, 1, 1), 0);
    assert.equal(offsetOf(sql, 1, 8), 7);
    assert.equal(offsetOf(sql, 2, 1), 9);
    assert.equal(offsetOf(sql, 2, 6), 14);
    assert.equal(offsetOf(sql, 3, 7), 24);
    assert.equal(sql[offsetOf(sql, 3, 7)], "x");
  });

  test("a column past the line's end: the end of that line", () => {
    assert.equal(offsetOf(sql, 1, 9), 8);
    assert.equal(offsetOf(sql, 1, 100), 8);
    assert.equal(offsetOf(sql, 3, 100), sql.length);
  });

  test("a line past the end: the end of the text", () => {
    assert.equal(offsetOf(sql, 4, 1), sql.length);
    assert.equal(offsetOf(sql, 99, 99), sql.length);
    assert.equal(offsetOf("", 1, 1), 0);
    assert.equal(offsetOf("", 5, 5), 0);
    assert.equal(offsetOf("x\n", 2, 1), 2);
  });

  test("line or column 0 or below: the start", () => {
    assert.equal(offsetOf(sql, 0, 0), 0);
    assert.equal(offsetOf(sql, -1, 5), 4);
    assert.equal(offsetOf(sql, 2, 0), 9);
  });

  test("columns count code points; the offset UTF-16 units", () => {
    const s = "a😀b\n😀😀c";
    assert.equal(offsetOf(s, 1, 2), 1);
    assert.equal(offsetOf(s, 1, 3), 3);
    assert.equal(s[offsetOf(s, 1, 3)], "b");
    assert.equal(offsetOf(s, 2, 3), 9);
    assert.equal(s[offsetOf(s, 2, 3)], "c");
    assert.equal(offsetOf("éa", 1, 2), 1);
    assert.equal(offsetOf("温度x", 1, 3), 2);
  });

  test("CRLF: the CR is the line's last column", () => {
    const s = "ab\r\ncd";
    assert.equal(offsetOf(s, 1, 3), 2);
    assert.equal(offsetOf(s, 1, 9), 3);
    assert.equal(offsetOf(s, 2, 1), 4);
    assert.equal(offsetOf(s, 2, 2), 5);
  });
});

describe("fromTopic: the FROM filter", () => {
  test("a quoted filter, either quote, any case, comments between", () => {
    assert.equal(fromTopic('SELECT * FROM "sensors/#"'), "sensors/#");
    assert.equal(fromTopic("select * from 'a/+/b' where x > 1"), "a/+/b");
    assert.equal(fromTopic("SELECT * FROM `t`"), "t");
    assert.equal(fromTopic('SELECT *\n-- c\nFROM /* c */\n  "x/y"'), "x/y");
    assert.equal(fromTopic('FROM ""'), "");
  });

  test("a doubled quote stands for itself", () => {
    assert.equal(fromTopic('SELECT * FROM "a""b"'), 'a"b');
    assert.equal(fromTopic("SELECT * FROM 'it''s'"), "it's");
    assert.equal(fromTopic("SELECT * FROM `a``b`"), "a`b");
  });

  test("no quoted filter: undefined", () => {
    assert.equal(fromTopic(""), undefined);
    assert.equal(fromTopic("SELECT *"), undefined);
    assert.equal(fromTopic("SELECT * FROM"), undefined);
    assert.equal(fromTopic("SELECT * FROM topic"), undefined);
    assert.equal(fromTopic("SELECT * FROM 12"), undefined);
    assert.equal(fromTopic('SELECT * FROM "'), undefined);
    assert.equal(fromTopic("SELECT 'FROM \"x\"'"), undefined);
    assert.equal(fromTopic('SELECT a.from "x"'), undefined);
    assert.equal(fromTopic('-- FROM "x"'), undefined);
  });

  test("an unterminated filter does not throw", () => {
    for (const sql of ['FROM "abc', "FROM 'a", "FROM `", "FROM /* x"]) {
      const t = fromTopic(sql);
      assert.ok(t === undefined || typeof t === "string", sql);
    }
  });
});

describe("parseSqlError: the position in an API message", () => {
  test("line, column and the rest of the message", () => {
    assert.deepEqual(parseSqlError("sql: line 2, column 7: unexpected token \"FORM\""), {
      line: 2,
      column: 7,
      message: 'unexpected token "FORM"',
    });
    assert.deepEqual(parseSqlError("line 1, column 1:no space"), {
      line: 1,
      column: 1,
      message: "no space",
    });
    assert.deepEqual(parseSqlError("sql: line 3, column 12: "), {
      line: 3,
      column: 12,
      message: "",
    });
    assert.deepEqual(parseSqlError("sql: line 10, column 200: a\nsecond line"), {
      line: 10,
      column: 200,
      message: "a\nsecond line",
    });
  });

  test("the first position wins; a later one is part of the message", () => {
    assert.deepEqual(parseSqlError("sql: line 1, column 5: near 'line 9, column 9: x'"), {
      line: 1,
      column: 5,
      message: "near 'line 9, column 9: x'",
    });
  });

  test("no position: null", () => {
    for (const m of [
      "",
      "sql: unexpected end",
      "actions[0].topic: required",
      "line 2, column 7",
      "line two, column 7: x",
      "line 2 column 7: x",
      "line -1, column 2: x",
      "column 7, line 2: x",
    ])
      assert.equal(parseSqlError(m), null, m);
  });
});
