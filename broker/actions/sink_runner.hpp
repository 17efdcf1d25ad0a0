#pragma once
/// @file
/// Runs one rule action's sink on a thread of its own (SPEC §9: "a sink
/// that is down or slow must not slow down MQTT traffic or other rules"):
/// the rule's actor `offer`s records (never blocking: a full buffer drops
/// and counts), and the runner's thread takes batches from the action's
/// queue (action_queue.hpp), calls the sink's `deliver` — which may block
/// up to its own timeout, delaying only this action — and hands records
/// that failed for good to the failure handler (the rule's error action).
///
/// Stopping (the destructor): the thread delivers what is queued for at
/// most `drain_for`, calls `flush`, and ends; what is left is dropped.
///
/// Thread-safety: `offer`, `not_loaded` and `snapshot` may be called from
/// any thread; the sink is called from the runner's thread only, never
/// concurrently; the failure handler runs on the runner's thread.

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "broker/actions/action_queue.hpp"

namespace iotb::actions {

/// Where an action's records go: a sink plugin's instance (through
/// broker/plugins) or anything else that takes batches.
class sink {
 public:
  virtual ~sink() = default;
  /// One status per record, in order (missing ones count as retry). May
  /// block; must not throw.
  virtual std::vector<status> deliver(std::span<const record> batch) = 0;
  /// Pushes out what the sink buffers itself (at stop).
  virtual void flush() {}
};

/// An action's figures at one moment.
struct runner_snapshot {
  queue_counters counters;
  std::size_t queued = 0;
  std::size_t inflight = 0;
  std::size_t bytes = 0;
};

class sink_runner {
 public:
  using failure_handler = std::function<void(failure)>;

  /// Starts the thread (named after `name`, at most 15 characters kept).
  sink_runner(std::string name, std::unique_ptr<sink> s, queue_limits limits,
              failure_handler on_failure,
              std::chrono::milliseconds drain_for = std::chrono::milliseconds{2000});
  ~sink_runner();
  sink_runner(const sink_runner&) = delete;
  sink_runner& operator=(const sink_runner&) = delete;

  /// Queues `r` for the sink. @returns false when the buffer is full (the
  /// record is dropped and counted).
  bool offer(record r);
  [[nodiscard]] runner_snapshot snapshot() const;

 private:
  void run();

  std::string name_;
  std::unique_ptr<sink> sink_;
  failure_handler on_failure_;
  std::chrono::milliseconds drain_for_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  action_queue queue_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace iotb::actions
