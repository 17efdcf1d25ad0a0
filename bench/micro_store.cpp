// Micro-benchmarks of the durable QoS 1 queue (broker/store/session_store):
// enqueue (message + one queue entry per target, grouped commits) and ack,
// on real LMDB files in a temporary directory. Each iteration enqueues a
// batch of 1,000 messages and waits until all are committed, so the figure
// includes group commit and (for `sync`) the fsyncs.

#include <benchmark/benchmark.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>

#include "broker/store/session_store.hpp"
#include "broker/util/clock.hpp"
#include "broker/util/temp_dir.hpp"

namespace {

using namespace iotb;

struct temp_store {
  explicit temp_store(store::durability mode) {
    store::session_store_options o;
    o.mode = mode;
    auto opened = store::session_store::open(dir.path(), o);
    s = std::move(*opened);
    (void)s->load(clock::wall_ms());
    store::session_record r;
    r.name = "bench";
    r.client_id = "bench";
    r.store_id = 1;
    r.expiry = 3600;
    s->put_session(r);
  }
  ~temp_store() { s.reset(); }
  temp_dir dir{"iotb-bench-store"};
  std::unique_ptr<store::session_store> s;
};

message_ptr make_message(std::uint64_t id) {
  auto m = std::make_shared<message>();
  m->id = id;
  m->topic = "bench/in/42";
  m->payload.assign(256, 'x');
  m->q = mqtt::qos::at_least_once;
  m->received = clock::now();
  return m;
}

/// Arg 0: durability (0 sync, 2 none); arg 1: targets per message.
void BM_QueueEnqueue(benchmark::State& state) {
  temp_store t(static_cast<store::durability>(state.range(0)));
  const auto targets = static_cast<std::size_t>(state.range(1));
  std::uint64_t id = 1;
  std::atomic<std::uint64_t> done{0};
  for (auto _ : state) {
    for (int i = 0; i < 1000; ++i) {
      std::vector<store::target> tg(targets, store::target{1, mqtt::qos::at_least_once, false, 0});
      t.s->enqueue(make_message(id++), std::move(tg), false,
                   [&](bool, const std::vector<store::target>&, const std::vector<std::uint64_t>&) {
                     done.fetch_add(1);
                   });
    }
    t.s->drain();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * 1000);
  state.counters["commits"] = static_cast<double>(t.s->snapshot().commits.commits);
  state.SetLabel(state.range(0) == 0 ? "sync" : "none");
}
BENCHMARK(BM_QueueEnqueue)
    ->Args({0, 1})
    ->Args({2, 1})
    ->Args({2, 100})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

/// Enqueue 1,000 then acknowledge them (entry delete + message delete).
void BM_QueueEnqueueAck(benchmark::State& state) {
  temp_store t(store::durability::none);
  std::uint64_t id = 1;
  for (auto _ : state) {
    std::vector<std::pair<std::uint64_t, std::uint64_t>> acks(1000);
    std::atomic<int> n{0};
    for (int i = 0; i < 1000; ++i) {
      auto mid = id++;
      t.s->enqueue(make_message(mid), {store::target{1, mqtt::qos::at_least_once, false, 0}}, false,
                   [&, i, mid](bool, const std::vector<store::target>&,
                               const std::vector<std::uint64_t>& seqs) {
                     acks[static_cast<std::size_t>(i)] = {seqs.empty() ? 0 : seqs[0], mid};
                     n.fetch_add(1);
                   });
    }
    t.s->drain();
    for (auto& [seq, mid] : acks)
      t.s->ack(1, seq, mid);
    t.s->drain();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * 1000);
}
BENCHMARK(BM_QueueEnqueueAck)->UseRealTime()->Unit(benchmark::kMillisecond);

/// Reading a queue back (page-in after a reconnect): 1,000 entries.
void BM_QueuePage(benchmark::State& state) {
  temp_store t(store::durability::none);
  for (std::uint64_t id = 1; id <= 1000; ++id)
    t.s->enqueue(make_message(id), {store::target{1, mqtt::qos::at_least_once, false, 0}}, false,
                 {});
  t.s->drain();
  for (auto _ : state) {
    auto p = t.s->page(1, 0, 1000);
    benchmark::DoNotOptimize(p);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * 1000);
}
BENCHMARK(BM_QueuePage)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace
