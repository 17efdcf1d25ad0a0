// The rules parser: every construct, precedence, names, errors with line
// and column, the limits against hostile SQL.

#include <string>

#include <gtest/gtest.h>

#include "broker/rules/test_util.hpp"

using namespace iotb::rules;
using namespace iotb::rules::test;

TEST(RulesParser, SpecExample) {
  auto p = must_compile(
      "SELECT temperature AS t, deviceName() AS dn, timestamp() AS ts\n"
      "FROM \"/a1B2c3D4e5F/+/user/update\" WHERE t > 38 AND dn LIKE 'sensor%'");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->topic_filter(), "/a1B2c3D4e5F/+/user/update");
  EXPECT_EQ(p->output_names(), (std::vector<std::string>{"t", "dn", "ts"}));
  EXPECT_FALSE(p->star());
  EXPECT_TRUE(p->needs_json());
  auto r = p->evaluate(fixture());
  ASSERT_EQ(r.status, eval_status::passed) << r.error;
  EXPECT_EQ(r.output, R"({"t":38.5,"dn":"sensor-01","ts":1700000000123})");
}

TEST(RulesParser, KeywordsIgnoreCaseAndCommentsAndSemicolon) {
  auto p = must_compile(
      "select a -- a comment\n from \"t/#\" /* block\n comment */ where a is not null;");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->topic_filter(), "t/#");
}

TEST(RulesParser, StarAndItems) {
  auto p = must_compile("SELECT *, deviceName() AS dn FROM \"#\"");
  ASSERT_TRUE(p);
  EXPECT_TRUE(p->star());
  EXPECT_EQ(p->output_names(), (std::vector<std::string>{"dn"}));
  auto bare = must_compile("SELECT * FROM \"#\"");
  ASSERT_TRUE(bare);
  EXPECT_TRUE(bare->output_names().empty());
  EXPECT_TRUE(bare->star());
}

TEST(RulesParser, UnaliasedNames) {
  auto p = must_compile(
      "SELECT a.b.c, `odd key`, deviceName(), temperature * 2, arr[0], topic(1) FROM \"#\"");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->output_names(), (std::vector<std::string>{"c", "odd key", "deviceName",
                                                         "temperature * 2", "arr[0]", "topic(1)"}));
}

TEST(RulesParser, NeedsJsonOnlyWhenFieldsAreRead) {
  auto p = must_compile("SELECT deviceName() AS dn, payload() AS raw FROM \"#\" WHERE qos() = 1");
  ASSERT_TRUE(p);
  EXPECT_FALSE(p->needs_json());
  EXPECT_TRUE(must_compile("SELECT payload('json') AS j FROM \"#\"")->needs_json());
  EXPECT_TRUE(must_compile("SELECT thingPropertyFlatMap() FROM \"#\"")->needs_json());
}

TEST(RulesParser, Precedence) {
  EXPECT_EQ(eval_expr("1 + 2 * 3"), "7");
  EXPECT_EQ(eval_expr("(1 + 2) * 3"), "9");
  EXPECT_EQ(eval_expr("10 - 4 - 3"), "3");
  EXPECT_EQ(eval_expr("2 * 3 % 4"), "2");
  EXPECT_EQ(eval_expr("-2 * -3"), "6");
  EXPECT_EQ(eval_expr("1 + 1 = 2"), "true");
  EXPECT_EQ(eval_expr("true OR false AND false"), "true");
  EXPECT_EQ(eval_expr("(true OR false) AND false"), "false");
  EXPECT_EQ(eval_expr("NOT false AND false"), "false");
  EXPECT_EQ(eval_expr("NOT 1 > 2"), "true");
  EXPECT_EQ(eval_expr("1 < 2 = true"), "compile error: line 1, column 14: expected FROM, got '='");
}

TEST(RulesParser, Literals) {
  EXPECT_EQ(eval_expr("42"), "42");
  EXPECT_EQ(eval_expr("-7"), "-7");
  EXPECT_EQ(eval_expr("1.5"), "1.5");
  EXPECT_EQ(eval_expr(".5"), "0.5");
  EXPECT_EQ(eval_expr("1e3"), "1000.0");
  EXPECT_EQ(eval_expr("0x1F"), "31");
  EXPECT_EQ(eval_expr("9223372036854775807"), "9223372036854775807");
  EXPECT_EQ(eval_expr("9223372036854775808"), "9223372036854776000.0");
  EXPECT_EQ(eval_expr("'it''s'"), "\"it's\"");
  EXPECT_EQ(eval_expr("'back\\slash'"), "\"back\\\\slash\"");
  EXPECT_EQ(eval_expr("TRUE"), "true");
  EXPECT_EQ(eval_expr("null"), "null");
  EXPECT_EQ(eval_expr("'héllo'"), "\"héllo\"");
}

TEST(RulesParser, ObjectAndArrayLiterals) {
  EXPECT_EQ(eval_expr(R"({"k": temperature, 'n': upper('a'), bare: [1, 'x', deviceName()]})"),
            R"({"k":38.5,"n":"A","bare":[1,"x","sensor-01"]})");
  EXPECT_EQ(eval_expr("{}"), "{}");
  EXPECT_EQ(eval_expr("[]"), "[]");
  EXPECT_EQ(eval_expr("[[1, [2]], {\"a\": {\"b\": null}}]"), R"([[1,[2]],{"a":{"b":null}}])");
  EXPECT_EQ(eval_expr("{\"a\": [10, 20]}.a[1]"), "20");
  EXPECT_EQ(compile_error("SELECT {\"a\": 1, \"a\": 2} AS r FROM \"#\""),
            "1:17: key \"a\" appears twice in an object");
}

TEST(RulesParser, FieldsPathsAndIndexes) {
  const std::string payload =
      R"({"a":{"b":{"c":5}},"arr":[1,[2,3],{"x":"y"}],"odd key":1,"end":2,"a.b":3})";
  EXPECT_EQ(eval_expr("a.b.c", payload), "5");
  EXPECT_EQ(eval_expr("arr[0]", payload), "1");
  EXPECT_EQ(eval_expr("arr[1][1]", payload), "3");
  EXPECT_EQ(eval_expr("arr[2].x", payload), "\"y\"");
  EXPECT_EQ(eval_expr("arr[-1].x", payload), "\"y\"");
  EXPECT_EQ(eval_expr("arr[9]", payload), "<missing>");
  EXPECT_EQ(eval_expr("arr[1 + 0]", payload),
            "compile error: line 1, column 14: a computed index must be written as [(expression)]");
  EXPECT_EQ(eval_expr("arr[(1 + 1)].x", payload), "\"y\"");
  EXPECT_EQ(eval_expr("a['b'].c", payload), "5");
  EXPECT_EQ(eval_expr("`odd key`", payload), "1");
  EXPECT_EQ(eval_expr("\"odd key\"", payload), "1");
  EXPECT_EQ(eval_expr("`end`", payload), "2");
  EXPECT_EQ(eval_expr("`a.b`", payload), "3");
  EXPECT_EQ(eval_expr("a.`b`.c", payload), "5");
  EXPECT_EQ(eval_expr("nope.deeper", payload), "<missing>");
  EXPECT_EQ(eval_expr("a.b.c.d", payload), "<missing>");
}

TEST(RulesParser, AliasesInWhere) {
  auto r = run("SELECT temperature AS t FROM \"#\" WHERE t > 38");
  EXPECT_EQ(r.status, eval_status::passed);
  EXPECT_EQ(r.output, R"({"t":38.5})");
  r = run("SELECT temperature AS t FROM \"#\" WHERE t > 39");
  EXPECT_EQ(r.status, eval_status::filtered);
  // An alias shadows a payload field of the same name, and takes a path.
  r = run("SELECT items AS humidity FROM \"#\" WHERE humidity.Temperature.value = 38.5");
  EXPECT_EQ(r.status, eval_status::passed);
  // The aliased value is computed once (same UUID in WHERE and output).
  r = run("SELECT newuuid() AS id FROM \"#\" WHERE strlen(id) = 36");
  EXPECT_EQ(r.status, eval_status::passed) << r.error;
}

TEST(RulesParser, CaseForms) {
  EXPECT_EQ(eval_expr("CASE WHEN temperature > 40 THEN 'hot' WHEN temperature > 30 THEN 'warm' "
                      "ELSE 'cold' END"),
            "\"warm\"");
  EXPECT_EQ(eval_expr("CASE humidity WHEN 60 THEN 'a' WHEN 61 THEN 'b' END"), "\"b\"");
  EXPECT_EQ(eval_expr("CASE WHEN false THEN 1 END"), "null");
  EXPECT_EQ(compile_error("SELECT CASE END AS r FROM \"#\""),
            "1:13: CASE needs at least one WHEN … THEN …");
  EXPECT_EQ(compile_error("SELECT CASE WHEN 1 THEN 2 END AS r FROM \"#\""),
            "1:18: WHEN needs a boolean condition, got an integer");
}

TEST(RulesParser, InLikeIsNull) {
  EXPECT_EQ(eval_expr("humidity IN (60, 61, 62)"), "true");
  EXPECT_EQ(eval_expr("humidity NOT IN (60, 62)"), "true");
  EXPECT_EQ(eval_expr("name IN ('x', upper('sensor-01'))"), "false");
  EXPECT_EQ(eval_expr("name LIKE 'Sensor%'"), "true");
  EXPECT_EQ(eval_expr("name LIKE 'Sensor-0_'"), "true");
  EXPECT_EQ(eval_expr("name NOT LIKE '%01'"), "false");
  EXPECT_EQ(eval_expr("'50%' LIKE '50\\%'"), "true");
  EXPECT_EQ(eval_expr("'50x' LIKE '50\\%'"), "false");
  EXPECT_EQ(eval_expr("'a_b' LIKE 'a!_b' ESCAPE '!'"), "true");
  // A constant 'text%' pattern is a prefix test: the same answers.
  EXPECT_EQ(eval_expr("name LIKE 'sensor%'"), "false");  // case-sensitive
  EXPECT_EQ(eval_expr("name NOT LIKE 'Sensor%'"), "false");
  EXPECT_EQ(eval_expr("name LIKE '%'"), "true");
  EXPECT_EQ(eval_expr("'' LIKE '%'"), "true");
  EXPECT_EQ(eval_expr("'Sens' LIKE 'Sensor%'"), "false");
  EXPECT_EQ(eval_expr("missing_field LIKE 'a%'"), "null");
  EXPECT_EQ(eval_expr("'a!%b' LIKE 'a!%' ESCAPE '!'"), "false");  // escaped: not a prefix test
  EXPECT_EQ(eval_expr("'a%' LIKE 'a!%' ESCAPE '!'"), "true");
  EXPECT_EQ(eval_expr("humidity LIKE 'a%'").rfind("error: ", 0), 0u);
  EXPECT_EQ(eval_expr("missing_field IS NULL"), "true");
  EXPECT_EQ(eval_expr("name IS NOT NULL"), "true");
}

TEST(RulesParser, FromTopicFilter) {
  EXPECT_EQ(compile_error("SELECT a FROM \"/a/+/b/#\""), "compiled");
  EXPECT_EQ(compile_error("SELECT a FROM '/a/b'"), "compiled");
  EXPECT_EQ(compile_error("SELECT a FROM \"/a/b#\""),
            "1:15: \"/a/b#\" is not a valid MQTT topic filter ('+' and '#' must fill a whole "
            "level, '#' only at the end)");
  EXPECT_EQ(compile_error("SELECT a FROM \"a/#/b\"").substr(0, 5), "1:15:");
  EXPECT_EQ(compile_error("SELECT a FROM \"\"").substr(0, 5), "1:15:");
  EXPECT_EQ(compile_error("SELECT a FROM \"$share/g/t\""),
            "1:15: a rule cannot take a shared subscription ($share/, $queue/)");
  EXPECT_EQ(compile_error("SELECT a FROM topic"),
            "1:15: FROM needs a topic filter in double quotes, e.g. FROM \"/+/+/user/update\"");
}

TEST(RulesParser, ErrorsPointAtLineAndColumn) {
  EXPECT_EQ(compile_error(""), "1:1: expected SELECT, got the end of the statement");
  EXPECT_EQ(compile_error("SELECT"), "1:7: expected an expression, got the end of the statement");
  EXPECT_EQ(compile_error("SELECT a,\n  b +\n FROM \"#\""),
            "3:2: expected an expression, got keyword FROM (a field of that name needs quotes: "
            "`FROM`)");
  EXPECT_EQ(compile_error("SELECT a FROM \"#\" WHERE"),
            "1:24: expected an expression, got the end of the statement");
  EXPECT_EQ(compile_error("SELECT 'abc FROM \"#\""), "1:8: unterminated string literal");
  EXPECT_EQ(compile_error("SELECT a /* x FROM \"#\""), "1:10: unterminated comment");
  EXPECT_EQ(compile_error("SELECT a # b FROM \"#\""), "1:10: unexpected character '#'");
  EXPECT_EQ(compile_error("SELECT é FROM \"#\""), "1:8: unexpected character (byte 195)");
  EXPECT_EQ(compile_error("SELECT 'é', ? FROM \"#\""), "1:13: unexpected character '?'");
  EXPECT_EQ(compile_error("SELECT a FROM \"#\" WHERE temperature"), "compiled");
  EXPECT_EQ(compile_error("SELECT a FROM \"#\" WHERE 1"),
            "1:25: WHERE needs a boolean condition, got an integer");
  EXPECT_EQ(compile_error("SELECT a, a FROM \"#\""),
            "1:11: two SELECT items are named 'a': give one an AS name");
  EXPECT_EQ(compile_error("SELECT x.a, y.a FROM \"#\""),
            "1:13: two SELECT items are named 'a': give one an AS name");
  EXPECT_EQ(compile_error("SELECT *, * FROM \"#\""), "1:11: * appears twice in SELECT");
  EXPECT_EQ(compile_error("SELECT a AS from FROM \"#\""),
            "1:13: 'from' is a keyword: quote it as `from`");
  EXPECT_EQ(compile_error("SELECT a AS `from` FROM \"#\""), "compiled");
  EXPECT_EQ(compile_error("SELECT end FROM \"#\""),
            "1:8: expected an expression, got keyword end (a field of that name needs quotes: "
            "`end`)");
  EXPECT_EQ(compile_error("SELECT a FROM \"#\" extra"),
            "1:19: unexpected name extra after the statement");
  EXPECT_EQ(compile_error("SELECT 12abc FROM \"#\""), "1:8: malformed number");
  EXPECT_EQ(compile_error("SELECT 1e999 FROM \"#\""), "1:8: number out of range");
  EXPECT_EQ(compile_error("SELECT a NOT b FROM \"#\""),
            "1:14: expected IN or LIKE after NOT, got name b");
  EXPECT_EQ(compile_error("SELECT 1 LIKE 'a' AS r FROM \"#\""),
            "1:8: LIKE needs a string on its left, got an integer");
  EXPECT_EQ(compile_error("SELECT 'a' - 1 AS r FROM \"#\""),
            "1:12: cannot subtract an integer from a string");
  EXPECT_EQ(compile_error("SELECT 'a' * 2 AS r FROM \"#\""),
            "1:12: arithmetic needs numbers, got a string and an integer");
  EXPECT_EQ(compile_error("SELECT -'a' AS r FROM \"#\""),
            "1:8: a sign needs a number, got a string");
  EXPECT_EQ(compile_error("SELECT NOT 'a' AS r FROM \"#\""),
            "1:12: NOT needs a boolean condition, got a string");
}

// --- limits against hostile SQL

TEST(RulesLimits, TextLength) {
  std::string sql = "SELECT a FROM \"#\" WHERE a = '" + std::string(70000, 'x') + "'";
  EXPECT_EQ(compile_error(sql), "1:1: statement longer than 65536 bytes");
}

TEST(RulesLimits, LiteralLength) {
  std::string sql = "SELECT '" + std::string(20000, 'x') + "' AS r FROM \"#\"";
  EXPECT_EQ(compile_error(sql), "1:8: literal longer than 16384 bytes");
  sql = "SELECT " + std::string(100, '9') + " AS r FROM \"#\"";
  EXPECT_EQ(compile_error(sql), "1:8: number literal longer than 64 characters");
}

TEST(RulesLimits, NestingDepth) {
  std::string deep = std::string(40, '(') + "1" + std::string(40, ')');
  EXPECT_EQ(compile_error("SELECT " + deep + " AS r FROM \"#\""),
            "1:40: expression nested deeper than 32 levels");
  std::string ok = std::string(30, '(') + "1" + std::string(30, ')');
  EXPECT_EQ(compile_error("SELECT " + ok + " AS r FROM \"#\""), "compiled");
  std::string nots;
  for (int i = 0; i < 100; ++i)
    nots += "NOT ";
  EXPECT_NE(compile_error("SELECT a FROM \"#\" WHERE " + nots + "true").find("nested deeper"),
            std::string::npos);
  std::string minus;  // "--" would start a comment
  for (int i = 0; i < 100; ++i)
    minus += "- ";
  EXPECT_NE(compile_error("SELECT " + minus + "1 AS r FROM \"#\"").find("nested deeper"),
            std::string::npos);
  std::string calls;
  for (int i = 0; i < 50; ++i)
    calls += "abs(";
  calls += "1" + std::string(50, ')');
  EXPECT_NE(compile_error("SELECT " + calls + " AS r FROM \"#\"").find("nested deeper"),
            std::string::npos);
  std::string arrays = std::string(50, '[') + std::string(50, ']');
  EXPECT_NE(compile_error("SELECT " + arrays + " AS r FROM \"#\"").find("nested deeper"),
            std::string::npos);
  // A hostile stack of unterminated openers is refused, not recursed into.
  EXPECT_NE(compile_error("SELECT " + std::string(60000, '(')).find("nested deeper"),
            std::string::npos);
  EXPECT_NE(compile_error("SELECT " + std::string(60000, '[')).find("nested deeper"),
            std::string::npos);
}

TEST(RulesLimits, TenThousandOrsRefused) {
  std::string sql = "SELECT a FROM \"#\" WHERE b";
  for (int i = 1; i < 10000; ++i)
    sql += " OR b";
  auto e = compile_error(sql);
  EXPECT_NE(e.find("more than 2000 expression nodes"), std::string::npos) << e;
  // Written out in full, they are over the text limit already.
  std::string full = "SELECT a FROM \"#\" WHERE a = 0";
  for (int i = 1; i < 10000; ++i)
    full += " OR a = " + std::to_string(i);
  EXPECT_EQ(compile_error(full), "1:1: statement longer than 65536 bytes");
  // A few hundred are fine, and evaluate in a loop.
  std::string small = "SELECT a FROM \"#\" WHERE humidity = 0";
  for (int i = 1; i < 300; ++i)
    small += " OR humidity = " + std::to_string(i);
  auto r = run(small);
  EXPECT_EQ(r.status, eval_status::passed) << r.error;
}

TEST(RulesLimits, LongArithmeticChainIsALoop) {
  std::string e = "1";
  for (int i = 0; i < 900; ++i)
    e += " + 1";
  EXPECT_EQ(eval_expr(e), "901");
}

TEST(RulesLimits, InListAndArguments) {
  std::string list = "0";
  for (int i = 1; i <= 1000; ++i)
    list += "," + std::to_string(i);
  EXPECT_NE(compile_error("SELECT a FROM \"#\" WHERE a IN (" + list + ")").find("IN list longer"),
            std::string::npos);
  std::string args = "'a'";
  for (int i = 0; i < 20; ++i)
    args += ",'a'";
  EXPECT_NE(compile_error("SELECT concat(" + args + ") AS r FROM \"#\"").find("more than 16"),
            std::string::npos);
}

TEST(RulesLimits, SelectItems) {
  std::string items = "a0";
  for (int i = 1; i < 300; ++i)
    items += ", a" + std::to_string(i);
  EXPECT_NE(compile_error("SELECT " + items + " FROM \"#\"").find("more than 256 SELECT items"),
            std::string::npos);
}
