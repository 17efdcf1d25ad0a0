/// @file
/// Micro-benchmarks of the subscription index (`topic_trie`, `router`).
/// Registrations only: BENCHMARK_MAIN is provided by another file.
///
/// Workload: n subscriptions of a device fleet, 1000 devices per product.
/// Per 1000 subscriptions: 10 are application filters `/pk{p}/+/user/get`,
/// 10 are per-device `/pk{p}/dev{d}/#`, 1 is a shared
/// `$share/app/pk{p}/+/thing/event/post` member, the rest are the devices'
/// own `/pk{p}/dev{d}/user/get`. Matches publish to random device topics.

#include <benchmark/benchmark.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <vector>

#include "broker/router/router.hpp"
#include "broker/router/topic_trie.hpp"

namespace {

struct bench_sub {
  std::uint64_t id = 0;
  std::uint32_t sub_id = 0;
  std::uint8_t qos = 0;
  [[nodiscard]] std::uint64_t key() const noexcept { return id; }
  [[nodiscard]] bool eligible() const noexcept { return true; }
};

using trie_t = iotb::router::topic_trie<bench_sub>;
using router_t = iotb::router::router<bench_sub>;

constexpr std::size_t devices_per_product = 1000;
/// Distinct topics published to, cycled through: enough that at 1M the
/// touched part of the index does not fit in the caches.
constexpr std::size_t topic_count = 65536;

std::size_t products_for(std::size_t n) {
  return n < devices_per_product ? 1 : n / devices_per_product;
}

std::string device_topic(std::size_t p, std::size_t d, const char* tail = "/user/get") {
  return "/pk" + std::to_string(p) + "/dev" + std::to_string(d) + tail;
}

/// The filter of subscription i out of n (see the file comment).
std::string filter_of(std::size_t i, std::size_t n) {
  auto p = i % products_for(n);
  if (i % 1000 == 1)
    return "$share/app/pk" + std::to_string(p) + "/+/thing/event/post";
  if (i % 100 == 0)
    return "/pk" + std::to_string(p) + "/+/user/get";
  if (i % 100 == 50)
    return device_topic(p, i, "/#");
  return device_topic(p, i);
}

template <class Index>
void fill(Index& index, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i)
    index.insert(filter_of(i, n), bench_sub{i, static_cast<std::uint32_t>(i), 1});
}

/// Topics published to: existing devices' topics (each matches its device,
/// the product's application filters and sometimes a '#' filter).
std::vector<std::string> publish_topics(std::size_t n) {
  std::mt19937_64 rng{42};
  std::vector<std::string> out;
  auto products = products_for(n);
  for (std::size_t i = 0; i < topic_count; ++i) {
    auto d = rng() % n;
    out.push_back(device_topic(d % products, d));
  }
  return out;
}

/// Returns the index of kind `Index` filled with n subscriptions, building
/// it on first use. Only the last built index is kept alive, so that the
/// 1M cases of the trie and the router never coexist in memory.
/// Thread-safe (multi-threaded benchmarks call it from every thread).
template <class Index>
Index& cached(std::size_t n) {
  struct slot {
    std::mutex mtx;
    std::shared_ptr<void> index;
    const void* kind = nullptr;
    std::size_t n = 0;
  };
  static slot s;
  static const char tag = 0;  // one address per Index type
  std::lock_guard guard{s.mtx};
  if (s.kind != &tag || s.n != n) {
    s.index.reset();
    auto index = std::make_shared<Index>();
    fill(*index, n);
    s.index = index;
    s.kind = &tag;
    s.n = n;
  }
  return *static_cast<Index*>(s.index.get());
}

template <class Index>
void run_match(benchmark::State& state, const Index& index, std::size_t n) {
  auto topics = publish_topics(n);
  // Threads start apart, so that they do not walk the same nodes in lockstep.
  auto i = static_cast<std::size_t>(state.thread_index()) * (topic_count / 2);
  std::size_t results = 0;
  for (auto _ : state) {
    index.match(topics[i++ & (topic_count - 1)], [&](const bench_sub& s) {
      benchmark::DoNotOptimize(s.sub_id);
      ++results;
    });
  }
  state.counters["results/match"] =
      benchmark::Counter(static_cast<double>(results) / static_cast<double>(state.iterations()),
                         benchmark::Counter::kAvgThreads);
}

void BM_trie_match(benchmark::State& state) {
  auto n = static_cast<std::size_t>(state.range(0));
  const auto& trie = cached<trie_t>(n);
  run_match(state, trie, n);
  state.counters["nodes"] = static_cast<double>(trie.node_count());
}

void BM_router_match(benchmark::State& state) {
  auto n = static_cast<std::size_t>(state.range(0));
  run_match(state, cached<router_t>(n), n);
}

/// Insert then erase one device subscription in an index of n.
template <class Index>
void run_insert_erase(benchmark::State& state, Index& index, std::size_t n) {
  auto products = products_for(n);
  std::uint64_t key = n;
  for (auto _ : state) {
    auto filter = device_topic(key % products, key);
    index.insert(filter, bench_sub{key, 0, 1});
    index.erase(filter, key);
    ++key;
  }
}

void BM_trie_insert_erase(benchmark::State& state) {
  auto n = static_cast<std::size_t>(state.range(0));
  run_insert_erase(state, cached<trie_t>(n), n);
}

void BM_router_insert_erase(benchmark::State& state) {
  auto n = static_cast<std::size_t>(state.range(0));
  run_insert_erase(state, cached<router_t>(n), n);
}

/// Fan-out to n subscribers of one filter, and O(1) erase of one of them.
void BM_trie_fanout(benchmark::State& state) {
  auto n = static_cast<std::size_t>(state.range(0));
  trie_t trie;
  for (std::size_t i = 0; i < n; ++i)
    trie.insert("broadcast/+/cmd", bench_sub{i});
  for (auto _ : state) {
    std::uint64_t sum = 0;
    trie.match("broadcast/all/cmd", [&](const bench_sub& s) { sum += s.id; });
    benchmark::DoNotOptimize(sum);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(n));
}

void BM_trie_erase_in_large_node(benchmark::State& state) {
  auto n = static_cast<std::size_t>(state.range(0));
  trie_t trie;
  for (std::size_t i = 0; i < n; ++i)
    trie.insert("broadcast/+/cmd", bench_sub{i});
  std::uint64_t k = 0;
  for (auto _ : state) {
    trie.erase("broadcast/+/cmd", k);
    trie.insert("broadcast/+/cmd", bench_sub{k});
    k = (k + 7919) % n;
  }
}

}  // namespace

// Registered size by size (benchmarks run in registration order), so that
// each index is built once.
BENCHMARK(BM_trie_match)->Arg(1'000);
BENCHMARK(BM_trie_insert_erase)->Arg(1'000);
BENCHMARK(BM_trie_match)->Arg(100'000);
BENCHMARK(BM_trie_insert_erase)->Arg(100'000);
BENCHMARK(BM_trie_match)->Arg(1'000'000);
BENCHMARK(BM_trie_insert_erase)->Arg(1'000'000);
BENCHMARK(BM_router_match)->Arg(1'000)->ThreadRange(1, 2)->UseRealTime();
BENCHMARK(BM_router_insert_erase)->Arg(1'000);
BENCHMARK(BM_router_match)->Arg(1'000'000)->ThreadRange(1, 2)->UseRealTime();
BENCHMARK(BM_router_insert_erase)->Arg(1'000'000);
BENCHMARK(BM_trie_fanout)->Arg(100'000);
BENCHMARK(BM_trie_erase_in_large_node)->Arg(100'000);
