// Serving the console's files (console.hpp): content negotiation, caching,
// conditional requests, unknown names.

#include "broker/admin/console.hpp"

#include <array>
#include <cstdint>
#include <string>

#include <gtest/gtest.h>

using namespace iotb::admin;

namespace {

const std::uint8_t index_plain[] = {'<', 'h', 't', 'm', 'l', '>'};
const std::uint8_t index_gz[] = {0x1f, 0x8b, 1};
const std::uint8_t app_plain[] = {'j', 's'};
const std::uint8_t app_gz[] = {0x1f, 0x8b, 2};

const std::array<console_asset, 2> assets{{
    {"index.html", "text/html; charset=utf-8", "\"i1\"", index_plain, index_gz},
    {"app-ABC.js", "text/javascript; charset=utf-8", "\"a1\"", app_plain, app_gz},
}};

request get(const std::string& target, const std::string& accept_encoding = {},
            const std::string& inm = {}) {
  request r{http::verb::get, target, 11};
  if (!accept_encoding.empty())
    r.set(http::field::accept_encoding, accept_encoding);
  if (!inm.empty())
    r.set(http::field::if_none_match, inm);
  return r;
}

}  // namespace

TEST(Console, IndexIsRevalidatedAndLockedDown) {
  auto r = console_response(get("/"), "", assets);
  EXPECT_EQ(r.result(), http::status::ok);
  EXPECT_EQ(r.body(), "<html>");
  EXPECT_EQ(r[http::field::content_type], "text/html; charset=utf-8");
  EXPECT_EQ(r[http::field::cache_control], "no-cache");
  EXPECT_EQ(r[http::field::etag], "\"i1\"");
  EXPECT_NE(r["Content-Security-Policy"].find("default-src 'self'"), std::string::npos);
  EXPECT_EQ(r[http::field::content_encoding], "");
}

TEST(Console, HashedBundlesAreImmutable) {
  auto r = console_response(get("/assets/app-ABC.js"), "app-ABC.js", assets);
  EXPECT_EQ(r.result(), http::status::ok);
  EXPECT_EQ(r.body(), "js");
  EXPECT_EQ(r[http::field::cache_control], "public, max-age=31536000, immutable");
  EXPECT_EQ(r[http::field::vary], "Accept-Encoding");
}

TEST(Console, GzipOnlyWhenAccepted) {
  auto gz = console_response(get("/", "br, gzip, deflate"), "", assets);
  EXPECT_EQ(gz[http::field::content_encoding], "gzip");
  EXPECT_EQ(gz.body().size(), 3u);
  for (const char* refused : {"gzip;q=0", "deflate", "identity", " gzip ; q=0.0"}) {
    auto r = console_response(get("/", refused), "", assets);
    EXPECT_EQ(r[http::field::content_encoding], "") << refused;
    EXPECT_EQ(r.body(), "<html>") << refused;
  }
  for (const char* accepted : {"gzip;q=0.5", "*", "identity, gzip"}) {
    auto r = console_response(get("/", accepted), "", assets);
    EXPECT_EQ(r[http::field::content_encoding], "gzip") << accepted;
  }
}

TEST(Console, MatchingEtagAnswers304WithoutBody) {
  for (const char* inm : {"\"i1\"", "W/\"i1\"", "\"x\", \"i1\"", "*"}) {
    auto r = console_response(get("/", "gzip", inm), "", assets);
    EXPECT_EQ(r.result(), http::status::not_modified) << inm;
    EXPECT_TRUE(r.body().empty());
    EXPECT_EQ(r[http::field::etag], "\"i1\"");
  }
  auto r = console_response(get("/", "", "\"other\""), "", assets);
  EXPECT_EQ(r.result(), http::status::ok);
}

TEST(Console, UnknownFileIs404Json) {
  auto r = console_response(get("/assets/nope.js"), "nope.js", assets);
  EXPECT_EQ(r.result(), http::status::not_found);
  EXPECT_NE(r.body().find("\"code\":\"not_found\""), std::string::npos);
}
