#include "broker/log/log.hpp"

#include <gtest/gtest.h>

#include <thread>

namespace iotb::log {
namespace {

TEST(RateGate, OneLinePerSecondCountsWhatItHolds) {
  rate_gate g;
  std::uint64_t held = 99;
  ASSERT_TRUE(g.allow(held));
  EXPECT_EQ(held, 0u);
  for (int i = 0; i < 5; ++i)
    EXPECT_FALSE(g.allow(held));
  std::this_thread::sleep_for(std::chrono::milliseconds{1050});
  ASSERT_TRUE(g.allow(held));
  EXPECT_EQ(held, 5u);  // the next line reports the suppressed ones
}

TEST(RateGate, BurstAllowsThatManyLinesThenHolds) {
  rate_gate g{event_lines_per_second};
  std::uint64_t held = 0;
  for (std::uint32_t i = 0; i < event_lines_per_second; ++i)
    ASSERT_TRUE(g.allow(held)) << i;
  for (int i = 0; i < 1000; ++i)
    EXPECT_FALSE(g.allow(held));
  std::this_thread::sleep_for(std::chrono::milliseconds{1050});
  ASSERT_TRUE(g.allow(held));
  EXPECT_EQ(held, 1000u);
  EXPECT_TRUE(g.allow(held));
  EXPECT_EQ(held, 0u);
}

TEST(RateGate, ConcurrentCallersNeverLoseTheCount) {
  rate_gate g{event_lines_per_second};
  std::atomic<std::uint64_t> allowed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      std::uint64_t held = 0;
      for (int i = 0; i < 10'000; ++i)
        if (g.allow(held))
          allowed.fetch_add(1);
    });
  for (auto& t : threads)
    t.join();
  // Within one window (the loop takes far less than a second on any
  // machine this runs on, or a few windows at worst).
  EXPECT_GE(allowed.load(), event_lines_per_second);
  EXPECT_LT(allowed.load(), 40'000u);
}

}  // namespace
}  // namespace iotb::log
