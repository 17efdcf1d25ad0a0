// The rrpc scenario's wire format: API paths and bodies, request topics,
// the API's answers, and the paced mode's schedule.

#include "tools/loadgen/rrpc.hpp"

#include <gtest/gtest.h>

#include "broker/tls/digest.hpp"

namespace iotb::loadgen {
namespace {

TEST(RrpcWire, TargetAndBody) {
  EXPECT_EQ(rrpc_target("T7cgxNLA6nI", "thermo-0001"),
            "/api/v1/products/T7cgxNLA6nI/devices/thermo-0001/rrpc");
  EXPECT_EQ(rrpc_body("c3.17", 3000), R"({"payload":"c3.17","timeoutMs":3000})");
  EXPECT_EQ(rrpc_body("a\"b\\c\n", 1), R"({"payload":"a\"b\\c\u000a","timeoutMs":1})");
}

TEST(RrpcWire, RequestTopicOfThisDeviceOnly) {
  auto id = rrpc_request_id("/sys/pk1/dev-1/rrpc/request/117718943319134208", "pk1", "dev-1");
  ASSERT_TRUE(id);
  EXPECT_EQ(*id, "117718943319134208");
  for (const char* bad : {"/sys/pk1/dev-1/rrpc/request/", "/sys/pk1/dev-1/rrpc/request/1/2",
                          "/sys/pk1/dev-2/rrpc/request/1", "/sys/pk2/dev-1/rrpc/request/1",
                          "/sys/pk1/dev-1/rrpc/response/1", "/sys/pk1/dev-10/rrpc/request/1",
                          "/sys/pk1dev-1/rrpc/request/1", "sys/pk1/dev-1/rrpc/request/1",
                          "/ext/rrpc/1/pk1/dev-1/user/get", ""})
    EXPECT_FALSE(rrpc_request_id(bad, "pk1", "dev-1")) << bad;
  EXPECT_EQ(rrpc_response_topic("pk1", "dev-1", "42"), "/sys/pk1/dev-1/rrpc/response/42");
}

TEST(RrpcWire, AnswersByOutcome) {
  auto ok = R"({"result":"SUCCESS","messageId":"99","payloadBase64":")" +
            tls::base64_encode("c0.1") + R"("})";
  auto v = classify_rrpc_answer(200, ok, "c0.1");
  EXPECT_EQ(v.outcome, rrpc_outcome::success);
  EXPECT_EQ(v.message_id, "99");
  // Another call's echo, or none at all.
  EXPECT_EQ(classify_rrpc_answer(200, ok, "c0.2").outcome, rrpc_outcome::mismatch);
  EXPECT_EQ(classify_rrpc_answer(200, R"({"result":"SUCCESS","messageId":"1"})", "x").outcome,
            rrpc_outcome::mismatch);
  EXPECT_EQ(classify_rrpc_answer(200, R"({"result":"SUCCESS","payloadBase64":"!!"})", "x").outcome,
            rrpc_outcome::mismatch);
  EXPECT_EQ(classify_rrpc_answer(200, R"({"result":"TIMEOUT","messageId":"5"})", "x").outcome,
            rrpc_outcome::timeout);
  EXPECT_EQ(classify_rrpc_answer(200, R"({"result":"OFFLINE"})", "x").outcome,
            rrpc_outcome::offline);
  EXPECT_EQ(classify_rrpc_answer(200, R"({"message":"no sub","result":"UNKNOWN"})", "x").outcome,
            rrpc_outcome::unknown);
  EXPECT_EQ(classify_rrpc_answer(429, R"({"code":"throttled"})", "x").outcome,
            rrpc_outcome::http_error);
  for (const char* bad : {"", "[]", "{", R"({"result":1})", R"({"result":"MAYBE"})", "{}"})
    EXPECT_EQ(classify_rrpc_answer(200, bad, "x").outcome, rrpc_outcome::bad_answer) << bad;
}

TEST(RrpcWire, OutcomeNames) {
  EXPECT_STREQ(outcome_name(rrpc_outcome::success), "SUCCESS");
  EXPECT_STREQ(outcome_name(rrpc_outcome::no_answer), "NO_ANSWER");
  EXPECT_EQ(static_cast<std::size_t>(rrpc_outcome::no_answer) + 1, rrpc_outcome_count);
}

TEST(RrpcPacer, CallKIsDueAtKOverRate) {
  rrpc_pacer p(1000);          // one call per ms
  EXPECT_EQ(p.due_by(0), 1u);  // call 0 at once
  EXPECT_EQ(p.due_by(999'999), 1u);
  EXPECT_EQ(p.due_by(1'000'000), 2u);
  EXPECT_EQ(p.due_by(10'000'000'000ULL), 10'001u);
  EXPECT_EQ(p.due_at(0), 0u);
  EXPECT_EQ(p.due_at(3), 3'000'000u);
}

TEST(RrpcPacer, DueByAndDueAtAgreeAtOddRates) {
  for (double rate : {1.0, 3.0, 7.0, 333.0, 4999.0, 12345.0}) {
    rrpc_pacer p(rate);
    for (std::uint64_t k = 0; k < 5000; ++k) {
      auto at = p.due_at(k);
      EXPECT_EQ(p.due_by(at), k + 1) << rate << " " << k;
      if (at > 0) {
        EXPECT_EQ(p.due_by(at - 1), k) << rate << " " << k;
      }
    }
  }
}

}  // namespace
}  // namespace iotb::loadgen
