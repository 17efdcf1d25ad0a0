#include "broker/admin/tokens.hpp"

#include <gtest/gtest.h>

#include "broker/util/clock.hpp"

namespace iotb::admin {
namespace {

using namespace std::chrono_literals;

struct fake_clock {
  std::chrono::system_clock::time_point now{std::chrono::seconds{1'700'000'000}};
  wall_clock fn() {
    return [this] { return now; };
  }
};

TEST(Tokens, AreRandomHexAndCarryTheRole) {
  fake_clock c;
  token_store ts(24h, c.fn());
  auto [a, ia] = ts.issue("alice", store::admin_role::admin);
  auto [b, ib] = ts.issue("bob", store::admin_role::viewer);
  EXPECT_EQ(a.size(), 64u);
  EXPECT_EQ(a.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_NE(a, b);
  EXPECT_EQ(ia.expires_ms, clock::to_ms(c.now) + 24 * 3600 * 1000);
  auto la = ts.lookup(a);
  ASSERT_TRUE(la);
  EXPECT_EQ(la->user, "alice");
  EXPECT_EQ(la->role, store::admin_role::admin);
  EXPECT_EQ(ts.lookup(b)->role, store::admin_role::viewer);
  EXPECT_FALSE(ts.lookup("forged"));
  EXPECT_FALSE(ts.lookup(a.substr(0, 63) + (a.back() == '0' ? "1" : "0")));
}

TEST(Tokens, ExpireAfterTheirTimeToLive) {
  fake_clock c;
  token_store ts(24h, c.fn());
  auto [t, info] = ts.issue("alice", store::admin_role::admin);
  c.now += 24h - 1ms;
  EXPECT_TRUE(ts.lookup(t));
  c.now += 1ms;
  EXPECT_FALSE(ts.lookup(t));
  EXPECT_EQ(ts.size(), 0u);  // removed when found expired
}

TEST(Tokens, RevokedWithTheirUser) {
  fake_clock c;
  token_store ts(1h, c.fn());
  auto [a1, i1] = ts.issue("alice", store::admin_role::admin);
  auto [a2, i2] = ts.issue("alice", store::admin_role::admin);
  auto [b, ib] = ts.issue("bob", store::admin_role::admin);
  ts.revoke_user("alice");
  EXPECT_FALSE(ts.lookup(a1));
  EXPECT_FALSE(ts.lookup(a2));
  EXPECT_TRUE(ts.lookup(b));
}

TEST(Tokens, MemoryIsBounded) {
  fake_clock c;
  token_store ts(1h, c.fn(), 3);
  auto [first, i0] = ts.issue("u", store::admin_role::viewer);
  for (int i = 0; i < 10; ++i) {
    c.now += 1s;
    (void)ts.issue("u", store::admin_role::viewer);
  }
  EXPECT_EQ(ts.size(), 3u);
  EXPECT_FALSE(ts.lookup(first));  // the one expiring first went
}

}  // namespace
}  // namespace iotb::admin
