// Every function of the table: its documented example, arity and type
// errors at compile time, run-time failures, edge cases.

#include <cmath>
#include <set>
#include <string>

#include <gtest/gtest.h>

#include "broker/rules/functions.hpp"
#include "broker/rules/test_util.hpp"

using namespace iotb::rules;
using namespace iotb::rules::test;
using iotb::rules::detail::function_table;

TEST(RulesFunctions, EveryExampleGivesItsDocumentedResult) {
  std::size_t checked = 0;
  for (auto& f : function_table()) {
    auto got = eval_expr(f.example);
    if (f.example_result.empty()) {
      EXPECT_EQ(got.find("error"), std::string::npos) << f.name << ": " << got;
      continue;
    }
    EXPECT_EQ(got, f.example_result) << f.name << ": " << f.example;
    ++checked;
  }
  EXPECT_GE(checked, 65u);  // all but rand() and newuuid()
}

TEST(RulesFunctions, TableCoversSpec) {
  // SPEC §9: the platform's 33 and the extra list.
  const std::set<std::string> platform = {"abs",        "asin",          "cos",
                                          "cosh",       "sin",           "sinh",
                                          "tan",        "tanh",          "exp",
                                          "floor",      "log",           "mod",
                                          "power",      "rand",          "concat",
                                          "lower",      "upper",         "replace",
                                          "substring",  "endswith",      "nanvl",
                                          "crypto",     "to_base64",     "to_hex",
                                          "deviceName", "attribute",     "payload",
                                          "topic",      "messageId",     "newuuid",
                                          "timestamp",  "timestamp_utc", "thingPropertyFlatMap"};
  const std::set<std::string> extra = {"productKey",
                                       "clientId",
                                       "qos",
                                       "ceil",
                                       "round",
                                       "sqrt",
                                       "trunc",
                                       "trim",
                                       "startswith",
                                       "strlen",
                                       "split",
                                       "regex_match",
                                       "regex_replace",
                                       "sprintf",
                                       "int",
                                       "float",
                                       "str",
                                       "bool",
                                       "is_null",
                                       "coalesce",
                                       "base64_decode",
                                       "json_encode",
                                       "json_decode",
                                       "md5",
                                       "sha1",
                                       "sha256",
                                       "format_date",
                                       "unix_ts_to_rfc3339",
                                       "rfc3339_to_unix_ts",
                                       "map_get",
                                       "nth",
                                       "contains",
                                       "first",
                                       "last"};
  EXPECT_EQ(platform.size(), 33u);
  std::set<std::string> seen;
  for (auto& f : function_table()) {
    std::string name(f.name);
    EXPECT_TRUE(seen.insert(name).second) << "duplicate " << name;
    if (f.from == detail::origin::platform)
      EXPECT_TRUE(platform.count(name)) << name << " is not one of the platform's";
    else
      EXPECT_TRUE(extra.count(name)) << name << " is not in SPEC's extra list";
    EXPECT_FALSE(f.description.empty()) << name;
    EXPECT_FALSE(f.example.empty()) << name;
  }
  for (auto& n : platform)
    EXPECT_TRUE(seen.count(n)) << "missing " << n;
  for (auto& n : extra)
    EXPECT_TRUE(seen.count(n)) << "missing " << n;
}

TEST(RulesFunctions, NamesIgnoreCase) {
  EXPECT_EQ(eval_expr("DEVICENAME()"), "\"sensor-01\"");
  EXPECT_EQ(eval_expr("Upper('a')"), "\"A\"");
}

TEST(RulesFunctions, ArityErrorsAtCompileTime) {
  EXPECT_EQ(compile_error("SELECT abs() AS r FROM \"#\""), "1:8: abs() takes 1 argument, got 0");
  EXPECT_EQ(compile_error("SELECT abs(1, 2) AS r FROM \"#\""),
            "1:8: abs() takes 1 argument, got 2");
  EXPECT_EQ(compile_error("SELECT log(1, 2, 3) AS r FROM \"#\""),
            "1:8: log() takes 1 to 2 arguments, got 3");
  EXPECT_EQ(compile_error("SELECT concat('a') AS r FROM \"#\""),
            "1:8: concat() takes at least 2 arguments, got 1");
  EXPECT_EQ(compile_error("SELECT deviceName(1) AS r FROM \"#\""),
            "1:8: deviceName() takes 0 arguments, got 1");
  EXPECT_EQ(compile_error("SELECT nosuch(1) AS r FROM \"#\""), "1:8: unknown function nosuch()");
}

TEST(RulesFunctions, TypeErrorsAtCompileTimeForKnownTypes) {
  EXPECT_EQ(compile_error("SELECT abs('x') AS r FROM \"#\""),
            "1:12: abs(): argument 1 must be a number, got a string");
  EXPECT_EQ(compile_error("SELECT upper(1) AS r FROM \"#\""),
            "1:14: upper(): argument 1 must be a string, got an integer");
  EXPECT_EQ(compile_error("SELECT upper(abs(1)) AS r FROM \"#\""),
            "1:14: upper(): argument 1 must be a string, got a number");
  EXPECT_EQ(compile_error("SELECT topic('1') AS r FROM \"#\""),
            "1:14: topic(): argument 1 must be an integer, got a string");
  EXPECT_EQ(compile_error("SELECT nth(1, 'abc') AS r FROM \"#\""),
            "1:15: nth(): argument 2 must be an array, got a string");
  // Nulls and fields pass the compile-time check.
  EXPECT_EQ(compile_error("SELECT abs(NULL) AS r, abs(name) AS s FROM \"#\""), "compiled");
}

TEST(RulesFunctions, LiteralArgumentsCheckedAtCompileTime) {
  EXPECT_EQ(compile_error("SELECT crypto(name, 'md2') AS r FROM \"#\""),
            "1:21: crypto(): unknown algorithm 'md2' (use MD5, SHA1, SHA-224, SHA-256, SHA-384 "
            "or SHA-512)");
  EXPECT_EQ(compile_error("SELECT regex_match(name, '(') AS r FROM \"#\"").substr(0, 44),
            "1:26: regex_match(): bad regular expression:");
  EXPECT_EQ(compile_error("SELECT regex_match(name, name) AS r FROM \"#\""),
            "1:26: regex_match(): the pattern must be a string literal");
  EXPECT_EQ(compile_error("SELECT regex_replace(name, '(a)', '\\2') AS r FROM \"#\"").substr(0, 39),
            "1:35: regex_replace(): bad replacement:");
  EXPECT_EQ(compile_error("SELECT sprintf('%d %d', 1) AS r FROM \"#\""),
            "1:16: sprintf(): the format has 2 conversions but there are 1 values");
  EXPECT_EQ(compile_error("SELECT sprintf('%n', 1) AS r FROM \"#\"").substr(0, 51),
            "1:16: sprintf(): unsupported conversion at offset 0");
  EXPECT_EQ(compile_error("SELECT payload('latin1') AS r FROM \"#\""),
            "1:16: payload(): unknown encoding 'latin1' (use utf-8, json, base64, hex)");
  EXPECT_EQ(compile_error("SELECT timestamp('yyyy-QQ') AS r FROM \"#\""),
            "1:18: timestamp(): pattern letter 'Q' is not supported (use y M d H h m s S a Z X)");
  EXPECT_EQ(compile_error("SELECT format_date('hour', 'Z', '%Y') AS r FROM \"#\""),
            "1:20: format_date(): unknown unit 'hour' (use second, millisecond, microsecond or "
            "nanosecond)");
  EXPECT_EQ(compile_error("SELECT format_date('second', 'CET', '%Y') AS r FROM \"#\""),
            "1:30: format_date(): bad UTC offset 'CET' (use 'Z' or '+08:00')");
  EXPECT_EQ(compile_error("SELECT format_date('second', 'Z', '%Q') AS r FROM \"#\"").substr(0, 40),
            "1:35: format_date(): %Q is not supported");
}

TEST(RulesFunctions, RunTimeTypeErrorsFail) {
  EXPECT_EQ(eval_expr("abs(name)"), "error: line 1, column 8: abs(): argument 1 must be a number");
  EXPECT_EQ(eval_expr("upper(humidity)"),
            "error: line 1, column 8: upper(): argument 1 must be a string, got integer");
  EXPECT_EQ(eval_expr("int(name)"), "error: line 1, column 8: int(): 'Sensor-01' is not a number");
  EXPECT_EQ(eval_expr("mod(humidity, 0)"), "error: line 1, column 8: division by zero");
}

TEST(RulesFunctions, NullsPropagate) {
  for (auto e : {"abs(missing_field)", "upper(missing_field)", "concat(missing_field, NULL)",
                 "substring(missing_field, 1)", "crypto(missing_field, 'md5')",
                 "topic(missing_field)", "int(missing_field)", "nth(1, missing_field)"}) {
    auto got = eval_expr(e);
    EXPECT_TRUE(got == "<missing>" || got == "null" || got == "\"\"") << e << " → " << got;
  }
  EXPECT_EQ(eval_expr("concat('a', missing_field, 'b')"), "\"ab\"");
  EXPECT_EQ(eval_expr("is_null(NULL)"), "true");
  EXPECT_EQ(eval_expr("json_encode(NULL)"), "\"null\"");
}

TEST(RulesFunctions, Math) {
  EXPECT_EQ(eval_expr("abs(-9223372036854775807 - 1)"), "9223372036854776000.0");
  EXPECT_EQ(eval_expr("floor(-1.5)"), "-2");
  EXPECT_EQ(eval_expr("ceil(3)"), "3");
  EXPECT_EQ(eval_expr("round(2.5)"), "3");
  EXPECT_EQ(eval_expr("round(-2.5)"), "-3");
  EXPECT_EQ(eval_expr("log(8, 2)"), "3.0");
  EXPECT_EQ(eval_expr("mod(-7, 3)"), "-1");
  EXPECT_EQ(eval_expr("mod(7.5, 2)"), "1.5");
  EXPECT_EQ(eval_expr("power(2, 0.5)"), "1.4142135623730952");
  EXPECT_EQ(eval_expr("power(10, 30)"), "1e30");
  EXPECT_EQ(eval_expr("sqrt(-1)"), "null");  // NaN is written as null
  EXPECT_EQ(eval_expr("nanvl(sqrt(-1), 0)"), "0");
  auto r = eval_expr("rand()");
  double d = std::stod(r);
  EXPECT_GE(d, 0.0);
  EXPECT_LT(d, 1.0);
}

TEST(RulesFunctions, Strings) {
  EXPECT_EQ(eval_expr("substring('012345', 0)"), "\"012345\"");
  EXPECT_EQ(eval_expr("substring('012345', 2)"), "\"2345\"");
  EXPECT_EQ(eval_expr("substring('012345', 2.745)"), "\"2345\"");
  EXPECT_EQ(eval_expr("substring(123, 2)"), "\"3\"");
  EXPECT_EQ(eval_expr("substring('012345', -1)"), "\"012345\"");
  EXPECT_EQ(eval_expr("substring('012345', -50, 50)"), "\"012345\"");
  EXPECT_EQ(eval_expr("substring('012345', 3, 1)"), "\"\"");
  EXPECT_EQ(eval_expr("substring('héllo', 1, 3)"), "\"él\"");
  EXPECT_EQ(eval_expr("strlen('héllo')"), "5");
  EXPECT_EQ(eval_expr("replace('aaa', '', 'x')"), "\"aaa\"");
  EXPECT_EQ(eval_expr("concat(1, true, 2.5, [1])"), "\"1true2.5[1]\"");
  EXPECT_EQ(eval_expr("'a' + 'b'"), "\"ab\"");
  EXPECT_EQ(eval_expr("split('abc', ',')"), "[\"abc\"]");
  EXPECT_EQ(eval_expr("split('abc', '')"),
            "error: line 1, column 8: split(): the separator is empty");
  EXPECT_EQ(eval_expr("regex_replace('aXbXc', 'X', '')"), "\"abc\"");
  EXPECT_EQ(eval_expr("regex_replace('2023-11-14', '(\\d+)-(\\d+)-(\\d+)', '\\3.\\2.\\1')"),
            "\"14.11.2023\"");
  EXPECT_EQ(eval_expr("regex_replace('ab', '', '-')"), "\"-a-b-\"");
  EXPECT_EQ(eval_expr("regex_match('abc', 'B')"), "false");
  EXPECT_EQ(eval_expr("regex_match('abc', '(?i)B')"), "true");
  EXPECT_EQ(eval_expr("sprintf('%05d|%-4s|%x|%.2e|%%', 42, 'ab', 255, 1234.5)"),
            "\"00042|ab  |ff|1.23e+03|%\"");
  EXPECT_EQ(eval_expr("sprintf(name)"), "\"Sensor-01\"");
  EXPECT_EQ(eval_expr("to_hex('AB')"), "\"4142\"");
  EXPECT_EQ(eval_expr("to_hex(-1)"), "\"ffffffffffffffff\"");
  EXPECT_EQ(eval_expr("base64_decode('%%%')"),
            "error: line 1, column 8: base64_decode(): not valid base64");
  EXPECT_EQ(eval_expr("crypto('abc', 'MD5')"), "\"900150983cd24fb0d6963f7d28e17f72\"");
  EXPECT_EQ(eval_expr("crypto('abc', 'SHA-512')").size(), 130u);
  EXPECT_EQ(eval_expr("crypto('abc', name)"),
            "error: line 1, column 8: crypto(): unknown algorithm 'Sensor-01'");
}

TEST(RulesFunctions, Message) {
  EXPECT_EQ(eval_expr("topic()"), "\"/a1B2c3D4e5F/sensor-01/user/update\"");
  EXPECT_EQ(eval_expr("topic(1)"), "\"a1B2c3D4e5F\"");
  EXPECT_EQ(eval_expr("topic(4)"), "\"update\"");
  EXPECT_EQ(eval_expr("topic(5)"), "null");
  EXPECT_EQ(eval_expr("topic(0)"), "null");
  EXPECT_EQ(eval_expr("attribute('nope')"), "null");
  EXPECT_EQ(eval_expr("payload()", "hi"), "\"hi\"");
  EXPECT_EQ(eval_expr("payload('utf-8')", "{\"a\":1}"), "\"{\\\"a\\\":1}\"");
  EXPECT_EQ(eval_expr("payload('base64')", "hi"), "\"aGk=\"");
  EXPECT_EQ(eval_expr("payload('hex')", "hi"), "\"6869\"");
  EXPECT_EQ(eval_expr("payload('json')", "not json"), "null");
  EXPECT_EQ(eval_expr("payload()", "\xff\xfe"),
            "error: the output holds a string that is not valid UTF-8 (use to_base64 or to_hex)");
  auto uuid = eval_expr("newuuid()");
  ASSERT_EQ(uuid.size(), 38u);
  EXPECT_EQ(uuid[15], '4');
  EXPECT_NE(eval_expr("newuuid()"), uuid);
  EXPECT_EQ(eval_expr("timestamp('yyyy-MM-dd''T''HH:mm:ss.SSSX')"), "\"2023-11-14T22:13:20.123Z\"");
  EXPECT_EQ(eval_expr("timestamp_utc('h:mm a')"), "\"10:13 PM\"");
  EXPECT_EQ(eval_expr("unix_ts_to_rfc3339(1700000000123, 'millisecond')"),
            "\"2023-11-14T22:13:20.123Z\"");
  EXPECT_EQ(eval_expr("unix_ts_to_rfc3339(-1)"), "\"1969-12-31T23:59:59Z\"");
  EXPECT_EQ(eval_expr("unix_ts_to_rfc3339(9223372036854775807)"),
            "error: line 1, column 8: unix_ts_to_rfc3339(): timestamp out of range");
  EXPECT_EQ(eval_expr("rfc3339_to_unix_ts('2023-11-14T22:13:20.5Z', 'millisecond')"),
            "1700000000500");
  EXPECT_EQ(eval_expr("rfc3339_to_unix_ts('yesterday')"),
            "error: line 1, column 8: rfc3339_to_unix_ts(): not an RFC 3339 time");
  EXPECT_EQ(eval_expr("format_date('second', 0, '%Y-%m-%dT%H:%M:%S%:z')"),
            "\"2023-11-14T22:13:20+00:00\"");
  EXPECT_EQ(eval_expr("format_date('second', '-05:30', '%H:%M %z', 0)"), "\"18:30 -0530\"");
}

TEST(RulesFunctions, TimestampWithoutMessageTimeIsNow) {
  auto p = must_compile("SELECT timestamp() AS ts FROM \"#\"");
  ASSERT_TRUE(p);
  message_context m;
  auto r = p->evaluate(m);
  ASSERT_EQ(r.status, eval_status::passed);
  auto ts = std::stoll(r.output.substr(6));
  EXPECT_GT(ts, 1700000000000LL);
}

TEST(RulesFunctions, AttributeWithoutCallbackIsNull) {
  auto p = must_compile("SELECT attribute('room') AS r FROM \"#\"");
  ASSERT_TRUE(p);
  message_context m;
  EXPECT_EQ(p->evaluate(m).output, "{\"r\":null}");
}

TEST(RulesFunctions, Data) {
  EXPECT_EQ(eval_expr("int(38.9)"), "38");
  EXPECT_EQ(eval_expr("int(-38.9)"), "-38");
  EXPECT_EQ(eval_expr("int(true)"), "1");
  EXPECT_EQ(eval_expr("int(1e300)"), "error: line 1, column 8: int(): out of range");
  EXPECT_EQ(eval_expr("float(2)"), "2.0");
  EXPECT_EQ(eval_expr("str(1e21)"), "\"1e+21\"");
  EXPECT_EQ(eval_expr("str(tags)"), "\"[\\\"a\\\",\\\"b\\\",\\\"c\\\"]\"");
  EXPECT_EQ(eval_expr("bool(0)"), "false");
  EXPECT_EQ(eval_expr("bool('maybe')"),
            "error: line 1, column 8: bool(): 'maybe' is not a boolean");
  EXPECT_EQ(eval_expr("coalesce(NULL, missing_field)"), "null");
  EXPECT_EQ(eval_expr("json_decode('[1,{\"a\":\"b\"}]')"), "[1,{\"a\":\"b\"}]");
  EXPECT_EQ(eval_expr("json_decode('nope')"), "error: line 1, column 8: json_decode(): not JSON");
  EXPECT_EQ(eval_expr("json_decode('" + std::string(100, '[') + std::string(100, ']') + "')"),
            "error: line 1, column 8: json_decode(): nested too deeply");
  EXPECT_EQ(eval_expr("map_get('nope', items, 'dflt')"), "\"dflt\"");
  EXPECT_EQ(eval_expr("map_get('Humidity', items).value"), "61");
  EXPECT_EQ(eval_expr("nth(0, tags)"), "null");
  EXPECT_EQ(eval_expr("nth(4, tags)"), "null");
  EXPECT_EQ(eval_expr("contains('x', tags)"), "false");
  EXPECT_EQ(eval_expr("contains('ens', name)"), "true");
  EXPECT_EQ(eval_expr("first([])"), "null");
  EXPECT_EQ(eval_expr("last([1, 2])"), "2");
  EXPECT_EQ(eval_expr("thingPropertyFlatMap()"), R"({"Temperature":38.5,"Humidity":61})");
  EXPECT_EQ(eval_expr("thingPropertyFlatMap('Humidity', \"Nope\")"), R"({"Humidity":61})");
  EXPECT_EQ(eval_expr("thingPropertyFlatMap()", R"({"params":{"a":1,"b":{"value":2}}})"),
            R"({"a":1,"b":2})");
  EXPECT_EQ(eval_expr("thingPropertyFlatMap()", "[1]"), "{}");
}

TEST(RulesFunctions, FlatMapUnaliasedJoinsTheOutput) {
  auto p = must_compile("SELECT deviceName() AS dn, thingPropertyFlatMap(Temperature) FROM \"#\"");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->output_names(), (std::vector<std::string>{"dn", "Temperature"}));
  EXPECT_FALSE(p->star());
  auto r = p->evaluate(fixture());
  EXPECT_EQ(r.output, R"({"dn":"sensor-01","Temperature":38.5})");
  auto all = must_compile("SELECT thingPropertyFlatMap() FROM \"#\"");
  ASSERT_TRUE(all);
  EXPECT_TRUE(all->star());
  EXPECT_EQ(all->evaluate(fixture()).output, R"({"Temperature":38.5,"Humidity":61})");
}

TEST(RulesFunctions, BudgetStopsStringBlowUp) {
  // Each replace multiplies the length by 1,000: the third is over 1 MiB.
  auto big = eval_expr("replace(replace(replace(replace('aaaaaaaaaa', 'a', '" +
                       std::string(1000, 'a') + "'), 'a', '" + std::string(1000, 'a') +
                       "'), 'a', '" + std::string(1000, 'a') + "'), 'a', 'b')");
  EXPECT_NE(big.find("too long"), std::string::npos) << big.substr(0, 100);
  auto re = eval_expr("regex_replace('" + std::string(10000, 'a') + "', '', '" +
                      std::string(1000, 'x') + "')");
  EXPECT_NE(re.find("too long"), std::string::npos) << re.substr(0, 100);
}
