#include "broker/thing/uplink.hpp"

#include <gtest/gtest.h>

#include "broker/thing/test_models.hpp"

namespace iotb::thing {
namespace {

std::shared_ptr<const product_model> lamp(check_mode mode) {
  auto m = product_model::make(test_models::lamp, mode);
  EXPECT_TRUE(m);
  return *m;
}

uplink_outcome run(std::string topic, std::string_view payload, const product_model* m) {
  auto t = map_topic(topic);
  EXPECT_TRUE(t) << topic;
  return handle_uplink(*t, payload, m, 1000);
}

const std::string post = "/sys/pk/dev/thing/event/property/post";

TEST(UplinkTest, PropertyPostWeakKeepsValidValuesAndTagsTheRest) {
  auto m = lamp(check_mode::weak);
  auto out =
      run(post, R"({"id":"1","params":{"Brightness":{"value":5,"time":77},"Nope":1}})", m.get());
  EXPECT_EQ(out.code, alink_code::success);
  ASSERT_EQ(out.values.size(), 1u);
  EXPECT_EQ(out.values[0].identifier, "Brightness");
  EXPECT_EQ(out.values[0].value, "5");
  EXPECT_EQ(out.values[0].time_ms, 77u);
  EXPECT_EQ(out.reply_topic, post + "_reply");
  EXPECT_NE(out.reply.find(R"("data":{"Nope":"tsl parse: params not exist -> Nope"})"),
            std::string::npos)
      << out.reply;
  EXPECT_NE(out.check_failed.find("6304"), std::string::npos);
  EXPECT_FALSE(out.log.empty());
}

TEST(UplinkTest, PropertyPostStrictRejectsEverything) {
  auto m = lamp(check_mode::strict);
  auto out = run(post, R"({"id":"2","params":{"Brightness":5,"Nope":1}})", m.get());
  EXPECT_EQ(out.code, alink_code::unknown_identifier);
  EXPECT_TRUE(out.values.empty());
  EXPECT_NE(out.reply.find(R"("code":6304)"), std::string::npos);
  EXPECT_NE(out.log.find("6304"), std::string::npos);
}

TEST(UplinkTest, NoModelAcceptsEverythingAndAckZeroMeansNoReply) {
  auto out = run(post, R"({"id":"3","params":{"a":{"x":1},"b":"t"},"sys":{"ack":0}})", nullptr);
  EXPECT_EQ(out.code, alink_code::success);
  ASSERT_EQ(out.values.size(), 2u);
  EXPECT_EQ(out.values[0].value, R"({"x":1})");
  EXPECT_EQ(out.values[0].time_ms, 1000u);
  EXPECT_TRUE(out.reply.empty());
}

TEST(UplinkTest, MalformedPayloadsAreAnswered) {
  auto out = run(post, R"({"id":"4","params":)", nullptr);
  EXPECT_EQ(out.code, alink_code::not_json);
  EXPECT_FALSE(out.reply.empty());
  out = run(post, R"({"id":"5"})", nullptr);
  EXPECT_EQ(out.code, alink_code::bad_params);
  std::string many = R"({"id":"6","params":{)";
  for (int i = 0; i < 501; ++i)
    many += (i ? "," : "") + std::string("\"p") + std::to_string(i) + "\":1";
  out = run(post, many + "}}", nullptr);
  EXPECT_EQ(out.code, alink_code::bad_params);
  EXPECT_TRUE(out.values.empty());
}

TEST(UplinkTest, HistoryPostAndEvents) {
  auto m = lamp(check_mode::weak);
  auto out = run("/sys/pk/dev/thing/event/property/history/post",
                 R"({"id":"7","params":{"Brightness":{"value":1,"time":5}}})", m.get());
  EXPECT_TRUE(out.history_only);
  ASSERT_EQ(out.values.size(), 1u);
  out = run("/sys/pk/dev/thing/event/Alarm/post",
            R"({"id":"8","params":{"value":{"Level":2},"time":99}})", m.get());
  ASSERT_TRUE(out.event);
  EXPECT_EQ(out.event->type, "alert");
  EXPECT_EQ(out.event->params, R"({"Level":2})");
  EXPECT_EQ(out.event->time_ms, 99u);
  auto strict = lamp(check_mode::strict);
  out = run("/sys/pk/dev/thing/event/Unknown/post", R"({"id":"9","params":{}})", strict.get());
  EXPECT_EQ(out.code, alink_code::unknown_identifier);
  EXPECT_FALSE(out.event);
}

TEST(UplinkTest, DeviceInfoDesiredAndOta) {
  auto out = run("/sys/pk/dev/thing/deviceinfo/update",
                 R"({"id":"1","params":[{"attrKey":"room","attrValue":"hall"}]})", nullptr);
  ASSERT_EQ(out.tags_set.size(), 1u);
  EXPECT_EQ(out.tags_set[0].second, "hall");
  out = run("/sys/pk/dev/thing/deviceinfo/delete", R"({"id":"2","params":[{"attrKey":"room"}]})",
            nullptr);
  EXPECT_EQ(out.tags_deleted, std::vector<std::string>{"room"});
  out = run("/sys/pk/dev/thing/deviceinfo/update", R"({"id":"3","params":{}})", nullptr);
  EXPECT_EQ(out.code, alink_code::bad_params);
  out = run("/sys/pk/dev/thing/property/desired/get", R"({"id":"4","params":["a","b"]})", nullptr);
  ASSERT_TRUE(out.desired_get);
  EXPECT_EQ(out.desired_get->size(), 2u);
  EXPECT_EQ(desired_get_reply("4", {{"a", "1", 3}}),
            R"({"id":"4","code":200,"data":{"a":{"value":1,"version":3}},"message":"success",)"
            R"("method":"thing.property.desired.get","version":"1.0"})");
  out = run("/sys/pk/dev/thing/property/desired/delete",
            R"({"id":"5","params":{"a":{"version":3},"b":{}}})", nullptr);
  ASSERT_EQ(out.desired_delete.size(), 2u);
  EXPECT_EQ(out.desired_delete[0].second, 3u);
  out = run("/ota/device/inform/pk/dev", R"({"id":"6","params":{"version":"2.0"}})", nullptr);
  ASSERT_TRUE(out.ota);
  EXPECT_EQ(out.ota->version, "2.0");
  EXPECT_TRUE(out.reply.empty());
  out = run("/ota/device/progress/pk/dev", R"({"id":"7","params":{"step":"101"}})", nullptr);
  EXPECT_FALSE(out.ota);
  EXPECT_FALSE(out.log.empty());
}

}  // namespace
}  // namespace iotb::thing
