// The PostgreSQL sink's configuration and its mapping of records to rows
// (pg_mapping.hpp): pure functions, no server.

#include "pg_mapping.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace iotbroker::pg {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr const char* conninfo = R"("conninfo":"host=127.0.0.1 dbname=iot")";

std::string cfg_json(const std::string& rest) {
  return std::string{"{"} + conninfo + "," + rest + "}";
}

config must_parse(const std::string& json) {
  auto r = parse_config(json);
  EXPECT_TRUE(r.config) << r.error << "\n" << json;
  return r.config.value_or(config{});
}

sink::record sample(std::string_view output) {
  sink::record r;
  r.output = output;
  r.topic = "/a1/dev1/user/update";
  r.product_key = "a1";
  r.device_name = "dev1";
  r.message_id = 18'000'000'000'000'000'001ULL;
  r.timestamp_ms = 1'764'756'000'123;  // 2025-12-03T10:00:00.123Z
  return r;
}

TEST(PgConfig, ParsesEveryKeyAndKeepsTheColumnOrder) {
  auto c = must_parse(cfg_json(
      R"("table":"iot.readings","columns":{"t":"temp","site":"meta.site","id":"$messageId",)"
      R"("at":"$timestamp","raw":"$output"},"connectTimeoutSeconds":2,"statementTimeoutMs":500)"));
  EXPECT_EQ(c.conninfo, "host=127.0.0.1 dbname=iot");
  EXPECT_THAT(c.table, ElementsAre("iot", "readings"));
  ASSERT_EQ(c.columns.size(), 5u);
  EXPECT_EQ(c.columns[0].name, "t");
  EXPECT_EQ(c.columns[0].from, source::field);
  EXPECT_THAT(c.columns[1].path, ElementsAre("meta", "site"));
  EXPECT_EQ(c.columns[2].from, source::message_id);
  EXPECT_EQ(c.columns[3].from, source::timestamp);
  EXPECT_EQ(c.columns[4].from, source::output);
  EXPECT_EQ(c.connect_timeout_s, 2u);
  EXPECT_EQ(c.statement_timeout_ms, 500u);
}

TEST(PgConfig, Defaults) {
  auto c = must_parse(cfg_json(R"("table":"t","columns":{"a":"a"})"));
  EXPECT_EQ(c.connect_timeout_s, 5u);
  EXPECT_EQ(c.statement_timeout_ms, 10'000u);
  EXPECT_THAT(c.table, ElementsAre("t"));
}

TEST(PgConfig, RefusesWithTheKeyNamed) {
  struct bad_case {
    std::string json;
    std::string why;
  };
  const std::string cols = R"("columns":{"a":"a"})";
  std::vector<bad_case> cases = {
      {"[]", "must be a JSON object"},
      {"{", "must be a JSON object"},
      {R"({"table":"t","columns":{"a":"a"}})", "conninfo: required"},
      {cfg_json(cols), "table: required"},
      {cfg_json(R"("table":"t")"), "columns: required"},
      {cfg_json(R"("table":"t","columns":{})"), "columns: expected an object"},
      {cfg_json(R"("table":"t","columns":["a"])"), "columns: expected an object"},
      {cfg_json(R"("table":"t","columns":{"a":1})"), "columns.a: expected a field"},
      {cfg_json(R"("table":"t","columns":{"a":""})"), "columns.a: expected a field"},
      {cfg_json(R"("table":"t","columns":{"a":"$nope"})"), "unknown '$nope'"},
      {cfg_json(R"("table":"t","columns":{"a":"x..y"})"), "an empty part in the path"},
      {cfg_json(R"("table":"t","columns":{"a":"x","a":"y"})"), "columns.a: named twice"},
      {cfg_json(R"("table":"t","columns":{"":"x"})"), "an empty name"},
      {cfg_json(R"("table":"t","columns":{")" + std::string(64, 'c') + R"(":"x"})"),
       "longer than 63 bytes"},
      {cfg_json(R"("table":"a.b.c",)" + cols), "table: expected"},
      {cfg_json(R"("table":"a.",)" + cols), "table: an empty name"},
      {cfg_json(R"("table":7,)" + cols), "table: expected a string"},
      {cfg_json(R"("table":"t",)" + cols + R"(,"connectTimeoutSeconds":0)"),
       "connectTimeoutSeconds: expected an integer in [1, 300]"},
      {cfg_json(R"("table":"t",)" + cols + R"(,"statementTimeoutMs":"5")"),
       "statementTimeoutMs: expected an integer"},
      {cfg_json(R"("table":"t",)" + cols + R"(,"sslmode":"require")"),
       "unknown key 'sslmode' (conninfo, table, columns"},
      {R"({"conninfo":"","table":"t","columns":{"a":"a"}})", "conninfo: expected"},
  };
  for (const auto& c : cases) {
    auto r = parse_config(c.json);
    EXPECT_FALSE(r.config) << c.json;
    EXPECT_THAT(r.error, HasSubstr(c.why)) << c.json;
  }
}

TEST(PgSql, QuotesIdentifiers) {
  EXPECT_EQ(quote_identifier("t"), R"("t")");
  EXPECT_EQ(quote_identifier(R"(we"ird)"), R"("we""ird")");
  EXPECT_EQ(quote_identifier("Mixed Case;drop"), R"("Mixed Case;drop")");
}

TEST(PgSql, OneMultiRowInsertNumbersItsParameters) {
  auto c = must_parse(cfg_json(R"("table":"s.T x","columns":{"a":"a","b\"":"b"})"));
  EXPECT_EQ(insert_sql(c, 1), R"(INSERT INTO "s"."T x" ("a","b""") VALUES ($1,$2))");
  EXPECT_EQ(insert_sql(c, 3),
            R"(INSERT INTO "s"."T x" ("a","b""") VALUES ($1,$2),($3,$4),($5,$6))");
}

TEST(PgSql, RowsPerStatementStayUnderTheParameterLimit) {
  EXPECT_EQ(rows_per_statement(5, 100), 100u);
  EXPECT_EQ(rows_per_statement(1000, 100), 65u);  // 65 * 1000 <= 65535
  EXPECT_EQ(rows_per_statement(1600, 100), 40u);
  EXPECT_EQ(rows_per_statement(70'000, 100), 1u);
  EXPECT_EQ(rows_per_statement(3, 0), 1u);
}

TEST(PgRow, MapsFieldsPathsAndSpecials) {
  auto c = must_parse(cfg_json(
      R"("table":"t","columns":{"s":"name","n":"temp","i":"count","b":"on","o":"meta",)"
      R"("a":"list","deep":"meta.site.id","missing":"nope","null":"nothing","through":"name.x",)"
      R"("topic":"$topic","pk":"$productKey","dn":"$deviceName","id":"$messageId",)"
      R"("at":"$timestamp","ms":"$timestampMs","all":"$output"})"));
  const std::string out =
      R"({"name":"lamp \"1\"\n","temp":38.5,"count":-7,"on":true,"meta":{"site":{"id":"n1"}},)"
      R"("list":[1,"x",null],"nothing":null})";
  std::vector<param> row;
  ASSERT_EQ(append_row(c, sample(out), row), "");
  ASSERT_EQ(row.size(), c.columns.size());
  EXPECT_EQ(row[0], "lamp \"1\"\n");  // a string as it is, unescaped
  EXPECT_EQ(row[1], "38.5");
  EXPECT_EQ(row[2], "-7");
  EXPECT_EQ(row[3], "true");
  EXPECT_EQ(row[4], R"({"site":{"id":"n1"}})");
  EXPECT_EQ(row[5], R"([1,"x",null])");
  EXPECT_EQ(row[6], "n1");
  EXPECT_EQ(row[7], std::nullopt);  // missing: NULL
  EXPECT_EQ(row[8], std::nullopt);  // JSON null: NULL
  EXPECT_EQ(row[9], std::nullopt);  // a path through a string: NULL
  EXPECT_EQ(row[10], "/a1/dev1/user/update");
  EXPECT_EQ(row[11], "a1");
  EXPECT_EQ(row[12], "dev1");
  EXPECT_EQ(row[13], "18000000000000000001");
  EXPECT_EQ(row[14], "2025-12-03T10:00:00.123Z");
  EXPECT_EQ(row[15], "1764756000123");
  EXPECT_EQ(row[16], out);
}

TEST(PgRow, RowsAppendAfterEachOther) {
  auto c = must_parse(cfg_json(R"("table":"t","columns":{"a":"a","id":"$messageId"})"));
  std::vector<param> params;
  ASSERT_EQ(append_row(c, sample(R"({"a":1})"), params), "");
  ASSERT_EQ(append_row(c, sample(R"({"a":2})"), params), "");
  EXPECT_THAT(params, ElementsAre("1", "18000000000000000001", "2", "18000000000000000001"));
}

TEST(PgRow, OutputThatIsNotAnObjectGivesNulls) {
  auto c = must_parse(cfg_json(R"("table":"t","columns":{"a":"a","all":"$output"})"));
  std::vector<param> row;
  ASSERT_EQ(append_row(c, sample("[1,2]"), row), "");
  EXPECT_THAT(row, ElementsAre(std::nullopt, "[1,2]"));
  row.clear();
  ASSERT_EQ(append_row(c, sample("not json"), row), "");
  EXPECT_THAT(row, ElementsAre(std::nullopt, "not json"));
  row.clear();
  ASSERT_EQ(append_row(c, sample(""), row), "");
  EXPECT_THAT(row, ElementsAre(std::nullopt, std::nullopt));
}

TEST(PgRow, ATextWithNulIsRefusedAndLeavesNothingBehind) {
  auto c = must_parse(cfg_json(R"("table":"t","columns":{"id":"$messageId","a":"a"})"));
  std::vector<param> params;
  ASSERT_EQ(append_row(c, sample(R"({"a":"ok"})"), params), "");
  auto err = append_row(c, sample(R"({"a":"x\u0000y"})"), params);
  EXPECT_THAT(err, HasSubstr("column a: a text value with a NUL character"));
  EXPECT_EQ(params.size(), 2u);
}

TEST(PgRow, Rfc3339) {
  EXPECT_EQ(rfc3339_ms(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(rfc3339_ms(1'764'756'000'123), "2025-12-03T10:00:00.123Z");
  EXPECT_EQ(rfc3339_ms(-1), "1969-12-31T23:59:59.999Z");
}

}  // namespace
}  // namespace iotbroker::pg
