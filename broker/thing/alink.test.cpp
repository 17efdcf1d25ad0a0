#include "broker/thing/alink.hpp"

#include <string>

#include <gtest/gtest.h>

using namespace iotb::thing;

TEST(AlinkRequest, FullRequest) {
  auto r = parse_request(
      R"({"id":"123","version":"1.0","params":{"temp":1},"method":"thing.event.property.post","sys":{"ack":1}})");
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(r->id, "123");
  EXPECT_EQ(r->version, "1.0");
  EXPECT_EQ(r->method, "thing.event.property.post");
  EXPECT_TRUE(r->ack);
  ASSERT_NE(r->params, nullptr);
  EXPECT_TRUE(r->params->IsObject());
}

TEST(AlinkRequest, Sdk4xForm) {
  auto r = parse_request(R"({"id":7,"version":"1.0","params":{},"sys":{"ack":0}})");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->id, "7");
  EXPECT_TRUE(r->method.empty());
  EXPECT_FALSE(r->ack);
  auto t = map_topic("/sys/pk/dn/thing/event/property/post");
  ASSERT_TRUE(t);
  EXPECT_EQ(resolve_method(*r, *t), "thing.event.property.post");
}

TEST(AlinkRequest, OptionalFields) {
  auto r = parse_request(R"({"id":"1"})");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->params, nullptr);
  EXPECT_TRUE(r->ack);
  r = parse_request(R"({"id":"1","method":null,"version":null,"sys":null})");
  ASSERT_TRUE(r.has_value());
  r = parse_request(R"({"id":"1","sys":{"ack":false}})");
  ASSERT_TRUE(r.has_value());
  EXPECT_FALSE(r->ack);
}

TEST(AlinkRequest, BadInput) {
  auto code = [](std::string_view p) {
    auto r = parse_request(p);
    return r ? alink_code::success : r.error().code;
  };
  EXPECT_EQ(code(""), alink_code::not_json);
  EXPECT_EQ(code("{"), alink_code::not_json);
  EXPECT_EQ(code("[]"), alink_code::not_json);
  EXPECT_EQ(code("\"id\""), alink_code::not_json);
  EXPECT_EQ(code(R"({"id":"1",})"), alink_code::not_json);
  EXPECT_EQ(code(R"({"id":NaN})"), alink_code::not_json);
  EXPECT_EQ(code(R"({"params":{}})"), alink_code::bad_params);
  EXPECT_EQ(code(R"({"id":-1})"), alink_code::bad_params);
  EXPECT_EQ(code(R"({"id":1.5})"), alink_code::bad_params);
  EXPECT_EQ(code(R"({"id":""})"), alink_code::bad_params);
  EXPECT_EQ(code(R"({"id":{}})"), alink_code::bad_params);
  EXPECT_EQ(code(R"({"id":")" + std::string(65, '1') + "\"}"), alink_code::bad_params);
  EXPECT_EQ(code(R"({"id":"1","method":5})"), alink_code::bad_params);
  EXPECT_EQ(code(R"({"id":"1","sys":[]})"), alink_code::bad_params);
  EXPECT_EQ(code(R"({"id":"1","sys":{"ack":2}})"), alink_code::bad_params);
  EXPECT_EQ(code(R"({"id":"1","params":)" + std::string(17, '[') + std::string(17, ']') + "}"),
            alink_code::bad_params);
  EXPECT_EQ(code(std::string(max_alink_bytes + 1, ' ')), alink_code::bad_params);
  auto r = parse_request(R"({"id":"9","method":[]})");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().id, "9") << "the id is kept so that the refusal can be answered";
}

TEST(AlinkReply, CompactExactBytes) {
  alink_reply r;
  r.id = "123";
  r.method = "thing.event.property.post";
  EXPECT_EQ(
      build_reply(r),
      R"({"id":"123","code":200,"data":{},"message":"success","method":"thing.event.property.post","version":"1.0"})");
  r.code = alink_code::unknown_identifier;
  r.message = "tsl parse: params not exist -> x";
  r.data_json = R"({"x":"tsl parse: params not exist -> x"})";
  r.method = {};
  r.version = {};
  EXPECT_EQ(
      build_reply(r),
      R"({"id":"123","code":6304,"data":{"x":"tsl parse: params not exist -> x"},"message":"tsl parse: params not exist -> x","version":"1.0"})");
  r.id = "a\"b";
  EXPECT_NE(build_reply(r).find(R"("id":"a\"b")"), std::string::npos);
}

TEST(AlinkTopic, ThingModelTopics) {
  auto t = map_topic("/sys/a1B/dev1/thing/event/property/post");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->kind, topic_kind::property_post);
  EXPECT_EQ(t->product_key, "a1B");
  EXPECT_EQ(t->device_name, "dev1");
  EXPECT_EQ(t->method, "thing.event.property.post");
  EXPECT_EQ(t->reply_topic, "/sys/a1B/dev1/thing/event/property/post_reply");

  t = map_topic("/sys/a1B/dev1/thing/event/Alarm/post");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->kind, topic_kind::event_post);
  EXPECT_EQ(t->identifier, "Alarm");
  EXPECT_EQ(t->method, "thing.event.Alarm.post");
  EXPECT_EQ(t->reply_topic, "/sys/a1B/dev1/thing/event/Alarm/post_reply");

  t = map_topic("/sys/a1B/dev1/thing/event/property/history/post");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->kind, topic_kind::property_history_post);
  EXPECT_EQ(t->method, "thing.event.property.history.post");

  t = map_topic("/sys/a1B/dev1/thing/service/property/set_reply");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->kind, topic_kind::property_set_reply);
  EXPECT_EQ(t->method, "thing.service.property.set");
  EXPECT_TRUE(t->reply_topic.empty());

  t = map_topic("/sys/a1B/dev1/thing/service/Reboot_reply");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->kind, topic_kind::service_reply);
  EXPECT_EQ(t->identifier, "Reboot");
  EXPECT_EQ(t->method, "thing.service.Reboot");
}

TEST(AlinkTopic, DeviceManagementTopics) {
  struct row {
    const char* topic;
    topic_kind kind;
    const char* method;
    const char* reply;
  };
  for (auto& r : {
           row{"/sys/p/d/thing/deviceinfo/update", topic_kind::deviceinfo_update,
               "thing.deviceinfo.update", "/sys/p/d/thing/deviceinfo/update_reply"},
           row{"/sys/p/d/thing/deviceinfo/delete", topic_kind::deviceinfo_delete,
               "thing.deviceinfo.delete", "/sys/p/d/thing/deviceinfo/delete_reply"},
           row{"/sys/p/d/thing/config/get", topic_kind::config_get, "thing.config.get",
               "/sys/p/d/thing/config/get_reply"},
           row{"/sys/p/d/thing/config/push_reply", topic_kind::config_push_reply,
               "thing.config.push", ""},
           row{"/sys/p/d/thing/dynamicTsl/get", topic_kind::dynamic_tsl_get, "thing.dynamicTsl.get",
               "/sys/p/d/thing/dynamicTsl/get_reply"},
           row{"/sys/p/d/thing/ota/firmware/get", topic_kind::ota_firmware_get,
               "thing.ota.firmware.get", "/sys/p/d/thing/ota/firmware/get_reply"},
           row{"/ota/device/inform/p/d", topic_kind::ota_inform, "", ""},
           row{"/ota/device/progress/p/d", topic_kind::ota_progress, "", ""},
           row{"/ext/ntp/p/d/request", topic_kind::ntp_request, "", "/ext/ntp/p/d/response"},
           row{"/shadow/update/p/d", topic_kind::shadow_update, "", "/shadow/get/p/d"},
           row{"/sys/p/d/thing/topo/add", topic_kind::gateway, "thing.topo.add",
               "/sys/p/d/thing/topo/add_reply"},
           row{"/sys/p/d/thing/sub/register", topic_kind::gateway, "thing.sub.register",
               "/sys/p/d/thing/sub/register_reply"},
           row{"/sys/p/d/thing/event/property/pack/post", topic_kind::gateway,
               "thing.event.property.pack.post", "/sys/p/d/thing/event/property/pack/post_reply"},
           row{"/ext/session/p/d/combine/login", topic_kind::gateway, "combine.login",
               "/ext/session/p/d/combine/login_reply"},
       }) {
    auto t = map_topic(r.topic);
    ASSERT_TRUE(t) << r.topic;
    EXPECT_EQ(t->kind, r.kind) << r.topic;
    EXPECT_EQ(t->method, r.method) << r.topic;
    EXPECT_EQ(t->reply_topic, r.reply) << r.topic;
    if (r.kind != topic_kind::gateway || t->product_key.size()) {
      EXPECT_EQ(t->product_key, "p") << r.topic;
      EXPECT_EQ(t->device_name, "d") << r.topic;
    }
  }
}

TEST(AlinkTopic, Rrpc) {
  auto t = map_topic("/sys/p/d/rrpc/response/123456");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->kind, topic_kind::rrpc_response);
  EXPECT_EQ(t->identifier, "123456");
  EXPECT_TRUE(t->reply_topic.empty());
  t = map_topic("/ext/rrpc/99/p/d/user/get");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->kind, topic_kind::ext_rrpc);
  EXPECT_EQ(t->identifier, "99");
  EXPECT_EQ(t->rest, "p/d/user/get");
  EXPECT_FALSE(map_topic("/ext/rrpc/99"));
}

TEST(AlinkTopic, NotSystemTopics) {
  for (auto* topic :
       {"", "/", "sys/p/d/thing/event/property/post", "/p/d/user/update",
        "/sys/p/d/thing/event/property/post/", "/sys//d/thing/event/property/post",
        "/sys/p/d/thing/event/+/post", "/sys/p/d/thing/event/#", "/sys/p/d/thing/event/9bad/post",
        "/sys/p/d/thing/service/_reply", "/sys/p/d/thing/unknown/x", "/sys/p/d/other", "/sys/p/d",
        "/ota/device/inform/p", "/shadow/get/p/d", "/ext/ntp/p/d/response",
        "/a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p/q/r"}) {
    EXPECT_FALSE(map_topic(topic)) << topic;
  }
}

TEST(AlinkTopic, KindNames) {
  EXPECT_STREQ(kind_name(topic_kind::property_post), "property_post");
  EXPECT_STREQ(kind_name(topic_kind::gateway), "gateway");
}
