#include "broker/router/router.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "broker/router/brlock.hpp"

namespace {

using iotb::router::brlock;

/// A subscriber whose liveness another thread may flip while matching.
struct live_sub {
  std::uint64_t id = 0;
  std::shared_ptr<std::atomic<bool>> online = std::make_shared<std::atomic<bool>>(true);
  [[nodiscard]] std::uint64_t key() const noexcept { return id; }
  [[nodiscard]] bool eligible() const noexcept { return online->load(std::memory_order_relaxed); }
};

using router = iotb::router::router<live_sub>;

std::vector<std::uint64_t> keys(const router& r, std::string_view topic) {
  std::vector<std::uint64_t> out;
  r.match(topic, [&](const live_sub& s) { out.push_back(s.id); });
  std::sort(out.begin(), out.end());
  return out;
}

TEST(Router, InsertMatchErase) {
  router r;
  EXPECT_TRUE(r.insert("a/+", live_sub{1}));
  EXPECT_FALSE(r.insert("a/+", live_sub{1}));  // a replacement
  EXPECT_TRUE(r.insert("$share/g/a/#", live_sub{2}));
  EXPECT_EQ(r.size(), 2u);
  EXPECT_EQ(keys(r, "a/b"), (std::vector<std::uint64_t>{1, 2}));
  EXPECT_FALSE(r.erase("a/+", 2));
  EXPECT_TRUE(r.erase("a/+", 1));
  EXPECT_TRUE(r.erase("$share/g/a/#", 2));
  EXPECT_EQ(r.size(), 0u);
  EXPECT_EQ(r.node_count(), 0u);
  r.insert("x", live_sub{3});
  r.clear();
  EXPECT_TRUE(keys(r, "x").empty());
}

TEST(Brlock, ShardsAreRoundedToPowersOfTwo) {
  EXPECT_EQ(brlock{1}.shards(), 1u);
  EXPECT_EQ(brlock{5}.shards(), 8u);
  EXPECT_EQ(brlock{16}.shards(), 16u);
  auto d = brlock::default_shards();
  EXPECT_GE(d, 16u);
  EXPECT_LE(d, 256u);
  EXPECT_EQ(d & (d - 1), 0u);
}

TEST(Brlock, ThreadsGetDistinctSlots) {
  auto mine = brlock::this_thread_slot();
  EXPECT_EQ(brlock::this_thread_slot(), mine);
  std::size_t other = mine;
  std::thread t{[&] { other = brlock::this_thread_slot(); }};
  t.join();
  EXPECT_NE(other, mine);
}

TEST(Brlock, WriterExcludesReadersOnEveryShard) {
  brlock lock{4};
  std::atomic<int> inside{0};
  std::atomic<bool> writer_done{false};
  std::vector<std::thread> readers;
  {
    brlock::write_guard w{lock};
    for (int i = 0; i < 6; ++i) {  // more readers than shards
      readers.emplace_back([&] {
        brlock::read_guard r{lock};
        EXPECT_TRUE(writer_done.load());
        inside.fetch_add(1);
      });
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    EXPECT_EQ(inside.load(), 0);
    writer_done = true;
  }
  for (auto& t : readers)
    t.join();
  EXPECT_EQ(inside.load(), 6);
}

TEST(Brlock, ReadersShareTheLock) {
  brlock lock{2};
  brlock::read_guard a{lock};
  std::atomic<bool> entered{false};
  std::thread t{[&] {
    brlock::read_guard b{lock};
    entered = true;
  }};
  t.join();  // would hang if readers excluded each other
  EXPECT_TRUE(entered.load());
}

// Readers match continuously while a writer churns subscriptions and flips
// member liveness. Stable subscriptions must always be seen exactly once.
TEST(Router, ConcurrentMatchWhileWriting) {
  router r{4};
  constexpr int readers = 4;
  constexpr int writer_rounds = 2000;
  // Stable: key 1 on "dev/+/state", a shared group of keys 10..12.
  r.insert("dev/+/state", live_sub{1});
  std::vector<live_sub> members{live_sub{10}, live_sub{11}, live_sub{12}};
  for (const auto& m : members)
    r.insert("$share/grp/dev/#", m);
  std::atomic<bool> stop{false};
  std::atomic<std::uint64_t> matches{0};
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < readers; ++i) {
    threads.emplace_back([&, i] {
      std::mt19937 rng(static_cast<unsigned>(i));
      while (!stop.load(std::memory_order_relaxed)) {
        auto topic = "dev/" + std::to_string(rng() % 64) + "/state";
        int stable = 0;
        int shared = 0;
        int volatile_ok = 0;
        int bad = 0;
        r.match(topic, [&](const live_sub& s) {
          if (s.id == 1)
            ++stable;
          else if (s.id >= 10 && s.id <= 12)
            ++shared;
          else if (s.id >= 1000 && s.id < 1000 + writer_rounds)
            ++volatile_ok;
          else
            ++bad;
        });
        if (stable != 1 || shared != 1 || bad != 0)
          failures.fetch_add(1);
        matches.fetch_add(1, std::memory_order_relaxed);
      }
    });
  }
  std::mt19937 rng(99);
  std::vector<std::string> filters;
  for (int round = 0; round < writer_rounds; ++round) {
    auto key = static_cast<std::uint64_t>(1000 + round);
    filters.push_back("dev/" + std::to_string(rng() % 64) + (rng() % 2 ? "/state" : "/#"));
    ASSERT_TRUE(r.insert(filters.back(), live_sub{key}));
    members[rng() % 3].online->store(rng() % 2 == 0);
    if (round >= 10) {
      auto old = static_cast<std::size_t>(round - 10);
      EXPECT_TRUE(r.erase(filters[old], 1000 + old));
    }
    if (round % 256 == 0)
      std::this_thread::yield();
  }
  stop = true;
  for (auto& t : threads)
    t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_GT(matches.load(), 0u);
  EXPECT_EQ(r.size(), 1u + 3u + 10u);
}

}  // namespace
