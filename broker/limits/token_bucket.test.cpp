#include "broker/limits/token_bucket.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace std::chrono_literals;
using iotb::limits::keyed_rate;
using iotb::limits::shared_bucket;
using iotb::limits::time_point;
using iotb::limits::token_bucket;
using std::chrono::nanoseconds;

// An arbitrary origin, far from the clock's epoch and limits.
const time_point t0 = time_point{} + 1000h;
constexpr time_point tmin = time_point::min();
constexpr time_point tmax = time_point::max();

// Takes single tokens at `t` until refused; returns how many.
template <class Bucket>
int drain(Bucket& b, time_point t, int limit = 1'000'000) {
  int n = 0;
  while (n < limit && b.try_take(t))
    ++n;
  return n;
}

int drain(keyed_rate& k, std::string_view key, time_point t, int limit = 1'000'000) {
  int n = 0;
  while (n < limit && k.try_take(key, t))
    ++n;
  return n;
}

// -- token_bucket -------------------------------------------------------------

TEST(TokenBucket, IsSmall) {
  static_assert(sizeof(token_bucket) <= 24);
  EXPECT_EQ(sizeof(token_bucket), 24u);
}

TEST(TokenBucket, BurstThenExactlyTheRate) {
  token_bucket b{30, 1s};
  EXPECT_EQ(b.burst(), 30u);
  int first = 0;
  for (int i = 0; i < 100; ++i)
    first += b.try_take(t0);
  EXPECT_EQ(first, 30);
  // Attempts every 10 ms: exactly 30 per second, every second.
  for (int s = 0; s < 10; ++s) {
    int got = 0;
    for (int ms = 10; ms <= 1000; ms += 10)
      got += b.try_take(t0 + 1s * s + 1ms * ms);
    EXPECT_EQ(got, 30) << "second " << s;
  }
}

struct drift_case {
  std::uint32_t rate;
  std::chrono::milliseconds period;
  std::uint32_t burst;
  std::uint32_t n;   // tokens per take
  nanoseconds step;  // between attempts; below (burst - n) token intervals
};

// Greedy takes from a full bucket that never fills up again: by `elapsed`,
// exactly floor((burst * period + elapsed * rate) / (n * period)) takes of n
// tokens, however many attempts there were.
TEST(TokenBucket, NoDriftOverOneHour) {
  const drift_case cases[] = {
      {30, 1s, 30, 1, 17ms + 13ns},
      {7, 3s, 7, 1, 101ms},
      {5, 1min, 5, 1, 1s + 1ns},
      {1'000'000, 1s, 1'000'000, 1500, 10ms + 7ns},  // 8 Mbit/s in bytes
      {3, 1s, 10, 2, 333ms},
      {3'000'000, 1s, 3'000'000, 100'000, 10ms + 7ns},  // 333.3 ns per token
      {3, 7ms, 10, 1, 13ms},
  };
  for (const auto& c : cases) {
    token_bucket b{c.rate, c.period, c.burst};
    const unsigned __int128 unit = static_cast<std::uint64_t>(nanoseconds{c.period}.count());
    std::uint64_t takes = 0;
    for (time_point t = t0; t <= t0 + 1h; t += c.step) {
      while (b.try_take(t, c.n))
        ++takes;
      if ((t - t0) % 1min < c.step || t + c.step > t0 + 1h) {
        const auto elapsed = static_cast<std::uint64_t>((t - t0).count());
        const auto expected = static_cast<std::uint64_t>(
            (unit * c.burst + static_cast<unsigned __int128>(elapsed) * c.rate) / (unit * c.n));
        ASSERT_EQ(takes, expected) << c.rate << "/" << c.period.count() << "ms at " << elapsed;
        // Token-exact too, not just in whole takes.
        const auto tokens = static_cast<std::uint64_t>(
            (unit * c.burst + static_cast<unsigned __int128>(elapsed) * c.rate) / unit);
        ASSERT_EQ(b.available(t), tokens - takes * c.n) << c.rate << " at " << elapsed;
      }
    }
  }
}

TEST(TokenBucket, BurstCapsSavedTokens) {
  token_bucket big{10, 1s, 50};
  EXPECT_EQ(drain(big, t0), 50);
  EXPECT_EQ(big.available(t0 + 1h), 50u);
  EXPECT_EQ(drain(big, t0 + 1h), 50);
  token_bucket small{100, 1s, 5};
  EXPECT_EQ(drain(small, t0), 5);
  EXPECT_EQ(drain(small, t0 + 10ms), 1);
  EXPECT_EQ(drain(small, t0 + 1h), 5);
}

TEST(TokenBucket, RateZeroIsUnlimited) {
  for (token_bucket b : {token_bucket{}, token_bucket{0, 1s}, token_bucket{30, 0s}}) {
    EXPECT_TRUE(b.unlimited());
    for (int i = 0; i < 100'000; ++i)
      ASSERT_TRUE(b.try_take(t0, 1'000'000));
    EXPECT_EQ(b.wait_time(t0, 1'000'000), 0ns);
    EXPECT_EQ(b.available(t0), UINT32_MAX);
    b.consume(t0, UINT32_MAX);
    EXPECT_TRUE(b.try_take(tmax));
  }
}

TEST(TokenBucket, MoreThanBurstNeverFits) {
  token_bucket b{30, 1s};
  EXPECT_FALSE(b.try_take(t0, 31));
  EXPECT_EQ(b.wait_time(t0, 31), nanoseconds::max());
  EXPECT_TRUE(b.try_take(t0, 30));
  EXPECT_TRUE(b.try_take(t0, 0));  // nothing to take
}

TEST(TokenBucket, WaitTimeIsExact) {
  const drift_case cases[] = {{30, 1s, 30, 1, 0ns},
                              {7, 3s, 7, 3, 0ns},
                              {5, 1min, 5, 5, 0ns},
                              {1'000'000, 1s, 1'000'000, 1500, 0ns},
                              {1'000'000, 1s, 1'000'000, 1'000'000, 0ns}};
  for (const auto& c : cases) {
    token_bucket b{c.rate, c.period, c.burst};
    time_point t = t0;
    for (int i = 0; i < 50; ++i) {
      const nanoseconds w = b.wait_time(t, c.n);
      if (w > 0ns) {
        token_bucket early = b;
        ASSERT_FALSE(early.try_take(t + w - 1ns, c.n)) << c.rate << " step " << i;
      }
      ASSERT_TRUE(b.try_take(t + w, c.n)) << c.rate << " step " << i;
      t += w + nanoseconds{(i * 7919) % 1000};  // a little idle now and then
    }
  }
}

TEST(TokenBucket, ConsumeIntoDebtPausesReading) {
  token_bucket b{1'000'000, 1s};  // bytes: 8 Mbit/s
  b.consume(t0, 3'000'000);       // three seconds' worth already read
  EXPECT_EQ(b.wait_time(t0, 0), 2s);
  EXPECT_EQ(b.wait_time(t0, 1), 2s + 1us);
  EXPECT_EQ(b.available(t0 + 2s), 0u);
  EXPECT_FALSE(b.try_take(t0 + 2s + 1us - 1ns));
  EXPECT_TRUE(b.try_take(t0 + 2s + 1us));
  EXPECT_EQ(b.available(t0 + 1h), 1'000'000u);
}

TEST(TokenBucket, ReconfigureKeepsAvailableTokens) {
  token_bucket b{30, 1s};
  EXPECT_EQ(drain(b, t0, 20), 20);
  b.reconfigure(t0, 60, 1s);  // 10 left, burst now 60
  EXPECT_EQ(b.rate(), 60u);
  EXPECT_EQ(b.burst(), 60u);
  EXPECT_EQ(b.available(t0), 10u);
  EXPECT_EQ(drain(b, t0), 10);
  EXPECT_EQ(drain(b, t0 + 1s), 60);  // refills at the new rate

  b.reconfigure(t0 + 1s, 5, 1min);  // empty stays empty: no free tokens
  EXPECT_EQ(drain(b, t0 + 1s), 0);
  EXPECT_EQ(b.wait_time(t0 + 1s), 12s);

  b.reconfigure(t0 + 1h, 100, 1s);  // full (5): still 5, refilling to 100
  EXPECT_EQ(b.available(t0 + 1h), 5u);
  EXPECT_EQ(b.available(t0 + 1h + 1s), 100u);
  b.reconfigure(t0 + 1h + 1s, 10, 1s, 3);  // capped at the new burst
  EXPECT_EQ(b.available(t0 + 1h + 1s), 3u);

  EXPECT_EQ(drain(b, t0 + 1h + 1s), 3);
  b.reconfigure(t0 + 1h + 1s, 0, 1s);  // unlimited, then limited again: full
  EXPECT_TRUE(b.unlimited());
  b.reconfigure(t0 + 1h + 1s, 4, 1s);
  EXPECT_EQ(drain(b, t0 + 1h + 1s), 4);
}

TEST(TokenBucket, ReconfigureKeepsTimeInDebt) {
  token_bucket b{1'000'000, 1s};
  b.consume(t0, 5'000'000);
  EXPECT_EQ(b.wait_time(t0, 0), 4s);
  b.reconfigure(t0, 2'000'000, 1s);
  EXPECT_EQ(b.wait_time(t0, 0), 4s);
  EXPECT_EQ(b.available(t0 + 4s + 1ms), 2'000u);
}

TEST(TokenBucket, HugeTimeJumps) {
  token_bucket b{30, 1s};
  EXPECT_EQ(drain(b, t0), 30);
  EXPECT_EQ(drain(b, t0 + 24h * 365 * 200), 30);  // 200 years later: just full
  for (time_point t : {tmin, time_point{}, tmax - 24h, t0}) {
    token_bucket c{30, 1s};
    EXPECT_EQ(drain(c, t), 30);
    EXPECT_EQ(c.wait_time(t), 33'333'334ns);
  }
  token_bucket m{30, 1s};
  EXPECT_EQ(drain(m, tmin), 30);
  EXPECT_LE(drain(m, tmax), 30);  // at the end of the range: refused, no overflow
  EXPECT_LE(m.wait_time(tmin), nanoseconds::max());
  m.consume(tmax - 1s, UINT32_MAX);  // saturates
  EXPECT_FALSE(m.try_take(tmax - 1s));
  EXPECT_EQ(m.available(tmin), 0u);
  // Huge parameters: a long period and burst are clamped, not overflowed.
  token_bucket h{UINT32_MAX, std::chrono::milliseconds{INT64_MAX}, UINT32_MAX};
  EXPECT_EQ(h.period(), std::chrono::milliseconds{UINT32_MAX});
  EXPECT_GE(h.burst(), 2147u);
  EXPECT_EQ(drain(h, t0), static_cast<int>(h.burst()));
  EXPECT_EQ(drain(h, tmax), 0);
}

TEST(TokenBucket, TimeGoingBackwardsGivesNoFreeTokens) {
  token_bucket b{30, 1s};
  EXPECT_EQ(drain(b, t0 + 10s), 30);
  EXPECT_EQ(drain(b, t0), 0);
  EXPECT_EQ(drain(b, t0 - 1h), 0);
  EXPECT_EQ(drain(b, tmin), 0);
  EXPECT_EQ(drain(b, t0 + 10s + 100ms), 3);  // as if the past never happened
  // Random order within ten seconds: never more than burst + 10 s of refill.
  std::mt19937_64 rng{42};
  for (int round = 0; round < 20; ++round) {
    token_bucket r{30, 1s, 10};
    int taken = 0;
    for (int i = 0; i < 10'000; ++i)
      taken += r.try_take(t0 + nanoseconds{static_cast<std::int64_t>(rng() % 10'000'000'000)});
    EXPECT_LE(taken, 10 + 300);
    EXPECT_GT(taken, 10);
  }
}

// -- shared_bucket ------------------------------------------------------------

TEST(SharedBucket, ExactWhenPeriodDividesByRate) {
  shared_bucket b{500, 1s};
  EXPECT_EQ(b.interval(), 2ms);
  EXPECT_EQ(drain(b, t0), 500);
  std::uint64_t takes = 500;
  for (time_point t = t0; t <= t0 + 1h; t += 7ms + 3ns)
    takes += static_cast<std::uint64_t>(drain(b, t));
  const auto elapsed = (t0 + 1h - t0) / (7ms + 3ns) * (7ms + 3ns);
  EXPECT_EQ(takes, 500 + static_cast<std::uint64_t>(elapsed / 2ms));
}

TEST(SharedBucket, RoundsTheIntervalUp) {
  shared_bucket b{30, 1s};
  EXPECT_EQ(b.interval(), 33'333'334ns);
  std::uint64_t takes = 0;
  for (time_point t = t0; t <= t0 + 1h; t += 7ms)
    takes += static_cast<std::uint64_t>(drain(b, t));
  EXPECT_LE(takes, 30u + 108'000u);  // never more than the rate
  EXPECT_GE(takes, 30u + 108'000u - 1u);
}

TEST(SharedBucket, UnlimitedWaitTimeAndJumps) {
  shared_bucket u{0, 1s};
  EXPECT_TRUE(u.try_take(tmax, UINT32_MAX));
  EXPECT_EQ(u.wait_time(t0), 0ns);

  shared_bucket b{10, 1s, 5};
  EXPECT_FALSE(b.try_take(t0, 6));
  EXPECT_EQ(b.wait_time(t0, 6), nanoseconds::max());
  EXPECT_EQ(drain(b, t0), 5);
  EXPECT_EQ(b.wait_time(t0, 2), 200ms);
  EXPECT_FALSE(b.try_take(t0 + 200ms - 1ns, 2));
  EXPECT_TRUE(b.try_take(t0 + 200ms, 2));
  EXPECT_EQ(drain(b, t0 - 1h), 0);  // backwards: nothing
  EXPECT_EQ(drain(b, tmin), 0);
  EXPECT_EQ(drain(b, t0 + 24h * 365 * 200), 5);
  EXPECT_LE(drain(b, tmax), 5);
  EXPECT_LE(b.wait_time(tmin), nanoseconds::max());
}

TEST(SharedBucket, ReconfigureKeepsAvailableTokens) {
  shared_bucket b{100, 1s};
  EXPECT_EQ(drain(b, t0, 60), 60);
  b.reconfigure(t0, 1000, 1s);  // 40 left of 1000
  EXPECT_EQ(b.interval(), 1ms);
  EXPECT_EQ(drain(b, t0), 40);
  b.reconfigure(t0, 5, 1min);  // empty stays empty
  EXPECT_EQ(drain(b, t0), 0);
  b.reconfigure(t0 + 1h, 0, 1s);
  EXPECT_TRUE(b.try_take(t0));
  b.reconfigure(t0 + 1h, 3, 1s);
  EXPECT_EQ(drain(b, t0 + 1h), 3);
}

// N threads x M takes at one instant: exactly the burst, never more.
TEST(SharedBucket, ConcurrentTakesNeverExceedBudget) {
  constexpr int threads = 4;
  constexpr int takes = 50'000;
  shared_bucket b{10'000, 1s, 25'000};
  std::atomic<int> granted{0};
  std::vector<std::thread> pool;
  pool.reserve(threads);
  for (int i = 0; i < threads; ++i)
    pool.emplace_back([&] {
      int mine = 0;
      for (int j = 0; j < takes; ++j)
        mine += b.try_take(t0);
      granted += mine;
    });
  for (auto& th : pool)
    th.join();
  EXPECT_EQ(granted.load(), 25'000);
}

// Each thread with its own clock (slightly out of step with the others):
// never more than the burst plus the refill over the latest time used.
TEST(SharedBucket, ConcurrentTakesWithAdvancingTime) {
  constexpr int threads = 4;
  constexpr int takes = 50'000;
  constexpr auto step = 5us;  // per attempt per thread; 2 ms is one token
  shared_bucket b{500, 1s};
  std::atomic<int> granted{0};
  std::vector<std::thread> pool;
  pool.reserve(threads);
  for (int i = 0; i < threads; ++i)
    pool.emplace_back([&, i] {
      int mine = 0;
      for (int j = 0; j < takes; ++j)
        mine += b.try_take(t0 + step * j + 1us * i);
      granted += mine;
    });
  for (auto& th : pool)
    th.join();
  const auto latest = step * (takes - 1) + 1us * (threads - 1);
  EXPECT_LE(granted.load(), 500 + static_cast<int>(latest / 2ms));
  EXPECT_GT(granted.load(), 500);
}

// -- keyed_rate ---------------------------------------------------------------

TEST(KeyedRate, LimitsEachKey) {
  keyed_rate k{5, 1min, 0, 100};
  int a = 0, b = 0;
  for (int i = 0; i < 10; ++i) {
    a += k.try_take("pk&dev-a", t0);
    b += k.try_take("pk&dev-b", t0);
  }
  EXPECT_EQ(a, 5);
  EXPECT_EQ(b, 5);
  EXPECT_FALSE(k.try_take("pk&dev-a", t0 + 12s - 1ns));
  EXPECT_TRUE(k.try_take("pk&dev-a", t0 + 12s));
  EXPECT_FALSE(k.try_take("pk&dev-a", t0 + 12s));
  EXPECT_EQ(k.size(), 2u);
}

TEST(KeyedRate, WouldTakePeeksWithoutTaking) {
  keyed_rate k{5, 1min, 0, 100};
  EXPECT_TRUE(k.would_take("user", t0));
  EXPECT_EQ(k.size(), 0u);  // a peek stores nothing
  for (int i = 0; i < 5; ++i) {
    EXPECT_TRUE(k.would_take("user", t0));
    EXPECT_TRUE(k.try_take("user", t0));
  }
  EXPECT_FALSE(k.would_take("user", t0));
  EXPECT_FALSE(k.would_take("user", t0));  // still refused: nothing taken
  EXPECT_TRUE(k.would_take("user", t0 + 12s));
  EXPECT_TRUE(k.would_take("other", t0));
}

TEST(KeyedRate, RateZeroStoresNothing) {
  keyed_rate k{0, 1min, 0, 10};
  for (int i = 0; i < 100; ++i)
    EXPECT_TRUE(k.try_take("k" + std::to_string(i), t0));
  EXPECT_EQ(k.size(), 0u);
}

TEST(KeyedRate, MemoryIsBounded) {
  keyed_rate k{5, 1min, 0, 100};
  for (int i = 0; i < 10'000; ++i) {
    // Long keys (heap-allocated) of varying length exercise key reuse.
    const std::string key =
        "product-key-0123456789&device-" + std::string(i % 40, 'x') + std::to_string(i);
    EXPECT_TRUE(k.try_take(key, t0 + 1ms * i)) << i;
    ASSERT_LE(k.size(), 100u);
  }
  EXPECT_EQ(k.size(), 100u);
  EXPECT_EQ(k.counters().reclaimed + k.counters().evicted_active, 9'900u);
}

TEST(KeyedRate, ReclaimsFullEntries) {
  keyed_rate k{5, 1min, 0, 2};
  EXPECT_EQ(drain(k, "a", t0), 5);
  EXPECT_EQ(drain(k, "b", t0), 5);
  EXPECT_TRUE(k.try_take("c", t0 + 61s));  // a and b are full again
  EXPECT_EQ(k.counters().reclaimed, 1u);
  EXPECT_EQ(k.counters().evicted_active, 0u);
  EXPECT_EQ(k.size(), 2u);
}

TEST(KeyedRate, FullTableOfActiveKeysNeverRefusesANewKey) {
  keyed_rate k{5, 1min, 0, 2};
  EXPECT_EQ(drain(k, "a", t0), 5);
  EXPECT_EQ(drain(k, "b", t0), 5);
  EXPECT_TRUE(k.try_take("c", t0 + 1s));
  EXPECT_EQ(k.counters().evicted_active, 1u);
  EXPECT_EQ(k.size(), 2u);
}

TEST(KeyedRate, PrefersAReclaimableEntryToTheLeastRecentlyUsed) {
  keyed_rate k{5, 1min, 0, 3};
  EXPECT_EQ(drain(k, "heavy", t0), 5);        // full again at t0 + 60 s
  EXPECT_TRUE(k.try_take("light", t0 + 1s));  // full again at t0 + 13 s
  EXPECT_EQ(drain(k, "other", t0 + 2s), 5);
  EXPECT_TRUE(k.try_take("new", t0 + 20s));  // takes light's place
  EXPECT_EQ(k.counters().reclaimed, 1u);
  EXPECT_EQ(k.counters().evicted_active, 0u);
  // heavy kept its debt: 20 s refilled one token (and two thirds).
  EXPECT_EQ(drain(k, "heavy", t0 + 20s), 1);
}

TEST(KeyedRate, EvictsTheLeastDebtWhenAllAreActive) {
  keyed_rate k{5, 1min, 0, 3};
  EXPECT_EQ(drain(k, "a", t0), 5);        // full at t0 + 60 s
  EXPECT_EQ(drain(k, "b", t0, 2), 2);     // full at t0 + 24 s
  EXPECT_EQ(drain(k, "c", t0), 5);        // full at t0 + 60 s
  EXPECT_TRUE(k.try_take("d", t0 + 1s));  // evicts b
  EXPECT_EQ(k.counters().evicted_active, 1u);
  EXPECT_EQ(drain(k, "a", t0 + 1s), 0);  // a and c still limited
  EXPECT_EQ(drain(k, "c", t0 + 1s), 0);
}

TEST(KeyedRate, SweepFreesFullEntries) {
  keyed_rate k{5, 1min, 0, 100};
  for (int i = 0; i < 50; ++i)
    EXPECT_TRUE(k.try_take("k" + std::to_string(i), t0 + 1s * i));
  EXPECT_EQ(k.sweep(t0 + 12s - 1ns), 0u);  // each is full 12 s after its take
  EXPECT_EQ(k.sweep(t0 + 48s), 37u);
  EXPECT_EQ(k.size(), 13u);
  EXPECT_EQ(k.sweep(t0 + 1h), 13u);
  EXPECT_EQ(k.size(), 0u);
  EXPECT_EQ(drain(k, "k1", t0 + 1h), 5);
}

}  // namespace
