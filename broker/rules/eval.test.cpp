// Evaluation semantics: null and missing, comparisons of mixed types,
// three-valued logic, SELECT * and output, payload states, sharing a
// parsed payload, thread safety of one program.

#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "broker/rules/test_util.hpp"

using namespace iotb::rules;
using namespace iotb::rules::test;

TEST(RulesEval, MissingFieldsAreLeftOutNullsAreWritten) {
  auto r = run("SELECT nope, n, humidity FROM \"#\"", R"({"n":null,"humidity":1})");
  ASSERT_EQ(r.status, eval_status::passed);
  EXPECT_EQ(r.output, R"({"n":null,"humidity":1})");
  EXPECT_EQ(eval_expr("nope IS NULL AND n IS NULL", R"({"n":null})"), "true");
}

TEST(RulesEval, ComparisonsOfMixedTypes) {
  const std::string p = R"({"i":38,"r":38.0,"s":"38","t":"abc","b":true,"a":[1,2],"o":{"x":1}})";
  EXPECT_EQ(eval_expr("i = r", p), "true");
  EXPECT_EQ(eval_expr("i = s", p), "true");  // a numeric string against a number
  EXPECT_EQ(eval_expr("s > 37", p), "true");
  EXPECT_EQ(eval_expr("t = 38", p), "false");
  EXPECT_EQ(eval_expr("t > 38", p), "null");  // not ordered: unknown
  EXPECT_EQ(eval_expr("b = 1", p), "true");   // a boolean is 1/0 against a number
  EXPECT_EQ(eval_expr("b = 'true'", p), "false");
  EXPECT_EQ(eval_expr("t < 'abd'", p), "true");
  EXPECT_EQ(eval_expr("a = [1, 2]", p), "true");
  EXPECT_EQ(eval_expr("o = {\"x\": 1}", p), "true");
  EXPECT_EQ(eval_expr("o != {\"x\": 2}", p), "true");
  EXPECT_EQ(eval_expr("a < [3]", p), "null");
  EXPECT_EQ(eval_expr("nope = 1", p), "null");
  EXPECT_EQ(eval_expr("nope != 1", p), "null");
  EXPECT_EQ(eval_expr("1 <> 2", p), "true");
  EXPECT_EQ(eval_expr("1 == 1", p), "true");
  EXPECT_EQ(eval_expr("9007199254740993 > 9007199254740992", p), "true");  // exact integers
}

TEST(RulesEval, ThreeValuedLogic) {
  EXPECT_EQ(eval_expr("nope > 1 AND false"), "false");
  EXPECT_EQ(eval_expr("nope > 1 AND true"), "null");
  EXPECT_EQ(eval_expr("nope > 1 OR true"), "true");
  EXPECT_EQ(eval_expr("nope > 1 OR false"), "null");
  EXPECT_EQ(eval_expr("NOT (nope > 1)"), "null");
  EXPECT_EQ(eval_expr("nope IN (1, NULL)"), "null");
  EXPECT_EQ(eval_expr("2 IN (1, NULL)"), "null");
  EXPECT_EQ(eval_expr("1 IN (1, NULL)"), "true");
  // WHERE unknown filters.
  EXPECT_EQ(run("SELECT * FROM \"#\" WHERE nope > 1").status, eval_status::filtered);
  EXPECT_EQ(run("SELECT * FROM \"#\" WHERE NOT (nope > 1)").status, eval_status::filtered);
}

TEST(RulesEval, NonBooleanConditionsFailAtRunTime) {
  auto r = run("SELECT * FROM \"#\" WHERE name");
  EXPECT_EQ(r.status, eval_status::failed);
  EXPECT_EQ(r.error, "line 1, column 25: WHERE needs a boolean, got string");
  r = run("SELECT * FROM \"#\" WHERE humidity AND true");
  EXPECT_EQ(r.status, eval_status::failed);
}

TEST(RulesEval, Arithmetic) {
  EXPECT_EQ(eval_expr("7 / 2"), "3.5");
  EXPECT_EQ(eval_expr("6 / 2"), "3");
  EXPECT_EQ(eval_expr("7 % 3"), "1");
  EXPECT_EQ(eval_expr("-7 % 3"), "-1");
  EXPECT_EQ(eval_expr("7.5 % 2"), "1.5");
  EXPECT_EQ(eval_expr("humidity * 2 + temperature"), "160.5");
  EXPECT_EQ(eval_expr("9223372036854775807 + 1"), "9223372036854776000.0");
  EXPECT_EQ(eval_expr("-9223372036854775807 - 1"), "-9223372036854775808");
  EXPECT_EQ(eval_expr("-(-9223372036854775807 - 1)"), "9223372036854776000.0");
  EXPECT_EQ(eval_expr("(-9223372036854775807 - 1) / -1"), "9223372036854776000.0");
  EXPECT_EQ(eval_expr("(-9223372036854775807 - 1) % -1"), "0");
  EXPECT_EQ(eval_expr("nope + 1"), "null");
  EXPECT_EQ(eval_expr("humidity / 0"), "error: line 1, column 19: division by zero");
  EXPECT_EQ(eval_expr("humidity % 0"), "error: line 1, column 19: division by zero");
  EXPECT_EQ(eval_expr("name + 1"), "error: line 1, column 15: cannot add string and integer");
  EXPECT_EQ(eval_expr("name * 2"), "error: line 1, column 15: cannot multiply string and integer");
  EXPECT_EQ(eval_expr("-name"), "error: line 1, column 8: cannot negate string");
  EXPECT_EQ(eval_expr("name + '!'"), "\"Sensor-01!\"");
  EXPECT_EQ(eval_expr("1e308 * 10"), "null");  // infinity is written as null
}

TEST(RulesEval, SelectStar) {
  auto r = run("SELECT * FROM \"#\"", R"({ "a" : 1,  "b" : [ 1, 2 ] })");
  ASSERT_EQ(r.status, eval_status::passed);
  EXPECT_EQ(r.output, R"({"a":1,"b":[1,2]})");
  // Items override payload members of the same name; others follow.
  r = run("SELECT *, a * 10 AS a, deviceName() AS dn FROM \"#\"", R"({"a":1,"b":2})");
  EXPECT_EQ(r.output, R"({"b":2,"a":10,"dn":"sensor-01"})");
  r = run("SELECT * FROM \"#\"", "[1,2]");
  EXPECT_EQ(r.status, eval_status::failed);
  EXPECT_EQ(r.error, "SELECT * needs a JSON object payload");
  r = run("SELECT * FROM \"#\"", "not json");
  EXPECT_EQ(r.status, eval_status::failed);
}

TEST(RulesEval, PayloadStates) {
  // Not JSON: fields are missing, the rest works.
  auto r = run("SELECT a, deviceName() AS dn FROM \"#\" WHERE a IS NULL", "\x01\x02 binary");
  ASSERT_EQ(r.status, eval_status::passed);
  EXPECT_EQ(r.output, R"({"dn":"sensor-01"})");
  // Invalid UTF-8 inside JSON strings is not JSON.
  r = run("SELECT a FROM \"#\" WHERE a IS NULL", "{\"a\":\"\xff\"}");
  EXPECT_EQ(r.status, eval_status::passed);
  // Too deep: fails, without building the deep value.
  std::string deep = std::string(65, '[') + std::string(65, ']');
  r = run("SELECT a FROM \"#\"", "{\"a\":" + deep + "}");
  EXPECT_EQ(r.status, eval_status::failed);
  EXPECT_EQ(r.error, "the payload nests deeper than 64 levels");
  std::string ok = std::string(63, '[') + std::string(63, ']');
  EXPECT_EQ(run("SELECT a FROM \"#\"", "{\"a\":" + ok + "}").status, eval_status::passed);
  // Hostile: a megabyte of '[' neither recurses nor allocates much.
  r = run("SELECT a FROM \"#\"", std::string(1 << 20, '['));
  EXPECT_EQ(r.status, eval_status::failed);
  // A scalar JSON payload: fields are missing, payload('json') is it.
  EXPECT_EQ(eval_expr("payload('json') + 1", "41"), "42");
}

TEST(RulesEval, LargePayloadGoesBeyondTheInlinePool) {
  std::string big = "{\"pad\":\"" + std::string(100000, 'x') + "\",\"v\":7}";
  EXPECT_EQ(eval_expr("v", big), "7");
  EXPECT_EQ(eval_expr("strlen(pad)", big), "100000");
}

TEST(RulesEval, SharedParsedPayload) {
  auto a = must_compile("SELECT temperature AS t FROM \"#\" WHERE t > 38");
  auto b = must_compile("SELECT humidity FROM \"#\"");
  ASSERT_TRUE(a && b);
  auto m = fixture();
  parsed_payload shared(m.payload);
  EXPECT_EQ(shared.status(), parsed_payload::state::json);
  EXPECT_EQ(a->evaluate(m, shared).output, R"({"t":38.5})");
  EXPECT_EQ(b->evaluate(m, shared).output, R"({"humidity":61})");
}

TEST(RulesEval, ProgramsAreCopyableAndThreadSafe) {
  auto p = must_compile(
      "SELECT temperature AS t, upper(name) AS n, newuuid() AS id FROM \"#\" WHERE t > 38");
  ASSERT_TRUE(p);
  program copy = *p;
  std::vector<std::thread> threads;
  std::vector<int> ok(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      auto m = fixture();
      for (int i = 0; i < 2000; ++i) {
        auto r = (t % 2 ? copy : *p).evaluate(m);
        ok[t] +=
            r.status == eval_status::passed && r.output.starts_with(R"({"t":38.5,"n":"SENSOR-01")");
      }
    });
  }
  for (auto& th : threads)
    th.join();
  for (int t = 0; t < 4; ++t)
    EXPECT_EQ(ok[t], 2000);
}

TEST(RulesEval, OutputIsValidUtf8Json) {
  auto r = run("SELECT base64_decode('/w==') AS b FROM \"#\"");
  EXPECT_EQ(r.status, eval_status::failed);
  EXPECT_EQ(r.error, "the output holds a string that is not valid UTF-8 (use to_base64 or to_hex)");
  EXPECT_EQ(eval_expr("'tab\tand \"quote\"'"), R"("tab\tand \"quote\"")");
}

// --- templates

TEST(RulesTemplate, FillsFieldsNestedAndMessageVariables) {
  auto m = fixture();
  const std::string out =
      R"({"t":38.5,"dn":"sensor-01","o":{"a":[1,{"b":"x"}]},"n":null,"ok":true})";
  EXPECT_EQ(render_template("/${dn}/alarm", out, m), "/sensor-01/alarm");
  EXPECT_EQ(render_template("t=${t} b=${o.a[1].b} a=${o.a} ok=${ok} n=${n}", out, m),
            R"(t=38.5 b=x a=[1,{"b":"x"}] ok=true n=null)");
  EXPECT_EQ(render_template("[${missing}]", out, m), "[]");
  EXPECT_EQ(render_template("${deviceName}/${productKey}/${qos}/${messageId}", out, m),
            "sensor-01/a1B2c3D4e5F/1/4242");
  EXPECT_EQ(render_template("${topic}|${clientId}|${timestamp}", "{}", m),
            "/a1B2c3D4e5F/sensor-01/user/update|a1B2c3D4e5F.sensor-01|securemode=2||1700000000123");
  EXPECT_EQ(render_template("${dn", out, m), "${dn");
  EXPECT_EQ(render_template("no placeholders", out, m), "no placeholders");
  EXPECT_EQ(render_template("${}${o.}${o.a[x]}", out, m), "");
  EXPECT_EQ(render_template("${deviceName}", "not json", m),
            "sensor-01");  // falls back to the message
}
