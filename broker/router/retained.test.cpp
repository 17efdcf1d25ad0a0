#include "broker/router/retained.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "broker/router/topic_match.hpp"

namespace {

using iotb::router::topic_matches;
using store = iotb::router::retained_store<std::shared_ptr<const std::string>>;

std::shared_ptr<const std::string> msg(std::string s) {
  return std::make_shared<const std::string>(std::move(s));
}

std::vector<std::string> found(const store& s, std::string_view filter) {
  std::vector<std::string> out;
  s.match(filter, [&](const std::shared_ptr<const std::string>& m) { out.push_back(*m); });
  std::sort(out.begin(), out.end());
  return out;
}

using strings = std::vector<std::string>;

TEST(RetainedStore, SetReplaceErase) {
  store s;
  s.set("a/b", msg("1"));
  EXPECT_EQ(s.size(), 1u);
  EXPECT_EQ(s.node_count(), 2u);
  s.set("a/b", msg("2"));
  EXPECT_EQ(s.size(), 1u);
  EXPECT_EQ(found(s, "a/b"), strings{"2"});
  s.set("a", msg("3"));
  s.set("a/b/c", msg("4"));
  EXPECT_EQ(s.size(), 3u);
  EXPECT_EQ(s.node_count(), 3u);
  EXPECT_FALSE(s.erase("a/x"));
  EXPECT_FALSE(s.erase("a/b/c/d"));
  EXPECT_TRUE(s.erase("a/b"));
  EXPECT_FALSE(s.erase("a/b"));
  EXPECT_EQ(s.node_count(), 3u);  // a/b still leads to a/b/c
  EXPECT_TRUE(s.erase("a/b/c"));
  EXPECT_EQ(s.node_count(), 1u);
  EXPECT_TRUE(s.erase("a"));
  EXPECT_EQ(s.size(), 0u);
  EXPECT_EQ(s.node_count(), 0u);
  EXPECT_TRUE(found(s, "#").empty());
}

TEST(RetainedStore, WildcardsAndDollarRule) {
  store s;
  for (const char* t : {"sport", "sport/tennis/player1", "sport/tennis/player1/ranking",
                        "sport/tennis/player1/score/wimbledon", "sport/tennis/player2", "/finance",
                        "finance", "$SYS/monitor/Clients", "$SYS", "a//b", "a/", "a/$x"})
    s.set(t, msg(t));
  EXPECT_EQ(found(s, "sport/tennis/player1/#"),
            (strings{"sport/tennis/player1", "sport/tennis/player1/ranking",
                     "sport/tennis/player1/score/wimbledon"}));
  EXPECT_EQ(found(s, "sport/tennis/+"), (strings{"sport/tennis/player1", "sport/tennis/player2"}));
  EXPECT_EQ(found(s, "sport/+"), strings{});
  EXPECT_EQ(found(s, "sport/#").size(), 5u);
  EXPECT_EQ(found(s, "+/+"), (strings{"/finance", "a/", "a/$x"}));
  EXPECT_EQ(found(s, "/+"), strings{"/finance"});
  EXPECT_EQ(found(s, "+"), (strings{"finance", "sport"}));
  EXPECT_EQ(found(s, "#").size(), 10u);  // all but the two $SYS topics
  EXPECT_EQ(found(s, "+/monitor/Clients"), strings{});
  EXPECT_EQ(found(s, "$SYS/#"), (strings{"$SYS", "$SYS/monitor/Clients"}));
  EXPECT_EQ(found(s, "$SYS/monitor/+"), strings{"$SYS/monitor/Clients"});
  EXPECT_EQ(found(s, "a/+/b"), strings{"a//b"});
  EXPECT_EQ(found(s, "a/+"), (strings{"a/", "a/$x"}));
  EXPECT_EQ(found(s, "a/#"), (strings{"a/", "a/$x", "a//b"}));
  EXPECT_EQ(found(s, "a//b"), strings{"a//b"});
}

TEST(RetainedStore, CallbackMayModifyTheStore) {
  store s;
  s.set("x/1", msg("1"));
  s.set("x/2", msg("2"));
  int calls = 0;
  s.match("x/+", [&](const std::shared_ptr<const std::string>& m) {
    ++calls;
    EXPECT_TRUE(s.erase("x/" + *m));  // e.g. an expired message
  });
  EXPECT_EQ(calls, 2);
  EXPECT_EQ(s.size(), 0u);
  EXPECT_EQ(s.node_count(), 0u);
}

TEST(RetainedStore, DeepTopic) {
  store s;
  std::string deep(59'999, '/');
  for (std::size_t i = 0; i < deep.size(); i += 2)
    deep[i] = 'x';
  s.set(deep, msg("deep"));
  EXPECT_EQ(found(s, deep), strings{"deep"});
  EXPECT_EQ(found(s, "#"), strings{"deep"});
  store other;
  other.set(deep, msg("kept for the destructor"));
  EXPECT_TRUE(s.erase(deep));
  EXPECT_EQ(s.node_count(), 0u);
}

TEST(RetainedStore, RandomizedCrossCheckAgainstBruteForce) {
  std::mt19937 rng{777};
  auto level = [&] {
    static const char* levels[] = {"a", "b", "c", ""};
    return std::string{levels[rng() % 4]};
  };
  auto topic = [&] {
    std::string t = rng() % 8 == 0 ? "$s" : level();
    for (auto n = rng() % 5; n > 0; --n)
      t += "/" + level();
    return t;
  };
  auto filter = [&] {
    std::string f = rng() % 10 == 0 ? "$s" : rng() % 3 == 0 ? "+" : level();
    for (auto n = rng() % 4; n > 0; --n)
      f += "/" + (rng() % 3 == 0 ? std::string{"+"} : level());
    if (rng() % 4 == 0)
      f += "/#";
    return rng() % 20 == 0 ? std::string{"#"} : f;
  };
  store s;
  std::map<std::string, std::string> model;
  for (int i = 0; i < 3000; ++i) {
    auto t = topic();
    if (rng() % 4 == 0) {
      EXPECT_EQ(s.erase(t), model.erase(t) == 1);
    } else {
      s.set(t, msg(t));
      model[t] = t;
    }
  }
  ASSERT_EQ(s.size(), model.size());
  for (int i = 0; i < 3000; ++i) {
    auto f = filter();
    strings expected;
    for (const auto& [t, m] : model)
      if (topic_matches(f, t))
        expected.push_back(m);
    ASSERT_EQ(found(s, f), expected) << "filter '" << f << "'";
  }
  for (const auto& [t, m] : model)
    ASSERT_TRUE(s.erase(t));
  EXPECT_EQ(s.node_count(), 0u);
}

TEST(RetainedStore, ConcurrentSetEraseMatch) {
  store s;
  s.set("keep/me", msg("keep"));
  std::atomic<bool> stop{false};
  std::atomic<int> failures{0};
  std::vector<std::thread> readers;
  for (int i = 0; i < 3; ++i) {
    readers.emplace_back([&] {
      while (!stop.load()) {
        int kept = 0;
        s.match("+/#", [&](const std::shared_ptr<const std::string>& m) {
          if (*m == "keep")
            ++kept;
        });
        if (kept != 1)
          failures.fetch_add(1);
        std::this_thread::yield();  // std::shared_mutex prefers readers
      }
    });
  }
  for (int i = 0; i < 2000; ++i) {
    auto t = "t/" + std::to_string(i % 50) + "/v";
    if (i % 3 == 0)
      s.erase(t);
    else
      s.set(t, msg(t));
  }
  stop = true;
  for (auto& t : readers)
    t.join();
  EXPECT_EQ(failures.load(), 0);
}

}  // namespace
