#include "broker/acl/device_acl.hpp"

#include <gtest/gtest.h>

#include <set>

#include "broker/acl/acl_test_scope.hpp"

namespace iotb::acl {
namespace {

using namespace test_scope;

/// `{opk}` is another product's key.
std::string with_other(std::string_view pattern) {
  std::string s(pattern);
  for (auto pos = s.find("{opk}"); pos != std::string::npos; pos = s.find("{opk}"))
    s.replace(pos, 5, other_pk);
  return t(s);
}

// SPEC §3 table and the brief's additions: what the device may publish.
const char* const pub_rows[] = {
    "/{pk}/{dn}/user/update",
    "/{pk}/{dn}/user/update/error",
    "/{pk}/{dn}/user/telemetry",
    "/{pk}/{dn}/user/status",
    "/sys/{pk}/{dn}/thing/event/property/post",
    "/sys/{pk}/{dn}/thing/event/alarm/post",
    "/sys/{pk}/{dn}/thing/event/property/history/post",
    "/sys/{pk}/{dn}/thing/service/property/set_reply",
    "/sys/{pk}/{dn}/thing/service/reboot_reply",
    "/sys/{pk}/{dn}/thing/deviceinfo/update",
    "/sys/{pk}/{dn}/thing/deviceinfo/delete",
    "/sys/{pk}/{dn}/thing/dynamicTsl/get",
    "/sys/{pk}/{dn}/thing/model/up_raw",
    "/sys/{pk}/{dn}/thing/model/down_raw_reply",
    "/sys/{pk}/{dn}/thing/config/get",
    "/sys/{pk}/{dn}/thing/config/push_reply",
    "/sys/{pk}/{dn}/thing/ota/firmware/get",
    "/sys/{pk}/{dn}/rrpc/response/42",
    "/ext/rrpc/77/sys/{pk}/{dn}/thing/service/reboot",
    "/ext/rrpc/78/{pk}/{dn}/user/get",
    "/shadow/update/{pk}/{dn}",
    "/ota/device/inform/{pk}/{dn}",
    "/ota/device/progress/{pk}/{dn}",
    "/ext/ntp/{pk}/{dn}/request",
};

// What the device may subscribe to (topics and filters).
const char* const sub_rows[] = {
    "/{pk}/{dn}/user/get",
    "/{pk}/{dn}/user/status",
    "/sys/{pk}/{dn}/thing/event/property/post_reply",
    "/sys/{pk}/{dn}/thing/event/alarm/post_reply",
    "/sys/{pk}/{dn}/thing/event/+/post_reply",
    "/sys/{pk}/{dn}/thing/service/property/set",
    "/sys/{pk}/{dn}/thing/service/reboot",
    "/sys/{pk}/{dn}/thing/service/+",
    "/sys/{pk}/{dn}/thing/deviceinfo/update_reply",
    "/sys/{pk}/{dn}/thing/deviceinfo/delete_reply",
    "/sys/{pk}/{dn}/thing/dynamicTsl/get_reply",
    "/sys/{pk}/{dn}/thing/model/up_raw_reply",
    "/sys/{pk}/{dn}/thing/model/down_raw",
    "/sys/{pk}/{dn}/thing/config/get_reply",
    "/sys/{pk}/{dn}/thing/config/push",
    "/sys/{pk}/{dn}/thing/ota/firmware/get_reply",
    "/sys/{pk}/{dn}/rrpc/request/42",
    "/sys/{pk}/{dn}/rrpc/request/+",
    "/ext/rrpc/77/sys/{pk}/{dn}/thing/service/reboot",
    "/ext/rrpc/+/sys/{pk}/{dn}/thing/service/+",
    "/ext/rrpc/+/sys/{pk}/{dn}/#",
    "/ext/rrpc/+/{pk}/{dn}/#",
    "/shadow/get/{pk}/{dn}",
    "/broadcast/{pk}/all",
    "/broadcast/{pk}/+",
    "/broadcast/{pk}/#",
    "/ota/device/upgrade/{pk}/{dn}",
    "/ext/ntp/{pk}/{dn}/response",
    "/ext/error/{pk}/{dn}",
    "/ext/register",
    "/ext/regnwl",
};

TEST(DeviceAcl, PublishRowsOwnDeviceOnly) {
  for (auto p : pub_rows) {
    EXPECT_EQ(device_can_publish(me(), t(p)), verdict::allow) << p;
    EXPECT_EQ(device_can_publish(me(), other_device(p)), verdict::deny_not_own) << p;
    EXPECT_EQ(device_can_publish(me(), other_product(p)), verdict::deny_not_own) << p;
  }
}

TEST(DeviceAcl, SubscribeRowsOwnDeviceOnly) {
  for (auto p : sub_rows) {
    EXPECT_EQ(device_can_subscribe(me(), t(p)), verdict::allow) << p;
    std::string_view sv(p);
    if (sv.find("{dn}") != std::string_view::npos) {
      EXPECT_EQ(device_can_subscribe(me(), other_device(p)), verdict::deny_not_own) << p;
    }
    if (sv.find("{pk}") != std::string_view::npos) {
      EXPECT_EQ(device_can_subscribe(me(), other_product(p)), verdict::deny_not_own) << p;
    }
  }
}

TEST(DeviceAcl, DirectionIsEnforced) {
  for (auto p :
       {"/{pk}/{dn}/user/get", "/{pk}/{dn}/user/data/x",
        "/sys/{pk}/{dn}/thing/service/property/set", "/sys/{pk}/{dn}/thing/service/reboot",
        "/sys/{pk}/{dn}/thing/event/property/post_reply", "/sys/{pk}/{dn}/rrpc/request/1",
        "/sys/{pk}/{dn}/thing/config/push", "/shadow/get/{pk}/{dn}",
        "/ota/device/upgrade/{pk}/{dn}", "/ext/ntp/{pk}/{dn}/response", "/ext/error/{pk}/{dn}",
        "/broadcast/{pk}/all", "/as/mqtt/status/{pk}/{dn}", "/ext/register"})
    EXPECT_EQ(device_can_publish(me(), t(p)), verdict::deny_not_own) << p;
  for (auto p :
       {"/{pk}/{dn}/user/update", "/{pk}/{dn}/user/telemetry",
        "/sys/{pk}/{dn}/thing/event/property/post",
        "/sys/{pk}/{dn}/thing/service/property/set_reply", "/sys/{pk}/{dn}/rrpc/response/1",
        "/sys/{pk}/{dn}/thing/config/get", "/shadow/update/{pk}/{dn}",
        "/ota/device/inform/{pk}/{dn}", "/ext/ntp/{pk}/{dn}/request", "/as/mqtt/status/{pk}/{dn}"})
    EXPECT_EQ(device_can_subscribe(me(), t(p)), verdict::deny_not_own) << p;
}

TEST(DeviceAcl, NeighboursOfAllowedTopicsAreRefused) {
  for (auto p : {"/sys/{pk}/{dn}/thing/event/property",
                 "/sys/{pk}/{dn}/thing/event",
                 "/sys/{pk}/{dn}/thing",
                 "/sys/{pk}/{dn}",
                 "/sys/{pk}",
                 "/sys/{pk}/{dn}/thing/event/property/post/x",
                 "/sys/{pk}/{dn}/thing/event//post/x",
                 "/sys/{pk}/{dn}/thing/service/_reply",
                 "/sys/{pk}/{dn}/thing/service/a/b_reply",
                 "/sys/{pk}/{dn}/rrpc/response",
                 "/sys/{pk}/{dn}/rrpc/response/1/2",
                 "/{pk}/{dn}/user",
                 "/{pk}/{dn}",
                 "/{pk}/{dn}/user/update/error/x",
                 "/{pk}/{dn}/user/updat",
                 "/shadow/update/{pk}",
                 "/shadow/update/{pk}/{dn}/x",
                 "/ota/device/inform/{pk}",
                 "/ext/ntp/{pk}/{dn}",
                 "/ext/ntp/{pk}/{dn}/request/x",
                 "/ext/ntp"})
    EXPECT_EQ(device_can_publish(me(), t(p)), verdict::deny_not_own) << p;
  for (auto p :
       {"/sys/{pk}/{dn}/thing/event/property/post_reply/x", "/sys/{pk}/{dn}/rrpc/request",
        "/sys/{pk}/{dn}/rrpc/request/1/2", "/sys/{pk}/{dn}/thing/service/property/set/x",
        "/sys/{pk}/{dn}/thing/config", "/shadow/get/{pk}", "/shadow/get/{pk}/{dn}/x",
        "/ota/device/upgrade/{pk}", "/ext/error/{pk}", "/ext/error/{pk}/{dn}/x", "/ext/register/x",
        "/{pk}/{dn}/user/get/x", "/{pk}/{dn}/user", "/{pk}/{dn}/user/cm", "/{pk}/{dn}/user/a/b"})
    EXPECT_EQ(device_can_subscribe(me(), t(p)), verdict::deny_not_own) << p;
}

TEST(DeviceAcl, BroadFiltersAreRefused) {
  for (std::string f : {"#", "+/#", "+", "/#", "/+/#", "/+/+/user/#", "/sys/#", "/ext/rrpc/+/#",
                        "/ext/rrpc/#", "/sys/+/+/thing/service/+"})
    EXPECT_EQ(device_can_subscribe(me(), f), verdict::deny_not_own) << f;
  for (auto p : {"/{pk}/+/user/get", "/{pk}/#", "/sys/{pk}/+/thing/service/+", "/sys/{pk}/#",
                 "/shadow/get/{pk}/+", "/ext/ntp/{pk}/{dn}/+", "/shadow/+/{pk}/{dn}"})
    EXPECT_EQ(device_can_subscribe(me(), t(p)), verdict::deny_not_own) << p;
  // Within the device's own subtree but matching topics it may not receive.
  for (auto p : {"/sys/{pk}/{dn}/#", "/sys/{pk}/{dn}/thing/#", "/sys/{pk}/{dn}/thing/config/+",
                 "/sys/{pk}/{dn}/thing/service/#", "/{pk}/{dn}/user/#", "/{pk}/{dn}/user/+",
                 "/{pk}/{dn}/user/data/#"})
    EXPECT_EQ(device_can_subscribe(me(), t(p)), verdict::deny_wildcard) << p;
}

TEST(DeviceAcl, SystemAndSharedTopics) {
  EXPECT_EQ(device_can_subscribe(me(), "$SYS/#"), verdict::deny_system);
  EXPECT_EQ(device_can_publish(me(), "$SYS/broker/x"), verdict::deny_system);
  EXPECT_EQ(device_can_subscribe(me(), t("$share/g//{pk}/{dn}/user/get")), verdict::deny_not_own);
  EXPECT_EQ(device_can_publish(me(), "$share/g/x"), verdict::deny_system);
}

TEST(DeviceAcl, WildcardsInPublishAndMalformedFilters) {
  EXPECT_EQ(device_can_publish(me(), t("/{pk}/{dn}/user/+")), verdict::deny_wildcard);
  EXPECT_EQ(device_can_publish(me(), t("/sys/{pk}/{dn}/thing/event/+/post")),
            verdict::deny_wildcard);
  EXPECT_EQ(device_can_publish(me(), t("/{pk}/{dn}/user/update#")), verdict::deny_wildcard);
  for (auto p :
       {"/{pk}/{dn}/user/cmd/a#", "/{pk}/{dn}/user/cmd/#/x", "/sys/{pk}/{dn}/thing/service/a+"})
    EXPECT_EQ(device_can_subscribe(me(), t(p)), verdict::deny_wildcard) << p;
}

TEST(DeviceAcl, CustomCategoryPermissionsAndWildcards) {
  auto sub = [](std::string_view suffix) {
    return device_can_subscribe(me(), t("/{pk}/{dn}/user/") + std::string(suffix));
  };
  auto pub = [](std::string_view suffix) {
    return device_can_publish(me(), t("/{pk}/{dn}/user/") + std::string(suffix));
  };
  // data/+ (sub): the category itself or narrower.
  EXPECT_EQ(sub("data/+"), verdict::allow);
  EXPECT_EQ(sub("data/x"), verdict::allow);
  EXPECT_EQ(sub("data"), verdict::deny_not_own);
  EXPECT_EQ(sub("data/x/y"), verdict::deny_not_own);
  EXPECT_EQ(sub("data/#"), verdict::deny_wildcard);
  EXPECT_EQ(pub("data/x"), verdict::deny_not_own);
  // cmd/# (sub): `#` also matches the parent level.
  for (auto s : {"cmd/#", "cmd", "cmd/+", "cmd/a/b", "cmd/+/b", "cmd/a/#"})
    EXPECT_EQ(sub(s), verdict::allow) << s;
  // a/+/c (sub)
  EXPECT_EQ(sub("a/b/c"), verdict::allow);
  EXPECT_EQ(sub("a/+/c"), verdict::allow);
  EXPECT_EQ(sub("+/b/c"), verdict::deny_wildcard);
  EXPECT_EQ(sub("a/b/+"), verdict::deny_wildcard);
  // telemetry (pub), status (pub,sub), defaults.
  EXPECT_EQ(pub("telemetry"), verdict::allow);
  EXPECT_EQ(sub("telemetry"), verdict::deny_not_own);
  EXPECT_EQ(pub("status"), verdict::allow);
  EXPECT_EQ(sub("status"), verdict::allow);
  EXPECT_EQ(pub("unknown"), verdict::deny_not_own);
  EXPECT_EQ(sub("update"), verdict::deny_not_own);
  // Without the product's categories only the defaults remain.
  device_scope bare{pk, dn, {}, false};
  EXPECT_EQ(device_can_publish(bare, t("/{pk}/{dn}/user/update")), verdict::allow);
  EXPECT_EQ(device_can_publish(bare, t("/{pk}/{dn}/user/telemetry")), verdict::deny_not_own);
  EXPECT_EQ(device_can_subscribe(bare, t("/{pk}/{dn}/user/get")), verdict::allow);
}

TEST(DeviceAcl, TopicLimits) {
  const std::string base = t("/{pk}/{dn}/user/cmd/");
  const std::string at_limit = base + std::string(128 - base.size(), 'x');
  const std::string too_long = base + std::string(129 - base.size(), 'x');
  ASSERT_EQ(too_long.size(), 129u);
  EXPECT_EQ(check_topic_limits(at_limit), verdict::allow);
  EXPECT_EQ(check_topic_limits(too_long), verdict::deny_too_long);
  EXPECT_EQ(device_can_subscribe(me(), at_limit), verdict::allow);
  EXPECT_EQ(device_can_subscribe(me(), too_long), verdict::deny_too_long);
  EXPECT_EQ(device_can_publish(me(), too_long), verdict::deny_too_long);

  EXPECT_EQ(check_topic_limits("/a/b/c/d/e/f/g"), verdict::allow);
  EXPECT_EQ(check_topic_limits("/a/b/c/d/e/f/g/h"), verdict::deny_too_deep);
  EXPECT_EQ(device_can_subscribe(me(), t("/{pk}/{dn}/user/cmd/a/b/c")), verdict::allow);
  EXPECT_EQ(device_can_subscribe(me(), t("/{pk}/{dn}/user/cmd/a/b/c/d")), verdict::deny_too_deep);
  EXPECT_EQ(device_can_publish(me(), t("/{pk}/{dn}/user/a/b/c/d/e")), verdict::deny_too_deep);
  EXPECT_EQ(device_can_subscribe(me(), t("/broadcast/{pk}/a/b/c/d/e/f")), verdict::deny_too_deep);
  EXPECT_EQ(device_can_publish(me(), "/a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p/q"), verdict::deny_too_deep);

  // /ext/rrpc/${id} prefixes another topic: only the embedded slashes count.
  EXPECT_EQ(check_topic_limits(t("/ext/rrpc/12/sys/{pk}/{dn}/thing/service/property/set")),
            verdict::allow);
  EXPECT_EQ(check_topic_limits("/ext/rrpc/12/a/b/c/d/e/f/g/h"), verdict::deny_too_deep);
  EXPECT_EQ(device_can_subscribe(me(), t("/ext/rrpc/+/{pk}/{dn}/user/cmd/a/b/c/d")),
            verdict::deny_too_deep);
  // SPEC §3's own 8-slash system topic is exempt in the device checks.
  const auto history = t("/sys/{pk}/{dn}/thing/event/property/history/post");
  EXPECT_EQ(check_topic_limits(history), verdict::deny_too_deep);
  EXPECT_EQ(device_can_publish(me(), history), verdict::allow);
}

TEST(DeviceAcl, RrpcEmbedsOnlyTheDevicesOwnTopics) {
  for (auto p : {"/ext/rrpc/1/{pk}/{dn}/user/unknown", "/ext/rrpc/1/broadcast/{pk}/x",
                 "/ext/rrpc/1/ext/rrpc/2/{pk}/{dn}/user/get", "/ext/rrpc//{pk}/{dn}/user/get",
                 "/ext/rrpc/1/{pk}/{dn}", "/ext/rrpc/1/shadow/get/{pk}/{dn}", "/ext/rrpc/1"})
    EXPECT_EQ(device_can_publish(me(), t(p)), verdict::deny_not_own) << p;
  EXPECT_EQ(device_can_publish(me(), "/ext/rrpc/1/" + other_device("{pk}/{dn}/user/get")),
            verdict::deny_not_own);
  EXPECT_EQ(device_can_subscribe(me(), t("/ext/rrpc/+/{pk}/+/user/get")), verdict::deny_not_own);
  EXPECT_EQ(device_can_subscribe(me(), t("/ext/rrpc/+/+/{dn}/#")), verdict::deny_not_own);
}

TEST(DeviceAcl, ParseCategory) {
  EXPECT_TRUE(parse_category("data/+", "sub"));
  EXPECT_TRUE(parse_category("a/b/#", "sub"));
  EXPECT_TRUE(parse_category("status", "pub,sub"));
  EXPECT_TRUE(parse_category("status", "sub,pub"));
  auto c = parse_category("x_y-z/Q9", "pub");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->suffix, "x_y-z/Q9");
  EXPECT_TRUE(c->pub);
  EXPECT_FALSE(c->sub);
  EXPECT_EQ(parse_category("data/+", "pub").error(), category_error::wildcard_in_pub);
  EXPECT_EQ(parse_category("data/#", "pub,sub").error(), category_error::wildcard_in_pub);
  EXPECT_EQ(parse_category("a/#/b", "sub").error(), category_error::misplaced_hash);
  EXPECT_EQ(parse_category("a+b", "sub").error(), category_error::misplaced_hash);
  EXPECT_EQ(parse_category("a/b#", "sub").error(), category_error::misplaced_hash);
  EXPECT_EQ(parse_category("", "sub").error(), category_error::empty);
  EXPECT_EQ(parse_category("a//b", "sub").error(), category_error::empty);
  EXPECT_EQ(parse_category("/a", "sub").error(), category_error::empty);
  EXPECT_EQ(parse_category("a/", "sub").error(), category_error::empty);
  EXPECT_EQ(parse_category("a b", "sub").error(), category_error::bad_character);
  EXPECT_EQ(parse_category("a/${deviceName}", "sub").error(), category_error::bad_character);
  EXPECT_EQ(parse_category("x", "").error(), category_error::bad_permission);
  EXPECT_EQ(parse_category("x", "publish").error(), category_error::bad_permission);
  // 4 + 3 slashes with the /${pk}/${dn}/user/ prefix.
  EXPECT_TRUE(parse_category("a/b/c/d", "sub"));
  EXPECT_EQ(parse_category("a/b/c/d/e", "sub").error(), category_error::too_deep);
  // 51 prefix bytes (pk 11, dn 32) + 77 = 128.
  EXPECT_TRUE(parse_category(std::string(77, 'a'), "sub"));
  EXPECT_EQ(parse_category(std::string(78, 'a'), "sub").error(), category_error::too_long);
  for (auto e :
       {category_error::empty, category_error::bad_character, category_error::wildcard_in_pub,
        category_error::misplaced_hash, category_error::too_long, category_error::too_deep,
        category_error::bad_permission})
    EXPECT_NE(std::string_view(to_string(e)), "invalid category");
}

TEST(DeviceAcl, DefaultCategories) {
  auto d = default_categories();
  ASSERT_EQ(d.size(), 3u);
  for (const auto& c : d) {
    auto parsed = parse_category(c.suffix, c.pub ? "pub" : "sub");
    ASSERT_TRUE(parsed) << c.suffix;
  }
  EXPECT_EQ(d[0].suffix, "update");
  EXPECT_TRUE(d[0].pub);
  EXPECT_EQ(d[2].suffix, "get");
  EXPECT_TRUE(d[2].sub);
}

TEST(DeviceAcl, AutoSubscriptionsAreSubscribable) {
  auto subs = auto_subscriptions(pk, dn);
  EXPECT_EQ(subs.size(), 16u);
  std::set<std::string> unique(subs.begin(), subs.end());
  EXPECT_EQ(unique.size(), subs.size());
  for (auto f : {"/ext/rrpc/+/sys/{pk}/{dn}/#", "/ext/rrpc/+/{pk}/{dn}/#",
                 "/sys/{pk}/{dn}/thing/service/+", "/sys/{pk}/{dn}/rrpc/request/+",
                 "/ext/error/{pk}/{dn}", "/sys/{pk}/{dn}/thing/config/push"})
    EXPECT_EQ(unique.count(t(f)), 1u) << f;
  device_scope other{pk, other_dn, custom, false};
  for (const auto& f : subs) {
    EXPECT_EQ(device_can_subscribe(me(), f), verdict::allow) << f;
    EXPECT_EQ(device_can_subscribe(other, f), verdict::deny_not_own) << f;
    EXPECT_EQ(f.find('{'), std::string::npos) << f;
  }
}

TEST(DeviceAcl, EmptyScopeIsRefused) {
  device_scope none{};
  EXPECT_EQ(device_can_publish(none, "//x/user/update"), verdict::deny_not_own);
  EXPECT_EQ(device_can_subscribe(none, "/sys///thing/service/+"), verdict::deny_not_own);
}

TEST(DeviceAcl, ApplicationSubscriptions) {
  const std::vector<std::string> products = {std::string(pk)};
  const app_scope app{products};
  for (auto f :
       {"/{pk}/+/user/#", "/sys/{pk}/+/thing/event/+/post", "/sys/{pk}/#", "/as/mqtt/status/{pk}/#",
        "/shadow/get/{pk}/+", "/shadow/+/{pk}/+", "/ota/device/+/{pk}/+",
        "/ext/rrpc/+/sys/{pk}/+/thing/service/+", "/ext/ntp/{pk}/+/request", "/broadcast/{pk}/#",
        "$share/group1//{pk}/+/user/#", "$share/g//sys/{pk}/+/thing/event/+/post", "backend/x/#",
        "+/backend/x", "/plain/topic", "$SYS/#", "$share/g/backend/#"})
    EXPECT_EQ(app_can_subscribe(app, t(f)), verdict::allow) << f;
  for (auto f : {"#",
                 "+/#",
                 "/#",
                 "/+/+/user/#",
                 "/sys/#",
                 "/sys/+/+/thing/event/+/post",
                 "+/sys/{pk}/#",
                 "/{opk}/+/user/#",
                 "/sys/{opk}/+/thing/service/+",
                 "/as/mqtt/status/#",
                 "/shadow/#",
                 "/ext/+/{pk}/#",
                 "/ext/rrpc/+/#",
                 "/ext/rrpc/+/+/{pk}/#",
                 "/ext/register",
                 "/abcdefghijk/x",
                 "$share//x",
                 "$share/g+/x",
                 "$share/g",
                 "$share/g/",
                 "$share/g//{opk}/+/user/#"})
    EXPECT_EQ(app_can_subscribe(app, with_other(f)), verdict::deny_not_own) << f;
  EXPECT_EQ(app_can_subscribe(app, "$other/x"), verdict::deny_system);
  EXPECT_EQ(app_can_subscribe(app, t("/{pk}/a#/user")), verdict::deny_wildcard);
}

TEST(DeviceAcl, ApplicationPublish) {
  const std::vector<std::string> products = {std::string(pk), "b1B2c3D4e5F"};
  const app_scope app{products};
  for (auto p : {"/sys/{pk}/dev-9/thing/service/property/set", "/{pk}/{dn}/user/get",
                 "/shadow/get/{pk}/{dn}", "/ota/device/upgrade/{pk}/{dn}", "/broadcast/{pk}/all",
                 "/ext/rrpc/5/sys/{pk}/{dn}/thing/service/x", "/ext/error/{pk}/{dn}",
                 "/sys/b1B2c3D4e5F/d/thing/service/x", "backend/events", "/plain/topic"})
    EXPECT_EQ(app_can_publish(app, t(p)), verdict::allow) << p;
  for (auto p : {"/{opk}/{dn}/user/get", "/sys/{opk}/{dn}/thing/service/x",
                 "/as/mqtt/status/{pk}/{dn}", "/ext/register", "/ext/regnwl", "/abcdefghijk/x"})
    EXPECT_EQ(app_can_publish(app, with_other(p)), verdict::deny_not_own) << p;
  EXPECT_EQ(app_can_publish(app, "$SYS/x"), verdict::deny_system);
  EXPECT_EQ(app_can_publish(app, t("/{pk}/+/user/get")), verdict::deny_wildcard);
  const app_scope nothing{};
  EXPECT_EQ(app_can_publish(nothing, t("/{pk}/{dn}/user/get")), verdict::deny_not_own);
  EXPECT_EQ(app_can_publish(nothing, "backend/events"), verdict::allow);
}

TEST(DeviceAcl, AnonymousClientsStayOutsideDeviceNamespaces) {
  for (auto topic : {"sensors/1", "/plain/topic", "/short/x", "a"})
    EXPECT_EQ(anonymous_can_publish(topic), verdict::allow) << topic;
  for (auto p : {"/{pk}/{dn}/user/get", "/sys/{pk}/{dn}/thing/service/x", "/ext/ntp/x/y/request",
                 "/shadow/update/{pk}/{dn}", "/ota/device/inform/{pk}/{dn}", "/broadcast/{pk}/x",
                 "/as/mqtt/status/{pk}/{dn}", "/ext/register", "/sys"})
    EXPECT_EQ(anonymous_can_publish(t(p)), verdict::deny_not_own) << p;
  EXPECT_EQ(anonymous_can_publish("$SYS/x"), verdict::deny_system);
  EXPECT_EQ(anonymous_can_publish("a/+"), verdict::deny_wildcard);

  for (auto f : {"#", "+/#", "/+/+/user/#", "/#", "sensors/+", "$SYS/#", "$share/g/sensors/#"})
    EXPECT_EQ(anonymous_can_subscribe(f), verdict::allow) << f;
  for (auto p : {"/sys/#", "/{pk}/+/user/get", "/shadow/get/+/+", "/ext/#", "/as/mqtt/status/#",
                 "$share/g//sys/#", "$share//x", "$share/g"})
    EXPECT_EQ(anonymous_can_subscribe(t(p)), verdict::deny_not_own) << p;

  EXPECT_TRUE(is_device_namespace(t("/{pk}/{dn}/user/update")));
  EXPECT_TRUE(is_device_namespace("/as/mqtt/status/x/y"));
  EXPECT_TRUE(is_device_namespace("/abcdefghijk/x"));  // shape of a ProductKey
  EXPECT_FALSE(is_device_namespace("sensors/1"));
  EXPECT_FALSE(is_device_namespace("/short/x"));
  EXPECT_FALSE(is_device_namespace("/abcdefghij_/x"));
  EXPECT_FALSE(is_device_namespace("sys/x"));

  // With a registry predicate instead of the shape heuristic.
  product_key_predicate known = [](std::string_view s) { return s == "known"; };
  EXPECT_TRUE(is_device_namespace("/known/d/user/get", known));
  EXPECT_FALSE(is_device_namespace("/abcdefghijk/x", known));
  EXPECT_TRUE(is_device_namespace("/sys/x/y", known));
  EXPECT_EQ(anonymous_can_publish("/known/d/user/get", known), verdict::deny_not_own);
  EXPECT_EQ(anonymous_can_publish("/abcdefghijk/x", known), verdict::allow);
  EXPECT_EQ(anonymous_can_subscribe("/known/#", known), verdict::deny_not_own);
  EXPECT_EQ(anonymous_can_subscribe("/abcdefghijk/#", known), verdict::allow);
}

TEST(DeviceAcl, VerdictTexts) {
  std::set<std::string_view> texts;
  for (auto v : {verdict::allow, verdict::deny_not_own, verdict::deny_too_long,
                 verdict::deny_too_deep, verdict::deny_wildcard, verdict::deny_system})
    texts.insert(to_string(v));
  EXPECT_EQ(texts.size(), 6u);
}

}  // namespace
}  // namespace iotb::acl
