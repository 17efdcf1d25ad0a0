#include "broker/actions/device_topic.hpp"

#include <gtest/gtest.h>

namespace iotb::actions {
namespace {

std::string who(std::string_view topic) {
  auto d = device_of(topic);
  return d ? std::string(d->first) + "|" + std::string(d->second) : "-";
}

TEST(device_topic, spec_layouts) {
  EXPECT_EQ(who("/sys/pk1/dev-1/thing/event/property/post"), "pk1|dev-1");
  EXPECT_EQ(who("/pk1/dev-1/user/update"), "pk1|dev-1");
  EXPECT_EQ(who("/shadow/update/pk1/dev-1"), "pk1|dev-1");
  EXPECT_EQ(who("/ota/device/inform/pk1/dev-1"), "pk1|dev-1");
  EXPECT_EQ(who("/as/mqtt/status/pk1/dev-1"), "pk1|dev-1");
  EXPECT_EQ(who("/ext/ntp/pk1/dev-1/request"), "pk1|dev-1");
  EXPECT_EQ(who("/broadcast/pk1/x"), "-");
  EXPECT_EQ(who("demo/hello"), "-");
  EXPECT_EQ(who("/a/b"), "-");
  EXPECT_EQ(who("/sys/pk1"), "-");
  EXPECT_EQ(who("/sys//dev/x"), "-");
  EXPECT_EQ(who("/"), "-");
}

}  // namespace
}  // namespace iotb::actions
