#include "broker/admin/router.hpp"

#include <gtest/gtest.h>

namespace iotb::admin {
namespace {

std::vector<std::string> segs(std::string_view t) {
  auto r = parse_target(t);
  EXPECT_TRUE(r) << t;
  return r ? r->segments : std::vector<std::string>{};
}

TEST(Router, PercentDecoding) {
  EXPECT_EQ(*percent_decode("a%20b%2Fc", false), "a b/c");
  EXPECT_EQ(*percent_decode("a+b", false), "a+b");
  EXPECT_EQ(*percent_decode("a+b", true), "a b");
  EXPECT_EQ(*percent_decode("%41%6a", false), "Aj");
  for (auto bad : {"%", "%4", "%G0", "x%zz", "%00"})
    EXPECT_FALSE(percent_decode(bad, true)) << bad;
}

TEST(Router, QueryStrings) {
  auto q = parse_query("name=dev%2D&state=online&&flag&x=a+b&name=second");
  ASSERT_TRUE(q);
  EXPECT_EQ(q->value("name"), "dev-");
  EXPECT_EQ(q->value("state"), "online");
  EXPECT_EQ(q->get("flag"), std::optional<std::string_view>(""));
  EXPECT_EQ(q->value("x"), "a b");
  EXPECT_FALSE(q->get("missing"));
  EXPECT_EQ(q->items().size(), 5u);
  EXPECT_FALSE(parse_query("a=%"));
  EXPECT_TRUE(parse_query("")->items().empty());
}

TEST(Router, Targets) {
  auto t = parse_target("/api/v1/products/pk1/devices/dev%40x%3A1?page=2&limit=10");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->segments,
            (std::vector<std::string>{"api", "v1", "products", "pk1", "devices", "dev@x:1"}));
  EXPECT_EQ(t->query.value("page"), "2");
  EXPECT_EQ(segs("/"), std::vector<std::string>{});
  EXPECT_EQ(segs("/a/"), (std::vector<std::string>{"a", ""}));
  EXPECT_EQ(segs("/a%2Fb"), std::vector<std::string>{"a/b"});  // %2F does not split
  EXPECT_FALSE(parse_target(""));
  EXPECT_FALSE(parse_target("http://x/"));
  EXPECT_FALSE(parse_target("*"));
  EXPECT_FALSE(parse_target("/a%zz"));
  EXPECT_FALSE(parse_target(std::string_view("/a\0b", 4)));
  EXPECT_FALSE(parse_target("/a\tb"));
  std::string deep;
  for (int i = 0; i < 100; ++i)
    deep += "/x";
  EXPECT_FALSE(parse_target(deep));
}

TEST(Router, MatchesPatternsWithParameters) {
  router r;
  ASSERT_TRUE(r.add(method::get, "/api/v1/products", 1));
  ASSERT_TRUE(r.add(method::post, "/api/v1/products", 2));
  ASSERT_TRUE(r.add(method::get, "/api/v1/products/{pk}", 3));
  ASSERT_TRUE(r.add(method::get, "/api/v1/products/{pk}/devices/{dn}", 4));
  ASSERT_TRUE(r.add(method::get, "/api/v1/products/{pk}/devices/{dn}/log", 5));
  ASSERT_TRUE(r.add(method::get, "/api/v1/products/special", 6));

  auto m = r.match(method::get, segs("/api/v1/products/abc/devices/dev-1"));
  ASSERT_TRUE(m);
  EXPECT_EQ(m->tag, 4u);
  EXPECT_EQ(m->path.value("pk"), "abc");
  EXPECT_EQ(m->path.value("dn"), "dev-1");
  EXPECT_EQ(r.match(method::post, segs("/api/v1/products"))->tag, 2u);
  EXPECT_EQ(r.match(method::get, segs("/api/v1/products/x/devices/y/log"))->tag, 5u);
  EXPECT_EQ(r.match(method::get, segs("/api/v1/products/special"))->tag, 6u);  // literal wins
  EXPECT_EQ(r.match(method::get, segs("/api/v1/products/other"))->tag, 3u);

  EXPECT_EQ(r.match(method::get, segs("/api/v1/nothing")).error(), route_errc::not_found);
  EXPECT_EQ(r.match(method::get, segs("/api/v1/products/x/devices")).error(),
            route_errc::not_found);
  EXPECT_EQ(r.match(method::get, segs("/api/v1/products/")).error(), route_errc::not_found);
  EXPECT_EQ(r.match(method::del, segs("/api/v1/products")).error(), route_errc::method_not_allowed);
  EXPECT_EQ(r.allowed(segs("/api/v1/products")), "GET, POST");
  EXPECT_EQ(r.match(method::other, segs("/api/v1/products/x")).error(),
            route_errc::method_not_allowed);
}

TEST(Router, RefusesMalformedAndDuplicatePatterns) {
  router r;
  EXPECT_FALSE(r.add(method::get, "", 0));
  EXPECT_FALSE(r.add(method::get, "api", 0));
  EXPECT_FALSE(r.add(method::get, "/a/{}", 0));
  EXPECT_FALSE(r.add(method::get, "/a/{x", 0));
  EXPECT_FALSE(r.add(method::get, "/a/b}c", 0));
  EXPECT_TRUE(r.add(method::get, "/a/{x}", 0));
  EXPECT_FALSE(r.add(method::get, "/a/{y}", 1));  // same shape
  EXPECT_TRUE(r.add(method::post, "/a/{y}", 1));
}

TEST(Router, Methods) {
  EXPECT_EQ(parse_method("GET"), method::get);
  EXPECT_EQ(parse_method("DELETE"), method::del);
  EXPECT_EQ(parse_method("PATCH"), method::patch);
  EXPECT_EQ(parse_method("get"), method::other);
  EXPECT_EQ(parse_method("BREW"), method::other);
}

}  // namespace
}  // namespace iotb::admin
