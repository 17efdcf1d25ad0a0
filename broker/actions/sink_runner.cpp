#include "broker/actions/sink_runner.hpp"

#include <pthread.h>

namespace iotb::actions {

namespace {

using clock_type = std::chrono::steady_clock;

}  // namespace

sink_runner::sink_runner(std::string name, std::unique_ptr<sink> s, queue_limits limits,
                         failure_handler on_failure, std::chrono::milliseconds drain_for)
    : name_(std::move(name)),
      sink_(std::move(s)),
      on_failure_(std::move(on_failure)),
      drain_for_(drain_for),
      queue_(std::move(limits)) {
  thread_ = std::thread([this] { run(); });
}

sink_runner::~sink_runner() {
  {
    std::lock_guard lk(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable())
    thread_.join();
}

bool sink_runner::offer(record r) {
  bool ok = false;
  {
    std::lock_guard lk(mu_);
    ok = queue_.offer(std::move(r), clock_type::now());
  }
  if (ok)
    cv_.notify_one();
  return ok;
}

runner_snapshot sink_runner::snapshot() const {
  std::lock_guard lk(mu_);
  return runner_snapshot{queue_.counters(), queue_.queued(), queue_.inflight(), queue_.bytes()};
}

void sink_runner::run() {
  auto thread_name = "sink:" + name_;
  thread_name.resize(std::min<std::size_t>(thread_name.size(), 15));
  pthread_setname_np(pthread_self(), thread_name.c_str());
  std::optional<clock_type::time_point> deadline;  // set once stopping
  std::unique_lock lk(mu_);
  for (;;) {
    auto now = clock_type::now();
    if (stopping_ && !deadline)
      deadline = now + drain_for_;
    if (deadline && now >= *deadline)
      break;
    auto due = queue_.next_due(now);
    if (!due) {
      if (stopping_)
        break;
      cv_.wait(lk);
      continue;
    }
    if (*due > now) {
      auto until = deadline ? std::min(*due, *deadline) : *due;
      cv_.wait_until(lk, until);
      continue;
    }
    auto batch = queue_.take_batch(now);
    if (batch.empty())
      continue;
    lk.unlock();
    auto statuses = sink_->deliver(std::span<const record>(batch));
    lk.lock();
    auto failures = queue_.complete(std::move(batch), statuses, clock_type::now());
    if (!failures.empty() && on_failure_) {
      lk.unlock();
      for (auto& f : failures)
        on_failure_(std::move(f));
      lk.lock();
    }
  }
  lk.unlock();
  sink_->flush();
}

}  // namespace iotb::actions
