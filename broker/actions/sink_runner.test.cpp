#include "broker/actions/sink_runner.hpp"

#include <gtest/gtest.h>
#include <atomic>

namespace iotb::actions {
namespace {

using namespace std::chrono_literals;

/// A sink answering from a script (a plain in-process sink: the runner's
/// threading is what is tested; plugins are tested in broker/plugins).
class script_sink final : public sink {
 public:
  explicit script_sink(std::function<status(const record&)> f) : f_(std::move(f)) {}
  std::vector<status> deliver(std::span<const record> batch) override {
    std::vector<status> out;
    for (const auto& r : batch) {
      seen.fetch_add(1);
      out.push_back(f_(r));
    }
    return out;
  }
  void flush() override { flushed.store(true); }
  std::atomic<int> seen{0};
  std::atomic<bool> flushed{false};

 private:
  std::function<status(const record&)> f_;
};

record rec(std::uint64_t id) {
  record r;
  r.output = "{}";
  r.message_id = id;
  return r;
}

bool eventually(const std::function<bool()>& p) {
  for (int i = 0; i < 500; ++i) {
    if (p())
      return true;
    std::this_thread::sleep_for(10ms);
  }
  return p();
}

TEST(sink_runner, delivers_offered_records_and_flushes_at_stop) {
  auto flushed = std::make_shared<std::atomic<bool>>(false);
  class flushing final : public sink {
   public:
    explicit flushing(std::shared_ptr<std::atomic<bool>> f) : f_(std::move(f)) {}
    std::vector<status> deliver(std::span<const record> batch) override {
      return std::vector<status>(batch.size());
    }
    void flush() override { f_->store(true); }

   private:
    std::shared_ptr<std::atomic<bool>> f_;
  };
  {
    sink_runner r("t", std::make_unique<flushing>(flushed), {}, nullptr);
    for (std::uint64_t i = 0; i < 250; ++i)
      ASSERT_TRUE(r.offer(rec(i)));
    ASSERT_TRUE(eventually([&] { return r.snapshot().counters.success == 250; }));
    EXPECT_EQ(r.snapshot().queued, 0u);
    EXPECT_FALSE(flushed->load());
  }
  EXPECT_TRUE(flushed->load());
}

TEST(sink_runner, failures_reach_the_handler_and_a_slow_sink_does_not_block_offer) {
  std::atomic<int> failed{0};
  queue_limits lim;
  lim.max_records = 5;
  auto s = std::make_unique<script_sink>([](const record& r) {
    if (r.message_id == 0)
      std::this_thread::sleep_for(300ms);  // a slow sink
    return status{outcome::drop, {}, "no"};
  });
  sink_runner r("t", std::move(s), lim, [&](failure f) {
    EXPECT_EQ(f.error, "no");
    failed.fetch_add(1);
  });
  ASSERT_TRUE(r.offer(rec(0)));
  auto start = std::chrono::steady_clock::now();
  int refused = 0;
  for (std::uint64_t i = 1; i < 20; ++i)
    refused += r.offer(rec(i)) ? 0 : 1;
  EXPECT_LT(std::chrono::steady_clock::now() - start, 100ms);  // never waits for the sink
  EXPECT_GT(refused, 0);  // the bounded buffer dropped the excess
  ASSERT_TRUE(eventually([&] { return failed.load() == 20 - refused; }));
  EXPECT_EQ(r.snapshot().counters.dropped[static_cast<int>(drop_reason::queue_full)],
            static_cast<std::uint64_t>(refused));
}

TEST(sink_runner, retries_on_its_schedule) {
  std::atomic<int> calls{0};
  queue_limits lim;
  lim.retry_delays = {50ms, 50ms};
  auto s = std::make_unique<script_sink>([&](const record&) {
    return calls.fetch_add(1) < 2 ? status{outcome::retry, {}, "later"} : status{};
  });
  sink_runner r("t", std::move(s), lim, nullptr);
  r.offer(rec(1));
  ASSERT_TRUE(eventually([&] { return r.snapshot().counters.success == 1; }));
  EXPECT_EQ(r.snapshot().counters.retried, 2u);
  EXPECT_EQ(calls.load(), 3);
}

}  // namespace
}  // namespace iotb::actions
