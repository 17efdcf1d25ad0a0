#include "broker/router/topic_trie.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "broker/router/topic_match.hpp"

namespace {

using iotb::router::topic_matches;
using iotb::router::topic_trie;

struct test_sub {
  std::uint64_t id = 0;
  int tag = 0;
  bool online = true;
  [[nodiscard]] std::uint64_t key() const noexcept { return id; }
  [[nodiscard]] bool eligible() const noexcept { return online; }
};

using trie = topic_trie<test_sub>;

std::vector<std::uint64_t> keys(const trie& t, std::string_view topic) {
  std::vector<std::uint64_t> out;
  t.match(topic, [&](const test_sub& s) { out.push_back(s.id); });
  std::sort(out.begin(), out.end());
  return out;
}

bool matches(std::string_view filter, std::string_view topic) {
  trie t;
  t.insert(filter, test_sub{1});
  return keys(t, topic) == std::vector<std::uint64_t>{1};
}

TEST(TopicTrie, SpecMultiLevelWildcard) {
  EXPECT_TRUE(matches("sport/tennis/player1/#", "sport/tennis/player1"));
  EXPECT_TRUE(matches("sport/tennis/player1/#", "sport/tennis/player1/ranking"));
  EXPECT_TRUE(matches("sport/tennis/player1/#", "sport/tennis/player1/score/wimbledon"));
  EXPECT_FALSE(matches("sport/tennis/player1/#", "sport/tennis/player2"));
  EXPECT_FALSE(matches("sport/tennis/player1/#", "sport/tennis"));
  EXPECT_TRUE(matches("sport/#", "sport"));
  EXPECT_TRUE(matches("sport/#", "sport/"));
  EXPECT_FALSE(matches("sport/#", "sports"));
  EXPECT_TRUE(matches("#", "sport/tennis/player1"));
  EXPECT_TRUE(matches("#", "/finance"));
  EXPECT_TRUE(matches("sport/tennis/#", "sport/tennis/player1/ranking"));
  EXPECT_TRUE(matches("+/tennis/#", "sport/tennis/player1"));
  EXPECT_TRUE(matches("+/#", "sport"));
}

TEST(TopicTrie, SpecSingleLevelWildcard) {
  EXPECT_TRUE(matches("sport/tennis/+", "sport/tennis/player1"));
  EXPECT_TRUE(matches("sport/tennis/+", "sport/tennis/player2"));
  EXPECT_FALSE(matches("sport/tennis/+", "sport/tennis/player1/ranking"));
  EXPECT_FALSE(matches("sport/+", "sport"));
  EXPECT_TRUE(matches("sport/+", "sport/"));
  EXPECT_TRUE(matches("+/+", "/finance"));
  EXPECT_TRUE(matches("/+", "/finance"));
  EXPECT_FALSE(matches("+", "/finance"));
  EXPECT_TRUE(matches("+", "finance"));
  EXPECT_TRUE(matches("+/+/+", "a/b/c"));
  EXPECT_FALSE(matches("+/+/+", "a/b"));
  EXPECT_TRUE(matches("sport/+/player1", "sport/tennis/player1"));
}

TEST(TopicTrie, DollarTopicsHiddenFromRootWildcards) {
  EXPECT_FALSE(matches("#", "$SYS/x"));
  EXPECT_FALSE(matches("#", "$SYS"));
  EXPECT_FALSE(matches("+", "$SYS"));
  EXPECT_FALSE(matches("+/monitor/Clients", "$SYS/monitor/Clients"));
  EXPECT_FALSE(matches("+/#", "$SYS/monitor/Clients"));
  EXPECT_TRUE(matches("$SYS/#", "$SYS/monitor/Clients"));
  EXPECT_TRUE(matches("$SYS/#", "$SYS/x"));
  EXPECT_TRUE(matches("$SYS/#", "$SYS"));
  EXPECT_TRUE(matches("$SYS/monitor/+", "$SYS/monitor/Clients"));
  EXPECT_TRUE(matches("$SYS/+/Clients", "$SYS/monitor/Clients"));
  // The rule concerns the first level only.
  EXPECT_TRUE(matches("a/+", "a/$b"));
  EXPECT_TRUE(matches("a/#", "a/$b"));
  EXPECT_FALSE(matches("$share/g/#", "$SYS/x"));
  EXPECT_TRUE(matches("$share/g/$SYS/#", "$SYS/x"));
}

TEST(TopicTrie, EmptyLevels) {
  EXPECT_TRUE(matches("a//b", "a//b"));
  EXPECT_FALSE(matches("a//b", "a/b"));
  EXPECT_TRUE(matches("a/+/b", "a//b"));
  EXPECT_TRUE(matches("+/+", "/"));
  EXPECT_FALSE(matches("+", "/"));
  EXPECT_TRUE(matches("a/+", "a/"));
  EXPECT_FALSE(matches("a/+", "a"));
  EXPECT_TRUE(matches("a/#", "a/"));
  EXPECT_TRUE(matches("/", "/"));
  EXPECT_TRUE(matches("//", "//"));
  EXPECT_FALSE(matches("//", "/"));
  EXPECT_TRUE(matches("/#", "/"));
  EXPECT_TRUE(matches("/#", "//a"));
}

TEST(TopicTrie, ReplaceSemantics) {
  trie t;
  EXPECT_TRUE(t.insert("a/b", test_sub{1, 10}));
  EXPECT_FALSE(t.insert("a/b", test_sub{1, 11}));
  EXPECT_EQ(t.size(), 1u);
  std::vector<int> tags;
  t.match("a/b", [&](const test_sub& s) { tags.push_back(s.tag); });
  EXPECT_EQ(tags, std::vector<int>{11});
  // Same key, other filter / group: separate subscriptions.
  EXPECT_TRUE(t.insert("a/+", test_sub{1}));
  EXPECT_TRUE(t.insert("$share/g/a/b", test_sub{1}));
  EXPECT_TRUE(t.insert("$share/h/a/b", test_sub{1}));
  EXPECT_FALSE(t.insert("$share/h/a/b", test_sub{1, 5}));
  EXPECT_EQ(t.size(), 4u);
  EXPECT_EQ(keys(t, "a/b"), (std::vector<std::uint64_t>{1, 1, 1, 1}));
}

TEST(TopicTrie, EraseAndPrune) {
  trie t;
  EXPECT_EQ(t.node_count(), 0u);
  t.insert("a/b/c", test_sub{1});
  EXPECT_EQ(t.node_count(), 3u);
  t.insert("a/+/#", test_sub{2});
  EXPECT_EQ(t.node_count(), 5u);
  t.insert("a", test_sub{3});
  t.insert("$share/g/a/b/c", test_sub{4});
  EXPECT_EQ(t.node_count(), 5u);
  EXPECT_EQ(t.size(), 4u);
  EXPECT_FALSE(t.erase("a/b/c", 2));
  EXPECT_FALSE(t.erase("a/b/d", 1));
  EXPECT_FALSE(t.erase("a/b", 1));
  EXPECT_FALSE(t.erase("$share/h/a/b/c", 4));
  EXPECT_TRUE(t.erase("a/b/c", 1));
  EXPECT_FALSE(t.erase("a/b/c", 1));
  EXPECT_EQ(t.node_count(), 5u);  // the shared group keeps a/b/c alive
  EXPECT_TRUE(t.erase("$share/g/a/b/c", 4));
  EXPECT_EQ(t.node_count(), 3u);  // a, +, #
  EXPECT_EQ(keys(t, "a/x/y"), (std::vector<std::uint64_t>{2}));
  EXPECT_TRUE(t.erase("a/+/#", 2));
  EXPECT_EQ(t.node_count(), 1u);
  EXPECT_EQ(keys(t, "a"), (std::vector<std::uint64_t>{3}));
  EXPECT_TRUE(t.erase("a", 3));
  EXPECT_EQ(t.node_count(), 0u);
  EXPECT_EQ(t.size(), 0u);
  EXPECT_TRUE(t.empty());
  EXPECT_TRUE(keys(t, "a").empty());
}

std::map<std::uint64_t, int> deliveries(const trie& t, std::string_view topic, int n) {
  std::map<std::uint64_t, int> counts;
  for (int i = 0; i < n; ++i)
    t.match(topic, [&](const test_sub& s) { ++counts[s.id]; });
  return counts;
}

TEST(TopicTrie, SharedRoundRobin) {
  trie t;
  for (std::uint64_t k = 1; k <= 3; ++k)
    EXPECT_TRUE(t.insert("$share/g/dev/+/state", test_sub{k}));
  EXPECT_EQ(t.size(), 3u);
  auto counts = deliveries(t, "dev/7/state", 300);
  EXPECT_EQ(counts, (std::map<std::uint64_t, int>{{1, 100}, {2, 100}, {3, 100}}));
}

TEST(TopicTrie, SharedSkipsIneligibleMembers) {
  trie t;
  t.insert("$share/g/x", test_sub{1});
  t.insert("$share/g/x", test_sub{2, 0, false});
  t.insert("$share/g/x", test_sub{3});
  EXPECT_EQ(deliveries(t, "x", 300), (std::map<std::uint64_t, int>{{1, 150}, {3, 150}}));
  // Only one eligible member: it gets everything.
  t.insert("$share/g/x", test_sub{1, 0, false});
  EXPECT_EQ(deliveries(t, "x", 30), (std::map<std::uint64_t, int>{{3, 30}}));
  // None eligible: round-robin over all.
  t.insert("$share/g/x", test_sub{3, 0, false});
  EXPECT_EQ(deliveries(t, "x", 30), (std::map<std::uint64_t, int>{{1, 10}, {2, 10}, {3, 10}}));
}

TEST(TopicTrie, SharedAndPlainBothDeliver) {
  trie t;
  t.insert("a/+", test_sub{1});
  t.insert("$share/g/a/+", test_sub{2});
  t.insert("$share/g/a/+", test_sub{3});
  auto counts = deliveries(t, "a/b", 10);
  EXPECT_EQ(counts[1], 10);
  EXPECT_EQ(counts[2] + counts[3], 10);
  EXPECT_EQ(counts[2], 5);
}

TEST(TopicTrie, TwoGroupsOnOneFilterEachDeliverOnce) {
  trie t;
  t.insert("$share/g1/a/b", test_sub{1});
  t.insert("$share/g1/a/b", test_sub{2});
  t.insert("$share/g2/a/b", test_sub{3});
  t.insert("$share/g2/a/b", test_sub{4});
  for (int i = 0; i < 10; ++i) {
    auto k = keys(t, "a/b");
    ASSERT_EQ(k.size(), 2u);
    EXPECT_TRUE(k[0] == 1 || k[0] == 2);
    EXPECT_TRUE(k[1] == 3 || k[1] == 4);
  }
}

TEST(TopicTrie, SameGroupNameOnOtherFiltersIsAnotherGroup) {
  trie t;
  t.insert("$share/g/a/+", test_sub{1});
  t.insert("$share/g/a/#", test_sub{2});
  t.insert("$share/g/a/#", test_sub{3});
  auto counts = deliveries(t, "a/b", 10);
  EXPECT_EQ(counts[1], 10);
  EXPECT_EQ(counts[2], 5);
  EXPECT_EQ(counts[3], 5);
  EXPECT_TRUE(t.erase("$share/g/a/+", 1));
  EXPECT_EQ(deliveries(t, "a/b", 10).count(1), 0u);
}

TEST(TopicTrie, ManySubscribersOnOneNode) {
  trie t;
  constexpr std::uint64_t n = 100'000;
  for (std::uint64_t k = 0; k < n; ++k)
    ASSERT_TRUE(t.insert("fleet/+/cmd", test_sub{k}));
  EXPECT_EQ(t.size(), n);
  EXPECT_FALSE(t.insert("fleet/+/cmd", test_sub{n / 2, 7}));  // replace
  // Erase a band in the middle and every third of the rest.
  std::vector<bool> present(n, true);
  for (std::uint64_t k = n / 3; k < n / 3 + 1000; ++k) {
    ASSERT_TRUE(t.erase("fleet/+/cmd", k));
    present[k] = false;
  }
  for (std::uint64_t k = 0; k < n; k += 3) {
    if (present[k]) {
      ASSERT_TRUE(t.erase("fleet/+/cmd", k));
      present[k] = false;
    }
  }
  std::vector<std::uint64_t> expected;
  for (std::uint64_t k = 0; k < n; ++k)
    if (present[k])
      expected.push_back(k);
  EXPECT_EQ(t.size(), expected.size());
  EXPECT_EQ(keys(t, "fleet/x/cmd"), expected);
  int tag = -1;
  t.match("fleet/x/cmd", [&](const test_sub& s) {
    if (s.id == n / 2)
      tag = s.tag;
  });
  EXPECT_EQ(tag, 7);
  for (auto k : expected)
    ASSERT_TRUE(t.erase("fleet/+/cmd", k));
  EXPECT_EQ(t.size(), 0u);
  EXPECT_EQ(t.node_count(), 0u);
}

TEST(TopicTrie, DeepFiltersAndManyPendingBranches) {
  trie t;
  // "+", "a/+", "a/a/+", ...: every node on the "a" path has a '+' child,
  // so matching a^40 keeps > 32 branches pending (inline stack overflow).
  std::string prefix;
  for (std::uint64_t i = 0; i < 40; ++i) {
    t.insert(prefix + "+", test_sub{i});
    prefix += "a/";
  }
  std::string topic = prefix.substr(0, prefix.size() - 1);  // a^40
  EXPECT_EQ(keys(t, topic), (std::vector<std::uint64_t>{39}));
  // A filter of 30000 levels: no recursion in insert, match, erase or the
  // destructor.
  std::string deep(59'999, '/');
  for (std::size_t i = 0; i < deep.size(); i += 2)
    deep[i] = 'x';
  t.insert(deep, test_sub{100});
  EXPECT_EQ(keys(t, deep), (std::vector<std::uint64_t>{100}));
  trie other;
  other.insert(deep, test_sub{1});
  other.insert(deep + "/#", test_sub{2});
  EXPECT_EQ(keys(other, deep), (std::vector<std::uint64_t>{1, 2}));
  EXPECT_TRUE(t.erase(deep, 100));
  EXPECT_EQ(t.size(), 40u);
}

TEST(TopicTrie, MoveAndClear) {
  trie t;
  t.insert("a/b", test_sub{1});
  t.insert("$share/g/a/b", test_sub{2});
  trie u = std::move(t);
  EXPECT_EQ(u.size(), 2u);
  EXPECT_EQ(keys(u, "a/b"), (std::vector<std::uint64_t>{1, 2}));
  t = std::move(u);
  EXPECT_EQ(t.size(), 2u);
  t.clear();
  EXPECT_EQ(t.size(), 0u);
  EXPECT_EQ(t.node_count(), 0u);
  EXPECT_TRUE(keys(t, "a/b").empty());
}

TEST(TopicTrie, ManyGroupsOnOneFilter) {
  trie t;
  for (std::uint64_t g = 0; g < 5000; ++g)
    t.insert("$share/g" + std::to_string(g) + "/a", test_sub{g});
  EXPECT_EQ(keys(t, "a").size(), 5000u);
  EXPECT_TRUE(t.erase("$share/g777/a", 777));
  EXPECT_FALSE(t.erase("$share/g777/a", 777));
  EXPECT_EQ(keys(t, "a").size(), 4999u);
  EXPECT_EQ(t.node_count(), 1u);
}  // the group list is destroyed iteratively

TEST(SubList, IndexIsBuiltAndDropped) {
  iotb::router::sub_list<test_sub> l;
  for (std::uint64_t k = 0; k < 100; ++k)
    EXPECT_TRUE(l.upsert(test_sub{k, static_cast<int>(k)}));
  EXPECT_FALSE(l.upsert(test_sub{50, -50}));
  EXPECT_EQ(l.get(50)->tag, -50);
  for (std::uint64_t k = 0; k < 95; ++k)  // crosses both thresholds
    EXPECT_TRUE(l.erase(k));
  EXPECT_FALSE(l.erase(3));
  EXPECT_EQ(l.size(), 5u);
  for (std::uint64_t k = 95; k < 100; ++k)
    EXPECT_EQ(l.get(k)->tag, static_cast<int>(k));
  EXPECT_EQ(l.get(50), nullptr);
  for (std::uint64_t k = 0; k < 60; ++k)
    EXPECT_TRUE(l.upsert(test_sub{1000 + k}));
  EXPECT_EQ(l.size(), 65u);
  for (std::uint64_t k = 0; k < 60; ++k)
    EXPECT_NE(l.get(1000 + k), nullptr);
  for (std::uint64_t k = 95; k < 100; ++k)
    EXPECT_EQ(l.get(k)->tag, static_cast<int>(k));
}

std::string random_filter(std::mt19937& rng) {
  static const char* levels[] = {"a", "b", "c", "", "+"};
  std::string f;
  if (rng() % 10 == 0)
    f = "$s";
  else
    f = levels[rng() % 5];
  int more = static_cast<int>(rng() % 4);
  for (int i = 0; i < more; ++i) {
    f += '/';
    f += levels[rng() % 5];
  }
  if (rng() % 4 == 0)
    f += rng() % 8 == 0 ? "" : "/#";
  if (rng() % 20 == 0)
    f = "#";
  return f;
}

std::string random_topic(std::mt19937& rng) {
  static const char* levels[] = {"a", "b", "c", ""};
  std::string t = rng() % 8 == 0 ? "$s" : levels[rng() % 4];
  int more = static_cast<int>(rng() % 5);
  for (int i = 0; i < more; ++i) {
    t += '/';
    t += levels[rng() % 4];
  }
  return t;
}

TEST(TopicTrie, RandomizedCrossCheckAgainstBruteForce) {
  std::mt19937 rng{12345};
  trie t;
  struct entry {
    std::string filter;  ///< without the $share prefix
    bool shared;
  };
  std::map<std::uint64_t, entry> live;
  for (std::uint64_t k = 0; k < 1500; ++k) {
    entry e{random_filter(rng), rng() % 5 == 0};
    // Shared entries get a group of their own: exactly one delivery each.
    auto full = e.shared ? "$share/g" + std::to_string(k) + "/" + e.filter : e.filter;
    ASSERT_TRUE(t.insert(full, test_sub{k}));
    live.emplace(k, e);
  }
  // Erase a random third.
  for (std::uint64_t k = 0; k < 1500; ++k) {
    if (rng() % 3 != 0)
      continue;
    const auto& e = live.at(k);
    auto full = e.shared ? "$share/g" + std::to_string(k) + "/" + e.filter : e.filter;
    ASSERT_TRUE(t.erase(full, k));
    live.erase(k);
  }
  ASSERT_EQ(t.size(), live.size());
  std::size_t total = 0;
  for (int i = 0; i < 4000; ++i) {
    auto topic = random_topic(rng);
    std::vector<std::uint64_t> expected;
    for (const auto& [k, e] : live)
      if (topic_matches(e.filter, topic))
        expected.push_back(k);
    ASSERT_EQ(keys(t, topic), expected) << "topic '" << topic << "'";
    total += expected.size();
  }
  EXPECT_GT(total, 10'000u);  // the workload does exercise matching
  for (const auto& [k, e] : live) {
    auto full = e.shared ? "$share/g" + std::to_string(k) + "/" + e.filter : e.filter;
    ASSERT_TRUE(t.erase(full, k));
  }
  EXPECT_EQ(t.size(), 0u);
  EXPECT_EQ(t.node_count(), 0u);
}

}  // namespace
