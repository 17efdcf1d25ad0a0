// Tests of the matching internals behind device_acl.hpp (topic_rules.hpp):
// filter containment is sound, and the PUBLISH fast path never allows what
// the general rules refuse. The rules themselves: device_acl.test.cpp.

#include "broker/acl/topic_rules.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "broker/acl/acl_test_scope.hpp"

namespace iotb::acl {
namespace {

using namespace test_scope;

// Seeds: allowed publish topics and subscribe filters of every kind.
const char* const pub_cases[] = {
    "/{pk}/{dn}/user/update",
    "/{pk}/{dn}/user/update/error",
    "/{pk}/{dn}/user/telemetry",
    "/sys/{pk}/{dn}/thing/event/property/post",
    "/sys/{pk}/{dn}/thing/event/property/history/post",
    "/sys/{pk}/{dn}/thing/service/property/set_reply",
    "/sys/{pk}/{dn}/thing/service/reboot_reply",
    "/sys/{pk}/{dn}/thing/model/up_raw",
    "/sys/{pk}/{dn}/thing/config/get",
    "/sys/{pk}/{dn}/rrpc/response/42",
    "/ext/rrpc/77/sys/{pk}/{dn}/thing/service/reboot",
    "/shadow/update/{pk}/{dn}",
    "/ota/device/inform/{pk}/{dn}",
    "/ext/ntp/{pk}/{dn}/request",
};
const char* const sub_cases[] = {
    "/{pk}/{dn}/user/get",
    "/{pk}/{dn}/user/data/+",
    "/{pk}/{dn}/user/cmd/#",
    "/{pk}/{dn}/user/a/+/c",
    "/sys/{pk}/{dn}/thing/event/+/post_reply",
    "/sys/{pk}/{dn}/thing/event/property/history/post_reply",
    "/sys/{pk}/{dn}/thing/service/property/set",
    "/sys/{pk}/{dn}/thing/service/+",
    "/sys/{pk}/{dn}/thing/model/down_raw",
    "/sys/{pk}/{dn}/thing/config/push",
    "/sys/{pk}/{dn}/rrpc/request/42",
    "/ext/rrpc/+/sys/{pk}/{dn}/thing/service/+",
    "/ext/rrpc/+/{pk}/{dn}/#",
    "/shadow/get/{pk}/{dn}",
    "/broadcast/{pk}/all",
    "/ota/device/upgrade/{pk}/{dn}",
    "/ext/ntp/{pk}/{dn}/response",
    "/ext/error/{pk}/{dn}",
    "/ext/register",
};

/// Soundness of filter containment: mutate allowed topics into filters and,
/// for every filter allowed, expand its wildcards over a vocabulary; each
/// resulting topic must be subscribable too.
TEST(DeviceAclRules, AllowedFiltersMatchOnlySubscribableTopics) {
  const std::vector<std::string> vocab = {
      "x",         std::string(pk), std::string(dn), std::string(other_dn),
      "sys",       "thing",         "service",       "event",
      "property",  "post",          "post_reply",    "set",
      "set_reply", "user",          "get",           "update",
      "rrpc",      "request",       "response",      "a_reply",
      "data",      "cmd",           "ext",           "config",
      "push"};
  auto split = [](std::string_view s) {
    std::vector<std::string> out;
    for (;;) {
      auto slash = s.find('/');
      out.emplace_back(s.substr(0, slash));
      if (slash == std::string_view::npos)
        return out;
      s.remove_prefix(slash + 1);
    }
  };
  auto join = [](const std::vector<std::string>& l) {
    std::string s;
    for (std::size_t i = 0; i < l.size(); ++i)
      s += (i ? "/" : "") + l[i];
    return s;
  };
  std::function<void(std::vector<std::string>, std::size_t, std::vector<std::string>&)> expand =
      [&](std::vector<std::string> l, std::size_t i, std::vector<std::string>& out) {
        if (i == l.size())
          return out.push_back(join(l));
        if (l[i] == "#") {
          auto parent = l;
          parent.resize(i);
          out.push_back(join(parent));
          for (const auto& v : vocab) {
            l[i] = v;
            out.push_back(join(l));
          }
          return;
        }
        if (l[i] != "+")
          return expand(l, i + 1, out);
        for (const auto& v : vocab) {
          l[i] = v;
          expand(l, i + 1, out);
        }
      };
  std::mt19937 rng(42);
  std::size_t allowed = 0;
  for (int round = 0; round < 1000; ++round) {
    auto base = split(t(sub_cases[rng() % std::size(sub_cases)]));
    for (auto& lv : base)
      if (rng() % 4 == 0)
        lv = "+";
    if (rng() % 3 == 0) {
      base.resize(1 + rng() % base.size());
      base.back() = "#";
    }
    auto filter = join(base);
    // At most two wildcards keep the expansion (|vocab|^2 topics) small.
    if (std::count_if(base.begin(), base.end(), [](auto& lv) { return lv == "+" || lv == "#"; }) >
            2 ||
        device_can_subscribe(me(), filter) != verdict::allow)
      continue;
    ++allowed;
    std::vector<std::string> topics;
    expand(base, 0, topics);
    for (const auto& topic : topics)
      ASSERT_EQ(device_can_subscribe(me(), topic), verdict::allow) << filter << " -> " << topic;
  }
  EXPECT_GT(allowed, 100u);
}

/// The PUBLISH fast path may only allow what the general rules allow, and
/// must take the common topics.
TEST(DeviceAclRules, PublishFastPathAgreesWithGeneralRules) {
  // Unvalidated categories too: a wildcard and an over-deep publish category.
  const std::vector<topic_category> odd = {{"telemetry", true, false},
                                           {"w/+", true, false},
                                           {"a/b/c/d/e", true, false},
                                           {"a/b/c/d", true, false}};
  const device_scope d{pk, dn, odd, false};
  EXPECT_TRUE(detail::publish_fast_path(d, t("/sys/{pk}/{dn}/thing/event/property/post")));
  EXPECT_TRUE(detail::publish_fast_path(d, t("/sys/{pk}/{dn}/thing/service/reboot_reply")));
  EXPECT_TRUE(detail::publish_fast_path(d, t("/{pk}/{dn}/user/telemetry")));
  EXPECT_TRUE(detail::publish_fast_path(d, t("/{pk}/{dn}/user/a/b/c/d")));
  EXPECT_FALSE(detail::publish_fast_path(d, t("/{pk}/{dn}/user/a/b/c/d/e")));
  EXPECT_FALSE(detail::publish_fast_path(d, t("/{pk}/{dn}/user/w/+")));
  EXPECT_FALSE(detail::publish_fast_path(d, t("/sys/{pk}/{dn}/thing/event/+/post")));
  EXPECT_FALSE(detail::publish_fast_path(d, t("/sys/{pk}/{dn}/thing/service/+_reply")));

  std::vector<std::string> corpus;
  for (auto rows :
       {std::span<const char* const>(pub_cases), std::span<const char* const>(sub_cases)})
    for (auto r : rows)
      for (auto f : {t, other_device, other_product})
        corpus.push_back(f(r));
  const std::string_view noise[] = {"",
                                    "+",
                                    "#",
                                    "x",
                                    "a_reply",
                                    "_reply",
                                    "post",
                                    "user",
                                    "sys",
                                    "thing",
                                    "/",
                                    "a+",
                                    "#x",
                                    std::string_view(pk),
                                    std::string_view(dn)};
  std::mt19937 rng(7);
  for (int i = 0; i < 3000; ++i) {
    std::string s = corpus[rng() % corpus.size()];
    auto pos = rng() % (s.size() + 1);
    auto cut = rng() % 3 == 0 ? std::min<std::size_t>(rng() % 8, s.size() - pos) : 0;
    s.replace(pos, cut, noise[rng() % std::size(noise)]);
    corpus.push_back(std::move(s));
  }
  std::size_t fast = 0;
  for (const auto& topic : corpus) {
    if (!detail::publish_fast_path(d, topic))
      continue;
    ++fast;
    ASSERT_EQ(detail::device_check_general(d, topic, true), verdict::allow) << topic;
  }
  EXPECT_GE(fast, 10u);
}

}  // namespace
}  // namespace iotb::acl
