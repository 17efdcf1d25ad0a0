#pragma once
/// @file
/// One rule action's buffer toward its sink (SPEC §9, "Failure"), as a pure
/// state machine: the bounded queue (messages and bytes), batching, the
/// retry schedule (1 s, 3 s, 10 s, then the record fails and becomes an
/// error record for the rule's error action), a sink's THROTTLE (the whole
/// action backs off), expiry of records that waited too long, and the
/// action's counters. No threads, no clock: the caller passes `now` and
/// runs the sink (broker/actions/sink_runner.hpp). Unit-tested in
/// action_queue.test.cpp.
///
/// Order: records go out in arrival order; a record that is retried waits
/// for its time while later ones go on (no head-of-line blocking), so a
/// retried record may arrive after later ones.
///
/// Thread-safety: none (one owner; the runner guards it with its mutex).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace iotb::actions {

using time_point = std::chrono::steady_clock::time_point;
using std::chrono::milliseconds;

/// One record for a sink: a rule's output for one message.
struct record {
  std::string output;   ///< the SELECT's result, compact JSON
  std::string topic;    ///< the message's topic
  std::string payload;  ///< the message's payload (for error records)
  std::string product_key;
  std::string device_name;
  std::uint64_t message_id = 0;
  std::int64_t timestamp_ms = 0;  ///< when the broker received the message (UTC ms)

  [[nodiscard]] std::size_t bytes() const noexcept {
    return output.size() + topic.size() + payload.size() + product_key.size() + device_name.size() +
           64;
  }
};

/// What a sink said about one record.
enum class outcome : std::uint8_t {
  ok,        ///< delivered
  retry,     ///< try again (after `delay`, or the schedule's next step)
  drop,      ///< failed for good
  throttle,  ///< not taken: back the whole action off for `delay`
};

struct status {
  outcome what = outcome::ok;
  milliseconds delay{0};  ///< retry/throttle: 0 = the schedule's (throttle: 1 s)
  std::string error;      ///< retry/drop: why
};

/// Why records were dropped (the `reason` label).
enum class drop_reason : std::uint8_t { queue_full, expired, not_loaded };
inline constexpr std::size_t drop_reasons = 3;
[[nodiscard]] const char* to_string(drop_reason r) noexcept;

/// A record that failed for good, for the rule's error action.
struct failure {
  record rec;
  std::string error;
  std::uint32_t attempts = 0;
};

struct queue_limits {
  std::size_t max_records = 10'000;
  std::size_t max_bytes = std::size_t{16} << 20;
  std::size_t batch_size = 100;
  /// After these, a record fails (SPEC §9: 1 s, 3 s, 10 s).
  std::vector<milliseconds> retry_delays{milliseconds{1000}, milliseconds{3000},
                                         milliseconds{10'000}};
  /// A record not delivered within this is dropped as `expired`.
  milliseconds max_age{milliseconds{5 * 60 * 1000}};
};

/// The action's counters (monotonic except the two gauges).
struct queue_counters {
  std::uint64_t offered = 0;
  std::uint64_t success = 0;
  std::uint64_t failed = 0;
  std::uint64_t retried = 0;
  std::uint64_t dropped[drop_reasons] = {0, 0, 0};
};

class action_queue {
 public:
  explicit action_queue(queue_limits limits = {}) : limits_(std::move(limits)) {}

  /// Queues `r`. @returns false (and counts `queue_full`) when the queue
  /// holds `max_records` or the bytes would exceed `max_bytes`.
  bool offer(record r, time_point now);
  /// Counts a record that could not be queued because the action's sink is
  /// not loaded (its plugin is missing or its `create` failed).
  void not_loaded() noexcept { ++counters_.dropped[static_cast<int>(drop_reason::not_loaded)]; }

  /// The records to deliver now (at most `batch_size`, in order; they leave
  /// the queue and are in flight until `complete`). Expired ones are
  /// dropped first. Empty while throttled or when nothing is due.
  [[nodiscard]] std::vector<record> take_batch(time_point now);
  /// When the next batch can be taken (nullopt: the queue is empty).
  [[nodiscard]] std::optional<time_point> next_due(time_point now) const;

  /// The sink's answer for the last batch (`statuses` in batch order; a
  /// missing status counts as retry). @returns the records that failed for
  /// good, for the error action.
  std::vector<failure> complete(std::vector<record> batch, const std::vector<status>& statuses,
                                time_point now);

  [[nodiscard]] const queue_counters& counters() const noexcept { return counters_; }
  [[nodiscard]] std::size_t queued() const noexcept { return ready_.size() + waiting_.size(); }
  [[nodiscard]] std::size_t inflight() const noexcept { return inflight_; }
  [[nodiscard]] std::size_t bytes() const noexcept { return bytes_; }

 private:
  struct entry {
    record rec;
    time_point born;
    std::uint32_t attempts = 0;
  };

  void expire(time_point now);
  void drop(const entry& e, drop_reason why);

  queue_limits limits_;
  /// Due now, in arrival order (so sorted by `born`).
  std::deque<entry> ready_;
  /// Waiting for a retry, by due time.
  std::multimap<time_point, entry> waiting_;
  /// The in-flight batch's entries without their records (same order).
  std::vector<entry> flight_;
  std::size_t inflight_ = 0;
  std::size_t bytes_ = 0;
  time_point paused_until_{};
  queue_counters counters_;
};

}  // namespace iotb::actions
