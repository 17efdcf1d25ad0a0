#include "broker/thing/calls.hpp"

#include <gtest/gtest.h>

using namespace iotb::thing;

TEST(call_topics, requests_follow_spec_topics) {
  EXPECT_EQ(rrpc_request_topic("pk1", "dev-1", "42"), "/sys/pk1/dev-1/rrpc/request/42");
  EXPECT_EQ(property_set_topic("pk1", "dev-1"), "/sys/pk1/dev-1/thing/service/property/set");
  EXPECT_EQ(service_topic("pk1", "dev-1", "reboot"), "/sys/pk1/dev-1/thing/service/reboot");
  EXPECT_EQ(ext_rrpc_topic("42", service_topic("pk1", "dev-1", "reboot")),
            "/ext/rrpc/42/sys/pk1/dev-1/thing/service/reboot");
  EXPECT_EQ(ext_rrpc_topic("42", default_rrpc_inner_topic("pk1", "dev-1")),
            "/ext/rrpc/42/pk1/dev-1/user/get");
}

TEST(call_topics, rrpc_inner_topic_must_be_the_devices_own) {
  EXPECT_TRUE(own_rrpc_inner_topic("/pk1/dev-1/user/get", "pk1", "dev-1"));
  EXPECT_TRUE(own_rrpc_inner_topic("/sys/pk1/dev-1/thing/service/x", "pk1", "dev-1"));
  EXPECT_FALSE(own_rrpc_inner_topic("/pk1/dev-2/user/get", "pk1", "dev-1"));
  EXPECT_FALSE(own_rrpc_inner_topic("/pk1/dev-10/user/get", "pk1", "dev-1"));
  EXPECT_FALSE(own_rrpc_inner_topic("/pk1/dev-1", "pk1", "dev-1"));  // nothing after dn
  EXPECT_FALSE(own_rrpc_inner_topic("/pk1/dev-1/", "pk1", "dev-1"));
  EXPECT_FALSE(own_rrpc_inner_topic("pk1/dev-1/user/get", "pk1", "dev-1"));  // no leading /
  EXPECT_FALSE(own_rrpc_inner_topic("/pk1/dev-1/user/+", "pk1", "dev-1"));
  EXPECT_FALSE(own_rrpc_inner_topic("/sys/pk1/dev-2/thing/x", "pk1", "dev-1"));
}

TEST(call_topics, answers_are_recognised_with_their_owner) {
  auto a = parse_answer_topic("/sys/pk1/dev-1/rrpc/response/42");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->kind, answer_kind::rrpc_response);
  EXPECT_EQ(a->product_key, "pk1");
  EXPECT_EQ(a->device_name, "dev-1");
  EXPECT_EQ(a->message_id, "42");

  a = parse_answer_topic("/ext/rrpc/42/sys/pk1/dev-1/thing/service/reboot");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->kind, answer_kind::ext_rrpc);
  EXPECT_EQ(a->product_key, "pk1");
  EXPECT_EQ(a->device_name, "dev-1");
  EXPECT_EQ(a->message_id, "42");

  a = parse_answer_topic("/ext/rrpc/7/pk1/dev-1/user/get");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->kind, answer_kind::ext_rrpc);
  EXPECT_EQ(a->product_key, "pk1");
  EXPECT_EQ(a->device_name, "dev-1");
  EXPECT_EQ(a->message_id, "7");

  a = parse_answer_topic("/sys/pk1/dev-1/thing/service/property/set_reply");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->kind, answer_kind::property_set_reply);
  EXPECT_EQ(a->device_name, "dev-1");

  a = parse_answer_topic("/sys/pk1/dev-1/thing/service/reboot_reply");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->kind, answer_kind::service_reply);
  EXPECT_EQ(a->service_id, "reboot");
}

TEST(call_topics, requests_and_other_traffic_are_not_answers) {
  EXPECT_FALSE(parse_answer_topic("/sys/pk1/dev-1/rrpc/request/42"));
  EXPECT_FALSE(parse_answer_topic("/sys/pk1/dev-1/thing/service/reboot"));
  EXPECT_FALSE(parse_answer_topic("/sys/pk1/dev-1/thing/service/property/set"));
  EXPECT_FALSE(parse_answer_topic("/sys/pk1/dev-1/thing/event/property/post"));
  EXPECT_FALSE(parse_answer_topic("/ext/rrpc/42"));
  EXPECT_FALSE(parse_answer_topic("/ext/rrpc/42/pk1"));
  EXPECT_FALSE(parse_answer_topic("/ext/rrpc/42/pk1/dev-1"));
  EXPECT_FALSE(parse_answer_topic("/pk1/dev-1/user/update"));
  EXPECT_FALSE(parse_answer_topic("a/b"));
}

TEST(call_topics, message_ids_are_plain_decimal) {
  EXPECT_EQ(parse_message_id("42"), 42u);
  EXPECT_EQ(parse_message_id("18446744073709551615"), 18446744073709551615ull);
  EXPECT_FALSE(parse_message_id("18446744073709551616"));
  EXPECT_FALSE(parse_message_id(""));
  EXPECT_FALSE(parse_message_id("042"));
  EXPECT_FALSE(parse_message_id("-1"));
  EXPECT_FALSE(parse_message_id("+1"));
  EXPECT_FALSE(parse_message_id("1x"));
  EXPECT_EQ(parse_message_id("0"), 0u);
}

TEST(call_payloads, request_is_compact_alink) {
  EXPECT_EQ(
      build_call_request("42", "thing.service.property.set", R"({"on":1})"),
      R"({"id":"42","version":"1.0","params":{"on":1},"method":"thing.service.property.set"})");
  EXPECT_EQ(build_call_request("1", "thing.service.x", ""),
            R"({"id":"1","version":"1.0","params":{},"method":"thing.service.x"})");
}

TEST(call_payloads, replies_are_parsed) {
  auto a = parse_alink_answer(R"({"id":"42","code":200,"data":{ "a" : [1, 2] },"message":"ok"})");
  ASSERT_TRUE(a) << a.error();
  EXPECT_EQ(a->id, "42");
  EXPECT_EQ(a->code, 200);
  EXPECT_EQ(a->data_json, R"({"a":[1,2]})");
  EXPECT_EQ(a->message, "ok");

  a = parse_alink_answer(R"({"id":42,"code":9201})");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->id, "42");
  EXPECT_EQ(a->data_json, "{}");
  EXPECT_EQ(a->message, "");

  EXPECT_FALSE(parse_alink_answer("not json"));
  EXPECT_FALSE(parse_alink_answer("[1]"));
  EXPECT_FALSE(parse_alink_answer(R"({"code":200})"));
  EXPECT_FALSE(parse_alink_answer(R"({"id":"1"})"));
  EXPECT_FALSE(parse_alink_answer(R"({"id":"1","code":"200"})"));
  EXPECT_FALSE(parse_alink_answer(R"({"id":-1,"code":200})"));
  EXPECT_FALSE(parse_alink_answer(std::string(300 * 1024, ' ')));
}
