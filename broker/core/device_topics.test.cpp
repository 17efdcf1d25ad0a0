#include "broker/core/device_topics.hpp"

#include <gtest/gtest.h>

namespace iotb::core {
namespace {

TEST(DeviceTopics, StatusPayloadHasEveryField) {
  auto p = status_payload(true, "a1B2c3D4e5F", "dev-1", 1700000000123, 1700000000000, "10.1.2.3");
  EXPECT_EQ(p, R"({"status":"online","productKey":"a1B2c3D4e5F","deviceName":"dev-1",)"
               R"("time":"2023-11-14 22:13:20.123","utcTime":"2023-11-14T22:13:20.123Z",)"
               R"("lastTime":"2023-11-14 22:13:20.000","clientIp":"10.1.2.3"})");
  EXPECT_EQ(status_topic("pk", "dn"), "/as/mqtt/status/pk/dn");
}

TEST(DeviceTopics, NtpRequestTopicIsExact) {
  EXPECT_TRUE(is_ntp_request("/ext/ntp/pk/dev/request", "pk", "dev"));
  EXPECT_FALSE(is_ntp_request("/ext/ntp/pk/dev2/request", "pk", "dev"));
  EXPECT_FALSE(is_ntp_request("/ext/ntp/pk/dev/response", "pk", "dev"));
  EXPECT_FALSE(is_ntp_request("/ext/ntp/pkx/dev/request", "pk", "dev"));
  EXPECT_FALSE(is_ntp_request("/ext/ntp/pk/dev/request/x", "pk", "dev"));
  for (auto t : {"/pk/dev/user/get", "/sys/pk/dev/thing/service/property/set", "/shadow/get/pk/dev",
                 "/ota/device/upgrade/pk/dev", "/ext/ntp/pk/dev/response",
                 "/ext/rrpc/42/sys/pk/dev/thing/service/x"}) {
    auto dv = device_of_topic(t);
    ASSERT_TRUE(dv) << t;
    EXPECT_EQ(dv->first, "pk") << t;
    EXPECT_EQ(dv->second, "dev") << t;
  }
  for (auto t : {"/broadcast/pk/x", "alerts/x", "/as/mqtt/status/pk/dev/x", "/pk", "pk/dev/x/y"})
    EXPECT_FALSE(device_of_topic(t)) << t;
  auto d = ntp_request_device("/ext/ntp/pk/dev/request");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->first, "pk");
  EXPECT_EQ(d->second, "dev");
  EXPECT_FALSE(ntp_request_device("/ext/ntp/pk/dev/x/request"));
  EXPECT_FALSE(ntp_request_device("/ext/ntp//dev/request"));
  EXPECT_FALSE(ntp_request_device("/ext/ntp/pk/request"));
  EXPECT_EQ(ntp_response_topic("pk", "dev"), "/ext/ntp/pk/dev/response");
}

TEST(DeviceTopics, NtpResponseEchoesDeviceTime) {
  auto r = ntp_response(R"({"deviceSendTime":"1571724098000"})", 1571724098100, 1571724098101);
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, R"({"deviceSendTime":"1571724098000","serverRecvTime":"1571724098100",)"
                R"("serverSendTime":"1571724098101"})");
  auto n = ntp_response(R"({"deviceSendTime":1571724098000})", 1, 2);
  ASSERT_TRUE(n);
  EXPECT_NE(n->find(R"("deviceSendTime":"1571724098000")"), std::string::npos);
}

TEST(DeviceTopics, NtpResponseRefusesBadRequests) {
  EXPECT_FALSE(ntp_response("", 1, 2));
  EXPECT_FALSE(ntp_response("not json", 1, 2));
  EXPECT_FALSE(ntp_response("[1,2]", 1, 2));
  EXPECT_FALSE(ntp_response(R"({"other":1})", 1, 2));
  EXPECT_FALSE(ntp_response(R"({"deviceSendTime":{"a":1}})", 1, 2));
  EXPECT_FALSE(ntp_response(R"({"deviceSendTime":"1")", 1, 2));  // truncated
}

TEST(DeviceTopics, RegistrationPayloadsEscapeStrings) {
  EXPECT_EQ(register_payload("pk", "d\"n", "s"),
            R"({"productKey":"pk","deviceName":"d\"n","deviceSecret":"s"})");
  EXPECT_EQ(regnwl_payload("pk", "dn", "c1", "tok"),
            R"({"productKey":"pk","deviceName":"dn","clientId":"c1","deviceToken":"tok"})");
}

}  // namespace
}  // namespace iotb::core
