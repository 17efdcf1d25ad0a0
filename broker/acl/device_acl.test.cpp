#include "broker/acl/device_acl.hpp"

#include <gtest/gtest.h>

namespace iotb::acl {
namespace {

const std::vector<topic_category> custom = {{"data/+", false, true},
                                            {"telemetry", true, false},
                                            {"cmd/#", false, true}};

device_scope me() { return {"a1B2c3D4e5F", "dev-1", custom, false}; }

std::string t(std::string_view pattern) {
  std::string s(pattern);
  for (auto [from, to] : {std::pair{"{pk}", "a1B2c3D4e5F"}, std::pair{"{dn}", "dev-1"}}) {
    for (auto pos = s.find(from); pos != std::string::npos; pos = s.find(from))
      s.replace(pos, std::string_view(from).size(), to);
  }
  return s;
}

/// The same topic for another device of the product, and for another product.
std::string other_device(std::string_view pattern) {
  auto s = t(pattern);
  return s.replace(s.find("dev-1"), 5, "dev-2");
}
std::string other_product(std::string_view pattern) {
  auto s = t(pattern);
  return s.replace(s.find("a1B2c3D4e5F"), 11, "zzzzzzzzzzz");
}

TEST(DeviceAcl, OwnPublishTopics) {
  for (auto p : {"/{pk}/{dn}/user/update", "/{pk}/{dn}/user/update/error",
                 "/{pk}/{dn}/user/telemetry", "/sys/{pk}/{dn}/thing/event/property/post",
                 "/sys/{pk}/{dn}/thing/event/alarm/post",
                 "/sys/{pk}/{dn}/thing/event/property/history/post",
                 "/sys/{pk}/{dn}/thing/service/property/set_reply",
                 "/sys/{pk}/{dn}/thing/service/reboot_reply", "/sys/{pk}/{dn}/rrpc/response/42",
                 "/shadow/update/{pk}/{dn}", "/ota/device/inform/{pk}/{dn}",
                 "/ota/device/progress/{pk}/{dn}", "/sys/{pk}/{dn}/thing/config/get",
                 "/ext/ntp/{pk}/{dn}/request", "/ext/rrpc/77/sys/{pk}/{dn}/thing/service/reboot"}) {
    EXPECT_EQ(device_can_publish(me(), t(p)), verdict::allow) << p;
    EXPECT_NE(device_can_publish(me(), other_device(p)), verdict::allow) << p;
    EXPECT_NE(device_can_publish(me(), other_product(p)), verdict::allow) << p;
  }
}

TEST(DeviceAcl, PublishOnSubOnlyTopicsIsRefused) {
  for (auto p : {"/{pk}/{dn}/user/get", "/{pk}/{dn}/user/data/x",
                 "/sys/{pk}/{dn}/thing/service/property/set", "/shadow/get/{pk}/{dn}",
                 "/ota/device/upgrade/{pk}/{dn}", "/ext/ntp/{pk}/{dn}/response",
                 "/broadcast/{pk}/all", "/as/mqtt/status/{pk}/{dn}"})
    EXPECT_EQ(device_can_publish(me(), t(p)), verdict::deny_not_own) << p;
  EXPECT_EQ(device_can_publish(me(), "$SYS/x"), verdict::deny_system);
  EXPECT_EQ(device_can_publish(me(), "/ext/rrpc/1/" + other_device("/{pk}/{dn}/user/update")),
            verdict::deny_not_own);
}

TEST(DeviceAcl, OwnSubscriptions) {
  for (auto p : {"/{pk}/{dn}/user/get", "/{pk}/{dn}/user/data/+", "/{pk}/{dn}/user/data/x",
                 "/{pk}/{dn}/user/cmd/#", "/{pk}/{dn}/user/cmd/a/b",
                 "/sys/{pk}/{dn}/thing/service/+", "/sys/{pk}/{dn}/thing/service/property/set",
                 "/sys/{pk}/{dn}/thing/event/+/post_reply", "/sys/{pk}/{dn}/rrpc/request/+",
                 "/ext/rrpc/+/sys/{pk}/{dn}/#", "/shadow/get/{pk}/{dn}", "/broadcast/{pk}/#",
                 "/broadcast/{pk}/all", "/ota/device/upgrade/{pk}/{dn}",
                 "/ext/ntp/{pk}/{dn}/response", "/sys/{pk}/{dn}/thing/config/push",
                 "/ext/error/{pk}/{dn}"}) {
    EXPECT_EQ(device_can_subscribe(me(), t(p)), verdict::allow) << p;
    if (std::string_view(p).find("{dn}") != std::string_view::npos)
      EXPECT_EQ(device_can_subscribe(me(), other_device(p)), verdict::deny_not_own) << p;
    EXPECT_EQ(device_can_subscribe(me(), other_product(p)), verdict::deny_not_own) << p;
  }
}

TEST(DeviceAcl, BroadFiltersAreRefused) {
  for (std::string f : {std::string("#"), std::string("+/#"), std::string("/+/+/user/#"),
                        t("/{pk}/+/user/get"), t("/{pk}/{dn}/user/#"), t("/{pk}/{dn}/#"),
                        t("/sys/{pk}/{dn}/#"), t("/sys/{pk}/+/thing/service/+"),
                        t("/{pk}/{dn}/user/data/#"), t("/{pk}/{dn}/user/+"),
                        std::string("/ext/rrpc/+/#")})
    EXPECT_NE(device_can_subscribe(me(), f), verdict::allow) << f;
  EXPECT_EQ(device_can_subscribe(me(), "$SYS/#"), verdict::deny_system);
  EXPECT_EQ(device_can_subscribe(me(), t("$share/g/{pk}/{dn}/user/get")), verdict::deny_not_own);
}

TEST(DeviceAcl, TopicLimits) {
  std::string base = t("/{pk}/{dn}/user/");
  std::string ok = base + std::string(128 - base.size(), 'x');
  std::string tooLong = base + std::string(129 - base.size(), 'x');
  EXPECT_EQ(check_topic_limits(ok), verdict::allow);
  EXPECT_EQ(check_topic_limits(tooLong), verdict::deny_too_long);
  EXPECT_EQ(device_can_publish(me(), tooLong), verdict::deny_too_long);
  EXPECT_EQ(check_topic_limits("/a/b/c/d/e/f/g"), verdict::allow);
  EXPECT_EQ(check_topic_limits("/a/b/c/d/e/f/g/h"), verdict::deny_too_deep);
  // /ext/rrpc/${id} prefixes another topic: its slashes count, not the prefix's.
  EXPECT_EQ(check_topic_limits(t("/ext/rrpc/12/sys/{pk}/{dn}/thing/service/x")), verdict::allow);
  EXPECT_EQ(device_can_publish(me(), t("/{pk}/{dn}/user/a/b/c/d/e")), verdict::deny_too_deep);
}

TEST(DeviceAcl, Categories) {
  EXPECT_TRUE(parse_category("data/+", "sub"));
  EXPECT_TRUE(parse_category("a/b/#", "sub"));
  EXPECT_TRUE(parse_category("status", "pub,sub"));
  EXPECT_EQ(parse_category("data/+", "pub").error(), category_error::wildcard_in_pub);
  EXPECT_EQ(parse_category("a/#/b", "sub").error(), category_error::misplaced_hash);
  EXPECT_EQ(parse_category("a+b", "sub").error(), category_error::misplaced_hash);
  EXPECT_EQ(parse_category("a//b", "sub").error(), category_error::empty);
  EXPECT_EQ(parse_category("a b", "sub").error(), category_error::bad_character);
  EXPECT_TRUE(parse_category("a/b/c/d", "sub"));  // 7 slashes in full
  EXPECT_EQ(parse_category("a/b/c/d/e", "sub").error(), category_error::too_deep);
  EXPECT_EQ(parse_category(std::string(80, 'a'), "sub").error(), category_error::too_long);
  EXPECT_EQ(default_categories().size(), 3u);
}

TEST(DeviceAcl, AutoSubscriptionsAreSubscribable) {
  auto subs = auto_subscriptions("a1B2c3D4e5F", "dev-1");
  EXPECT_GE(subs.size(), 15u);
  for (auto& f : subs)
    EXPECT_EQ(device_can_subscribe(me(), f), verdict::allow) << f;
}

TEST(DeviceAcl, Applications) {
  std::vector<std::string> products = {"a1B2c3D4e5F"};
  app_scope app{products};
  for (std::string f :
       {t("/{pk}/+/user/#"), t("/sys/{pk}/+/thing/event/+/post"), t("/as/mqtt/status/{pk}/#"),
        t("$share/group1//{pk}/+/user/#"), t("/shadow/get/{pk}/+"), std::string("backend/x/#")})
    EXPECT_EQ(app_can_subscribe(app, f), verdict::allow) << f;
  for (std::string f : {std::string("#"), std::string("+/#"), std::string("/+/+/user/#"),
                        std::string("/sys/#"), std::string("/zzzzzzzzzzz/+/user/#"),
                        std::string("$share//x"), std::string("$share/g+/x")})
    EXPECT_NE(app_can_subscribe(app, f), verdict::allow) << f;
  EXPECT_EQ(app_can_publish(app, t("/sys/{pk}/dev-9/thing/service/property/set")), verdict::allow);
  EXPECT_EQ(app_can_publish(app, "/zzzzzzzzzzz/d/user/get"), verdict::deny_not_own);
  EXPECT_EQ(app_can_publish(app, "$SYS/x"), verdict::deny_system);
}

TEST(DeviceAcl, AnonymousClientsStayOutsideDeviceNamespaces) {
  EXPECT_EQ(anonymous_can_publish("sensors/1"), verdict::allow);
  EXPECT_EQ(anonymous_can_publish("/plain/topic"), verdict::allow);
  EXPECT_EQ(anonymous_can_publish(t("/{pk}/{dn}/user/get")), verdict::deny_not_own);
  EXPECT_EQ(anonymous_can_publish(t("/sys/{pk}/{dn}/thing/service/x")), verdict::deny_not_own);
  EXPECT_EQ(anonymous_can_publish("$SYS/x"), verdict::deny_system);
  EXPECT_EQ(anonymous_can_subscribe("#"), verdict::allow);
  EXPECT_EQ(anonymous_can_subscribe("/sys/#"), verdict::deny_not_own);
  EXPECT_TRUE(is_device_namespace(t("/{pk}/{dn}/user/update")));
  EXPECT_TRUE(is_device_namespace("/as/mqtt/status/x/y"));
  EXPECT_FALSE(is_device_namespace("sensors/1"));
  EXPECT_FALSE(is_device_namespace("/short/x"));
}

}  // namespace
}  // namespace iotb::acl
