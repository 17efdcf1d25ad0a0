#include "broker/util/ring.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <deque>
#include <memory>
#include <random>
#include <string>

namespace {

using iotb::util::ring;

TEST(Ring, EmptyOwnsNoMemory) {
  ring<std::string> r;
  EXPECT_TRUE(r.empty());
  EXPECT_EQ(r.capacity(), 0U);
  EXPECT_EQ(r.begin(), r.end());
}

TEST(Ring, FifoOrderAcrossWrapAndGrowth) {
  ring<int> r;
  int next_in = 0;
  int next_out = 0;
  // Interleave pushes and pops so the head wraps before each growth.
  for (int round = 0; round < 50; ++round) {
    for (int k = 0; k < 3 + round % 7; ++k)
      r.push_back(next_in++);
    for (int k = 0; k < 2 && !r.empty(); ++k) {
      EXPECT_EQ(r.front(), next_out++);
      r.pop_front();
    }
  }
  EXPECT_EQ(static_cast<int>(r.size()), next_in - next_out);
  for (std::size_t i = 0; i < r.size(); ++i)
    EXPECT_EQ(r[i], next_out + static_cast<int>(i));
  EXPECT_EQ(r.back(), next_in - 1);
}

TEST(Ring, FreesStorageWhenEmptied) {
  ring<int> r;
  r.push_back(1);
  EXPECT_EQ(r.capacity(), 4U);
  r.pop_front();
  EXPECT_EQ(r.capacity(), 0U);
  for (int i = 0; i < 100; ++i)
    r.push_back(i);
  EXPECT_GE(r.capacity(), 100U);
  while (!r.empty())
    r.pop_front();
  EXPECT_EQ(r.capacity(), 0U);  // a burst's storage does not stay with an idle session
}

TEST(Ring, EraseFrontMiddleAndBack) {
  ring<std::string> r;
  for (int i = 0; i < 6; ++i)
    r.push_back("m" + std::to_string(i));
  auto it = r.erase(r.begin() + 2);
  EXPECT_EQ(*it, "m3");
  it = r.erase(r.begin());
  EXPECT_EQ(*it, "m1");
  it = r.erase(r.end() - 1);
  EXPECT_EQ(it, r.end());
  std::string joined;
  for (const auto& s : r)
    joined += s;
  EXPECT_EQ(joined, "m1m3m4");
}

TEST(Ring, WorksWithAlgorithms) {
  ring<int> r;
  for (int i = 0; i < 10; ++i)
    r.push_back(i * 3);
  auto it = std::find_if(r.begin(), r.end(), [](int v) { return v == 12; });
  ASSERT_NE(it, r.end());
  EXPECT_EQ(it - r.begin(), 4);
  EXPECT_TRUE(std::any_of(r.begin(), r.end(), [](int v) { return v == 27; }));
  EXPECT_FALSE(std::any_of(r.begin(), r.end(), [](int v) { return v == 28; }));
}

TEST(Ring, DestroysEveryElementOnce) {
  auto token = std::make_shared<int>(0);
  {
    ring<std::shared_ptr<int>> r;
    for (int i = 0; i < 37; ++i)
      r.push_back(token);
    for (int i = 0; i < 10; ++i)
      r.pop_front();
    r.erase(r.begin() + 5);
    EXPECT_EQ(token.use_count(), 1 + 26);
    ring<std::shared_ptr<int>> moved(std::move(r));
    EXPECT_EQ(token.use_count(), 1 + 26);
    EXPECT_TRUE(r.empty());  // NOLINT(bugprone-use-after-move): moved-from is empty
  }
  EXPECT_EQ(token.use_count(), 1);
  ring<std::shared_ptr<int>> c;
  c.push_back(token);
  c.clear();
  EXPECT_EQ(token.use_count(), 1);
  EXPECT_EQ(c.capacity(), 0U);
}

TEST(Ring, MatchesDequeUnderRandomOperations) {
  std::mt19937 rng(14);
  ring<int> r;
  std::deque<int> d;
  for (int step = 0; step < 20000; ++step) {
    auto op = rng() % 10;
    if (op < 5) {
      int v = static_cast<int>(rng());
      r.push_back(v);
      d.push_back(v);
    } else if (op < 8 && !d.empty()) {
      r.pop_front();
      d.pop_front();
    } else if (!d.empty()) {
      auto i = rng() % d.size();
      r.erase(r.begin() + static_cast<std::ptrdiff_t>(i));
      d.erase(d.begin() + static_cast<std::ptrdiff_t>(i));
    }
    ASSERT_EQ(r.size(), d.size());
    if (!d.empty()) {
      ASSERT_EQ(r.front(), d.front());
      ASSERT_EQ(r.back(), d.back());
    }
  }
  EXPECT_TRUE(std::equal(r.begin(), r.end(), d.begin(), d.end()));
}

}  // namespace
