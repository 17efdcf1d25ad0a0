// Rate limiting (broker/limits/token_bucket.hpp) on the hot path: one take
// from a connection's own bucket, from a broker-wide shared bucket (one and
// two threads on the same atomic), and from a per-device keyed table. Time
// is injected and advances so that every take is a hit (the common case).

#include <benchmark/benchmark.h>

#include <chrono>
#include <string>
#include <vector>

#include "broker/limits/token_bucket.hpp"

namespace {

using namespace std::chrono_literals;
using iotb::limits::time_point;

const time_point t0 = time_point{} + 1000h;

void BM_TokenBucketTakeHit(benchmark::State& state) {
  iotb::limits::token_bucket b{30, 1s};  // the uplink quota: 33.3 ms per token
  benchmark::DoNotOptimize(b);           // no constant-folded rate
  time_point t = t0;
  for (auto _ : state) {
    t += 34ms;
    benchmark::DoNotOptimize(b.try_take(t));
  }
}
BENCHMARK(BM_TokenBucketTakeHit);

void BM_TokenBucketTakeBytes(benchmark::State& state) {
  iotb::limits::token_bucket b{1'000'000, 1s};  // 8 Mbit/s, per read of 1500 bytes
  benchmark::DoNotOptimize(b);
  time_point t = t0;
  for (auto _ : state) {
    t += 2ms;
    benchmark::DoNotOptimize(b.try_take(t, 1500));
  }
}
BENCHMARK(BM_TokenBucketTakeBytes);

void BM_SharedBucketTakeHit(benchmark::State& state) {
  // Shared by the benchmark's threads; each advances its own clock fast
  // enough that all takes are hits.
  static iotb::limits::shared_bucket b{UINT32_MAX, 1000ms, UINT32_MAX};
  time_point t = t0;
  std::int64_t hits = 0;
  for (auto _ : state) {
    t += 10ns;
    hits += b.try_take(t);
  }
  state.counters["hit%"] = benchmark::Counter(
      100.0 * static_cast<double>(hits) / static_cast<double>(state.iterations()),
      benchmark::Counter::kAvgThreads);
}
BENCHMARK(BM_SharedBucketTakeHit)->Threads(1)->Threads(2)->UseRealTime();

void BM_KeyedRateTakeHit(benchmark::State& state) {
  const auto keys_n = static_cast<std::size_t>(state.range(0));
  iotb::limits::keyed_rate k{5, 1min, 0, keys_n};
  std::vector<std::string> keys;
  for (std::size_t i = 0; i < keys_n; ++i)
    keys.push_back("a1B2c3D4e5F&device-" + std::to_string(i));
  time_point t = t0;
  std::size_t i = 0;
  for (auto _ : state) {
    t += 13s / keys_n + 1ns;  // each key comes back after one token interval
    benchmark::DoNotOptimize(k.try_take(keys[i], t));
    if (++i == keys_n)
      i = 0;
  }
}
BENCHMARK(BM_KeyedRateTakeHit)->Arg(1'000)->Arg(100'000);

void BM_KeyedRateNewKeyFullTable(benchmark::State& state) {
  // Every take is a new key meeting a full table of reclaimable entries.
  iotb::limits::keyed_rate k{5, 1min, 0, 10'000};
  std::vector<std::string> keys;
  for (std::size_t i = 0; i < 20'000; ++i)
    keys.push_back("a1B2c3D4e5F&device-" + std::to_string(i));
  time_point t = t0;
  std::size_t i = 0;
  for (auto _ : state) {
    t += 10ms;
    benchmark::DoNotOptimize(k.try_take(keys[i], t));
    if (++i == keys.size())
      i = 0;
  }
}
BENCHMARK(BM_KeyedRateNewKeyFullTable);

}  // namespace
