#include "actors/dispatch.hpp"

#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

namespace iotb::actors {
namespace {

/// A direct subscriber that remembers what it was offered.
struct recorder final : direct_subscriber {
  std::vector<std::pair<std::string, std::string>> got;  // topic, client id
  void offer(const message_ptr& m, std::string_view client_id) override {
    got.emplace_back(m->topic, std::string(client_id));
  }
};

message_ptr msg(std::string topic, std::uint64_t origin) {
  return make_message(std::move(topic), "{}", mqtt::qos::at_least_once, false, 1, origin);
}

TEST(DispatchDirect, MatchesAreOfferedWithThePublishersClientId) {
  broker_context ctx{config{}};
  recorder rec;
  ASSERT_TRUE(
      subscribe_internal(ctx, subscriber_actor{}, 42, "a/+", mqtt::qos::at_least_once, &rec));
  publisher from;
  from.key = 7;
  from.client_id = "client-7";
  auto r = dispatch(ctx, msg("a/b", 7), from);
  EXPECT_EQ(r.reached, 1u);
  EXPECT_FALSE(r.deferred);
  dispatch(ctx, msg("b/c", 7), from);  // no match
  ASSERT_EQ(rec.got.size(), 1u);
  EXPECT_EQ(rec.got[0].first, "a/b");
  EXPECT_EQ(rec.got[0].second, "client-7");
}

TEST(DispatchDirect, NoLocalKeepsTheSubscribersOwnMessagesAway) {
  broker_context ctx{config{}};
  recorder rec;
  ASSERT_TRUE(subscribe_internal(ctx, subscriber_actor{}, 42, "#", mqtt::qos::at_least_once, &rec));
  publisher self;
  self.key = 42;
  dispatch(ctx, msg("x/y", 42), self);  // what it republished itself
  EXPECT_TRUE(rec.got.empty());
  dispatch(ctx, msg("x/y", 0), publisher{});  // the broker's own: an empty client id
  ASSERT_EQ(rec.got.size(), 1u);
  EXPECT_EQ(rec.got[0].second, "");
}

TEST(DispatchDirect, AnErasedSubscriptionIsNoLongerOffered) {
  broker_context ctx{config{}};
  recorder rec;
  ASSERT_TRUE(
      subscribe_internal(ctx, subscriber_actor{}, 42, "a/b", mqtt::qos::at_most_once, &rec));
  ctx.subs.erase("a/b", 42);
  dispatch(ctx, msg("a/b", 7), publisher{});
  EXPECT_TRUE(rec.got.empty());
}

}  // namespace
}  // namespace iotb::actors
