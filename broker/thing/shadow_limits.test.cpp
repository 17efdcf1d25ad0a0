// Shadow refusals: every error code, the limits, compact replies.

#include "broker/thing/shadow.hpp"

#include <string>

#include <gtest/gtest.h>

#include "broker/thing/shadow_test_util.hpp"

using namespace iotb::thing;
using namespace iotb::thing::shadow_test;

// -- every error code -------------------------------------------------------------------

TEST(ShadowErrors, EveryCode) {
  struct row {
    const char* payload;
    int code;
  };
  const row rows[] = {
      {"not json", 400},
      {"[1,2]", 400},
      {R"({"method":"update",})", 400},
      {"{\"method\":\"get\",\"clientToken\":\"\xc3\x28\"}", 400},  // invalid UTF-8
      {R"({"state":{"reported":{"a":1}}})", 401},
      {R"({"method":"update"})", 402},
      {R"({"method":"update","state":"x"})", 402},
      {R"({"method":"delete","version":4})", 402},
      {R"({"method":"update","state":{"reported":{"a":1}},"version":"5"})", 403},
      {R"({"method":"update","state":{}})", 404},
      {R"({"method":"update","state":{"other":{"a":1}}})", 404},
      {R"({"method":"update","state":{"reported":[1]}})", 404},
      {R"({"method":"update","state":{"reported":"red"}})", 404},
      {R"({"method":"update","state":{"reported":{}}})", 405},
      {R"({"method":"delete","state":{"desired":{}}})", 405},
      {R"({"method":"set","state":{"reported":{"a":1}}})", 406},
      {R"({"method":1})", 406},
      {R"({"method":"reply"})", 406},
      {R"({"method":"update","state":{"reported":{"a":1}},"version":3})", 409},
  };
  for (auto& r : rows) {
    auto out = run(sample(), r.payload);
    EXPECT_EQ(code_of(out), r.code) << r.payload;
    EXPECT_FALSE(out.changed) << r.payload;
    EXPECT_EQ(out.doc, sample());
    EXPECT_NE(out.reply.find(std::string(R"("errorcode":")") + std::to_string(r.code) + "\""),
              std::string::npos)
        << out.reply;
    expect_compact(out.reply);
  }
  EXPECT_EQ(code_of(run({}, R"({"method":"get"})")), 407);
  std::string many = R"({"method":"update","state":{"reported":{)";
  for (int i = 0; i < 129; ++i)
    many += (i ? ",\"a" : "\"a") + std::to_string(i) + "\":1";
  EXPECT_EQ(code_of(run({}, many + "}}}")), 408);
}

TEST(ShadowErrors, TableAndStatuses) {
  EXPECT_EQ(shadow_code(shadow_errc::bad_json), 400);
  EXPECT_EQ(shadow_code(shadow_errc::too_large), 400);
  EXPECT_EQ(shadow_code(shadow_errc::too_deep), 400);
  EXPECT_EQ(shadow_code(shadow_errc::missing_method), 401);
  EXPECT_EQ(shadow_code(shadow_errc::missing_state), 402);
  EXPECT_EQ(shadow_code(shadow_errc::bad_version), 403);
  EXPECT_EQ(shadow_code(shadow_errc::missing_reported), 404);
  EXPECT_EQ(shadow_code(shadow_errc::empty_reported), 405);
  EXPECT_EQ(shadow_code(shadow_errc::invalid_method), 406);
  EXPECT_EQ(shadow_code(shadow_errc::empty_document), 407);
  EXPECT_EQ(shadow_code(shadow_errc::too_many_attributes), 408);
  EXPECT_EQ(shadow_code(shadow_errc::version_conflict), 409);
  EXPECT_EQ(shadow_code(shadow_errc::too_many_requests), 429);
  EXPECT_EQ(shadow_code(shadow_errc::server_error), 500);
  EXPECT_EQ(shadow_http_status(shadow_errc::version_conflict), 409);
  EXPECT_EQ(shadow_http_status(shadow_errc::missing_state), 400);
  EXPECT_EQ(shadow_http_status(shadow_errc::server_error), 500);
  EXPECT_EQ(shadow_message(shadow_errc::empty_document), "shadow document is empty");
}

TEST(ShadowErrors, RateLimitAndServerErrorReplies) {
  auto r = shadow_error_reply(shadow_errc::too_many_requests,
                              R"({"method":"update","clientToken" : "tok-9","state":{}})", t1_ms);
  EXPECT_EQ(r, error_json("429", "too many requests", R"("tok-9")"));
  EXPECT_EQ(shadow_error_reply(shadow_errc::server_error, "garbage", t1_ms),
            error_json("500", "server error"));
  // An escaped or unterminated token is not echoed.
  EXPECT_EQ(shadow_error_reply(shadow_errc::server_error, R"({"clientToken":"a\"b"})", t1_ms)
                .find("clientToken"),
            std::string::npos);
  EXPECT_EQ(shadow_error_reply(shadow_errc::server_error, R"({"clientToken":"ab)", t1_ms)
                .find("clientToken"),
            std::string::npos);
}

// -- limits -----------------------------------------------------------------------------

namespace {

// An update of `n` attributes a0…a(n-1), each a string of `len` bytes.
std::string report(int n, std::size_t len, const char* version = nullptr) {
  std::string p = R"({"method":"update","state":{"reported":{)";
  for (int i = 0; i < n; ++i)
    p += (i ? ",\"a" : "\"a") + std::to_string(i) + "\":\"" + std::string(len, 'v') + "\"";
  p += "}}";
  if (version)
    p += std::string(",\"version\":") + version;
  return p + "}";
}

}  // namespace

TEST(ShadowLimits, DocumentSize) {
  // 16 attributes: each costs its value plus ~40 bytes of key and metadata.
  auto small = run({}, report(16, 900));
  ASSERT_FALSE(small.error) << small.reply;
  EXPECT_LE(small.stored.size(), 16384u);
  EXPECT_GT(small.stored.size(), 15000u);
  auto big = run({}, report(17, 1000));  // ~17 KB
  EXPECT_EQ(code_of(big), 400);
  EXPECT_EQ(*big.error, shadow_errc::too_large);
  EXPECT_TRUE(big.doc.empty());
  // Growing an existing document past the limit is refused too.
  auto grow = run(small.doc, R"({"method":"update","state":{"reported":{"z":")" +
                                 std::string(1500, 'z') + "\"}}}");
  EXPECT_EQ(code_of(grow), 400);
  // A request over max_request_bytes is refused before parsing.
  auto huge = run({}, R"({"clientToken":"h","method":"update","state":{"reported":{"a":")" +
                          std::string(70000, 'x') + "\"}}}");
  EXPECT_EQ(*huge.error, shadow_errc::too_large);
  EXPECT_NE(huge.reply.find(R"("clientToken":"h")"), std::string::npos);
}

TEST(ShadowLimits, Depth) {
  auto five =
      run({}, R"({"method":"update","state":{"reported":{"a":{"b":{"c":{"d":{"e":1}}}}}}})");
  EXPECT_FALSE(five.error) << five.reply;
  auto arrays = run({}, R"({"method":"update","state":{"reported":{"a":[[[[1]]]]}}})");
  EXPECT_FALSE(arrays.error);
  auto six =
      run({}, R"({"method":"update","state":{"reported":{"a":{"b":{"c":{"d":{"e":{"f":1}}}}}}}})");
  EXPECT_EQ(code_of(six), 400);
  EXPECT_EQ(*six.error, shadow_errc::too_deep);
  auto six_arrays = run({}, R"({"method":"update","state":{"desired":{"a":[[[[[1]]]]]}}})");
  EXPECT_EQ(*six_arrays.error, shadow_errc::too_deep);
  // Far too deep for the pre-parse check.
  std::string deep = R"({"method":"update","state":{"reported":{"a":)" + std::string(100, '[') +
                     std::string(100, ']') + "}}}";
  EXPECT_EQ(*run({}, deep).error, shadow_errc::too_deep);
}

TEST(ShadowLimits, Attributes) {
  auto full = run({}, report(128, 1));
  ASSERT_FALSE(full.error) << full.reply;
  EXPECT_EQ(full.doc.attribute_count(), 128u);
  EXPECT_EQ(code_of(run({}, report(129, 1))), 408);
  // desired ∪ reported: desiring a reported attribute does not count twice…
  auto same = run(full.doc, R"({"method":"update","state":{"desired":{"a0":"x"}}})");
  EXPECT_FALSE(same.error);
  // …a new name does.
  auto extra = run(full.doc, R"({"method":"update","state":{"desired":{"new":"x"}}})");
  EXPECT_EQ(code_of(extra), 408);
  // Deleting and adding in one request is counted after the request.
  auto swap = run(full.doc, R"({"method":"update","state":{"reported":{"a0":null,"b":1}}})");
  EXPECT_FALSE(swap.error);
}

TEST(ShadowLimits, LoweredLimitsStillLetADocumentShrink) {
  auto full = run({}, report(10, 100));
  ASSERT_FALSE(full.error);
  shadow_limits tight;
  tight.max_attributes = 5;
  tight.max_doc_bytes = 500;
  auto shrink =
      run(full.doc, R"({"method":"delete","state":{"reported":{"a0":"null"}}})", t1_ms, tight);
  EXPECT_FALSE(shrink.error) << shrink.reply;
  auto grow = run(full.doc, R"({"method":"update","state":{"reported":{"zz":1}}})", t1_ms, tight);
  EXPECT_EQ(code_of(grow), 408);
}

// -- replies are compact ----------------------------------------------------------------

TEST(ShadowReplies, Compact) {
  const char* requests[] = {
      R"({ "method" : "update", "state" : { "reported" : { "a" : { "b" : [1, 2] } } }, "clientToken" : "c" })",
      R"({ "method" : "get", "clientToken" : "c" })",
      R"({ "method" : "delete", "state" : { "reported" : "null" } })",
      R"({ "method" : "update", "version" : "x" })",
  };
  shadow_doc d = sample();
  for (auto* p : requests) {
    auto r = run(d, p);
    expect_compact(r.reply);
    if (r.changed) {
      expect_compact(r.stored);
      d = r.doc;
    }
  }
  expect_compact(control_message(d, t1_ms));
}
