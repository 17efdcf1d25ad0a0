#include "broker/admin/json.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace iotb::admin {
namespace {

TEST(AdminJson, Utf8LossyKeepsValidTextAndReplacesEachBadByte) {
  bool replaced = true;
  EXPECT_EQ(utf8_lossy("", &replaced), "");
  EXPECT_FALSE(replaced);
  const std::string ok = "plain, \xC3\xA9t\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80";
  EXPECT_EQ(utf8_lossy(ok, &replaced), ok);
  EXPECT_FALSE(replaced);
  const std::string fffd = "\xEF\xBF\xBD";
  struct bad_case {
    std::string in, out;
  };
  for (const auto& c : std::vector<bad_case>{
           {"\xFF", fffd},  // never a lead byte
           {"a\x80"
            "b",
            "a" + fffd + "b"},                               // a lone continuation byte
           {"\xC3", fffd},                                   // cut short at the end
           {"\xC3(", fffd + "("},                            // a bad continuation
           {"\xC0\xAF", fffd + fffd},                        // overlong '/'
           {"\xE0\x80\xAF", fffd + fffd + fffd},             // overlong, three bytes
           {"\xED\xA0\x80", fffd + fffd + fffd},             // a surrogate (U+D800)
           {"\xF4\x90\x80\x80", fffd + fffd + fffd + fffd},  // above U+10FFFF
           {std::string("\0x", 2), std::string("\0x", 2)},   // NUL is valid UTF-8
       }) {
    EXPECT_EQ(utf8_lossy(c.in, &replaced), c.out) << c.in;
    EXPECT_EQ(replaced, c.in != c.out) << c.in;
  }
}

TEST(AdminJson, ErrorBodies) {
  EXPECT_EQ(error_body({api_errc::not_found, "no \"x\""}),
            R"({"code":"not_found","message":"no \"x\""})");
  EXPECT_EQ(status_of(api_errc::bad_json), 400u);
  EXPECT_EQ(status_of(api_errc::bad_field), 400u);
  EXPECT_EQ(status_of(api_errc::exists), 409u);
  EXPECT_EQ(status_of(api_errc::throttled), 429u);
  EXPECT_EQ(status_of(api_errc::unavailable), 503u);
  EXPECT_STREQ(slug(api_errc::method_not_allowed), "method_not_allowed");
}

TEST(AdminJson, BadJsonIsReported) {
  for (auto bad : {"", "{", "[1,2]", "\"x\"", "{\"a\":}", "{\"a\":1}x", "nul", "{'a':1}"}) {
    auto b = json_body::parse(bad);
    ASSERT_FALSE(b) << bad;
    EXPECT_EQ(b.error().code, api_errc::bad_json);
  }
  EXPECT_TRUE(json_body::parse("", true));
  EXPECT_TRUE(json_body::parse("  \n", true));
}

TEST(AdminJson, TypedFields) {
  auto b = json_body::parse(R"({"name":"x","on":true,"count":5,"cats":[1]})");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->string("name"), "x");
  EXPECT_EQ(b->boolean("on"), true);
  EXPECT_EQ(b->uint("count", 1, 10), 5u);
  EXPECT_TRUE(b->raw("cats")->IsArray());
  EXPECT_FALSE(b->string("absent"));
  EXPECT_FALSE(b->finish());
}

TEST(AdminJson, WrongTypesNameTheField) {
  auto b = json_body::parse(R"({"name":5,"on":"yes"})");
  ASSERT_TRUE(b);
  EXPECT_FALSE(b->string("name"));
  EXPECT_FALSE(b->boolean("on"));
  auto e = b->finish();
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code, api_errc::bad_field);
  EXPECT_NE(e->message.find("'name'"), std::string::npos);  // the first problem
}

TEST(AdminJson, RangesAndRequiredFields) {
  auto b = json_body::parse(R"({"count":0,"neg":-1,"big":1e3})");
  ASSERT_TRUE(b);
  EXPECT_FALSE(b->uint("count", 1, 10));
  EXPECT_NE(b->finish()->message.find("'count'"), std::string::npos);
  auto c = json_body::parse(R"({"neg":-1})");
  EXPECT_FALSE(c->uint("neg", 0, 10));
  EXPECT_TRUE(c->finish());
  auto d = json_body::parse(R"({})");
  EXPECT_FALSE(d->string("username", true));
  EXPECT_NE(d->finish()->message.find("missing field 'username'"), std::string::npos);
  auto e = json_body::parse(R"({"s":"0123456789"})");
  EXPECT_FALSE(e->string("s", false, 5));
  EXPECT_TRUE(e->finish());
}

TEST(AdminJson, UnknownFieldsAreRefused) {
  auto b = json_body::parse(R"({"name":"x","nmae":"y"})");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->string("name"), "x");
  auto e = b->finish();
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code, api_errc::bad_field);
  EXPECT_EQ(e->message, "unknown field 'nmae'");
}

TEST(AdminJson, NullCountsAsAbsent) {
  auto b = json_body::parse(R"({"name":null})");
  EXPECT_FALSE(b->string("name"));
  EXPECT_FALSE(b->finish());
}

TEST(AdminJson, Paging) {
  auto q = [](std::string_view s) { return *parse_query(s); };
  auto p = parse_page(q(""));
  ASSERT_TRUE(p);
  EXPECT_EQ(p->page, 1u);
  EXPECT_EQ(p->limit, 100u);
  EXPECT_EQ(p->offset(), 0u);
  p = parse_page(q("page=3&limit=1000"));
  ASSERT_TRUE(p);
  EXPECT_EQ(p->offset(), 2000u);
  for (auto bad : {"limit=0", "limit=1001", "page=0", "page=x", "limit=-1", "limit=", "page=1.5"}) {
    auto r = parse_page(q(bad));
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, api_errc::bad_request);
  }
}

TEST(AdminJson, ListEnvelope) {
  auto body = list_body(7, [](json_writer& w) {
    w.Int(1);
    w.Int(2);
  });
  EXPECT_EQ(body, R"({"items":[1,2],"total":7})");
  EXPECT_EQ(list_body(0, [](json_writer&) {}), R"({"items":[],"total":0})");
}

}  // namespace
}  // namespace iotb::admin
