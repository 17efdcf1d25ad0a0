#pragma once
/// @file
/// Private to `actors/live*.cpp`: one viewer of `GET /api/v1/ws` — its
/// commands (subscribe/unsubscribe), its trace filter and rate budget, and
/// its bounded queue of frames; the WebSocket I/O is `ws_viewer`'s
/// (live.cpp), the tap and the tick the hub's (live.hpp).

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include <rapidjson/document.h>

#include "actors/live.hpp"
#include "broker/admin/json.hpp"
#include "broker/log/log.hpp"
#include "broker/mqtt/codec.hpp"

namespace iotb::actors {

/// What a trace shows of the payload.
enum class trace_payload : std::uint8_t { text, hex, hidden };

/// Trace frames a viewer gets per second unless it asks (`"maxRate"`).
constexpr std::uint32_t default_trace_rate = 1000;
constexpr std::uint32_t max_trace_rate = 10000;

struct trace_filter {
  std::string topic = "#";
  std::string client_id;  ///< exact, empty = any
  std::string device;     ///< "pk/dn", empty = any
  trace_payload payload = trace_payload::text;
  std::uint32_t max_rate = default_trace_rate;  ///< frames per second; the rest dropped
};

/// One JSON object frame written by `body` (live.cpp).
[[nodiscard]] std::string live_json(const std::function<void(admin::json_writer&)>& body);

// -- viewer -------------------------------------------------------------------

/// A viewer's state and commands; the WebSocket I/O is `ws_viewer`'s, one
/// per stream type (HTTP or HTTPS).
class live_hub::viewer : public std::enable_shared_from_this<viewer> {
 public:
  viewer(std::weak_ptr<live_hub> hub, std::string who)
      : hub_(std::move(hub)), who_(std::move(who)) {}
  virtual ~viewer() = default;

  /// Queues a frame (any thread); dropped and counted when the queue is full.
  void push(std::string frame) {
    std::unique_lock lk(mu_);
    if (closed_)
      return;
    if (queue_.size() >= max_queued_frames || queued_bytes_ + frame.size() > max_queued_bytes) {
      ++dropped_;
      return;
    }
    queued_bytes_ += frame.size();
    queue_.push_back(std::move(frame));
    queued_.store(queue_.size(), std::memory_order_relaxed);
    if (writing_)
      return;
    writing_ = true;
    lk.unlock();
    wake();
  }

  /// Sends the `dropped` count of frames the tap refused while the writer
  /// was idle (the tick calls it once a second: the tap never wakes it).
  void report_refused() {
    std::unique_lock lk(mu_);
    if (closed_ || writing_ || refused_.load(std::memory_order_relaxed) == 0)
      return;
    writing_ = true;
    lk.unlock();
    wake();
  }

  /// Closes the connection (any thread).
  virtual void close() = 0;

  // What the viewer subscribed to (read by the tap under mu_).
  [[nodiscard]] bool wants_metrics() const {
    std::lock_guard lk(mu_);
    return metrics_;
  }
  [[nodiscard]] bool wants_tap() const {
    std::lock_guard lk(mu_);
    return trace_ || events_;
  }
  [[nodiscard]] bool wants_events() const {
    std::lock_guard lk(mu_);
    return events_;
  }
  /// The trace filter, if tracing (an immutable snapshot).
  [[nodiscard]] std::shared_ptr<const trace_filter> trace() const {
    std::lock_guard lk(mu_);
    return trace_ ? filter_ : nullptr;
  }

  /// The tap's cheap checks before it formats a frame (any thread, no
  /// lock): within the trace's frames-per-second budget and room in the
  /// queue. A refused frame is counted in the next `dropped` frame.
  [[nodiscard]] bool admit(std::uint64_t now_ms, std::uint32_t max_rate) {
    auto second = now_ms / 1000;
    auto w = window_.load(std::memory_order_relaxed);
    if (w != second && window_.compare_exchange_strong(w, second, std::memory_order_relaxed))
      in_window_.store(0, std::memory_order_relaxed);
    if (in_window_.fetch_add(1, std::memory_order_relaxed) < max_rate &&
        queued_.load(std::memory_order_relaxed) < max_queued_frames)
      return true;
    refused_.fetch_add(1, std::memory_order_relaxed);
    return false;
  }

 protected:
  /// Starts writing the queue (any thread; called once while idle).
  virtual void wake() = 0;

  void on_command(std::string_view text) {
    rapidjson::Document d;
    d.Parse(text.data(), text.size());
    auto str = [&](const char* k) -> std::string {
      auto it = d.IsObject() ? d.FindMember(k) : d.MemberEnd();
      return it != d.MemberEnd() && it->value.IsString() ? it->value.GetString() : "";
    };
    if (d.HasParseError() || !d.IsObject())
      return push(error("expected a JSON object command"));
    auto sub = str("subscribe");
    auto unsub = str("unsubscribe");
    {
      std::lock_guard lk(mu_);
      auto set = [&](const std::string& what, bool on) {
        if (what == "metrics")
          metrics_ = on;
        else if (what == "trace")
          trace_ = on;
        else if (what == "events")
          events_ = on;
        else
          return false;
        return true;
      };
      if (!sub.empty() && sub == "trace") {
        trace_filter f;
        if (auto t = str("topic"); !t.empty())
          f.topic = t;
        f.client_id = str("clientId");
        f.device = str("device");
        auto p = str("payload");
        f.payload = p == "hex"      ? trace_payload::hex
                    : p == "hidden" ? trace_payload::hidden
                                    : trace_payload::text;
        auto rate = d.FindMember("maxRate");
        bool rate_ok =
            rate == d.MemberEnd() || (rate->value.IsUint() && rate->value.GetUint() >= 1 &&
                                      rate->value.GetUint() <= max_trace_rate);
        if (rate != d.MemberEnd() && rate_ok)
          f.max_rate = rate->value.GetUint();
        if (!mqtt::valid_topic_filter(f.topic) ||
            (!p.empty() && p != "text" && p != "hex" && p != "hidden")) {
          bad_ = "trace: bad topic filter or payload mode";
        } else if (!rate_ok) {
          bad_ = "trace: maxRate must be 1-" + std::to_string(max_trace_rate) + " frames a second";
        } else {
          filter_ = std::make_shared<const trace_filter>(std::move(f));
          trace_ = true;
        }
      } else if (!sub.empty()) {
        if (!set(sub, true))
          bad_ = "unknown subscription '" + sub + "'";
      } else if (!unsub.empty()) {
        if (!set(unsub, false))
          bad_ = "unknown subscription '" + unsub + "'";
      } else {
        bad_ = "expected {\"subscribe\":…} or {\"unsubscribe\":…}";
      }
    }
    std::string problem;
    {
      std::lock_guard lk(mu_);
      problem = std::exchange(bad_, {});
    }
    if (!problem.empty())
      return push(error(problem));
    push(live_json([&](admin::json_writer& w) {
      admin::field(w, "type", "ok");
      admin::field(w, sub.empty() ? "unsubscribe" : "subscribe", sub.empty() ? unsub : sub);
    }));
    if (auto hub = hub_.lock())
      hub->update_tap();
  }

  static std::string error(std::string_view message) {
    return live_json([&](admin::json_writer& w) {
      admin::field(w, "type", "error");
      admin::field(w, "message", message);
    });
  }

  /// Moves the next frame into `current_`; false when there is none (the
  /// writer goes idle) or the viewer closed.
  bool next_frame() {
    std::unique_lock lk(mu_);
    if (closed_)
      return false;
    dropped_ += refused_.exchange(0, std::memory_order_relaxed);
    if (queue_.empty()) {
      if (dropped_ == 0) {
        writing_ = false;
        return false;
      }
      auto n = std::exchange(dropped_, 0);
      queue_.push_back(live_json([&](admin::json_writer& w) {
        admin::field(w, "type", "dropped");
        w.Key("count");
        w.Uint64(n);
      }));
      queued_bytes_ += queue_.back().size();
    }
    current_ = std::move(queue_.front());
    queue_.pop_front();
    queued_bytes_ -= current_.size();
    queued_.store(queue_.size(), std::memory_order_relaxed);
    return true;
  }

  void closed(const std::string& why) {
    {
      std::lock_guard lk(mu_);
      if (closed_)
        return;
      closed_ = true;
      queue_.clear();
    }
    IOTB_LOG(info, "admin") << who_ << " left the live WebSocket: " << why;
    if (auto hub = hub_.lock())
      hub->forget(this);
  }

  friend class live_hub;

  std::weak_ptr<live_hub> hub_;
  std::string who_;
  std::string current_;    // being written
  mutable std::mutex mu_;  // a leaf: guards everything below
  std::deque<std::string> queue_;
  std::size_t queued_bytes_ = 0;
  std::uint64_t dropped_ = 0;
  bool writing_ = false;
  bool closed_ = false;
  bool metrics_ = false;
  bool trace_ = false;
  bool events_ = false;
  std::shared_ptr<const trace_filter> filter_;
  std::string bad_;
  // The tap's lock-free admission (see `admit`).
  std::atomic<std::uint64_t> window_{0};     ///< the current second
  std::atomic<std::uint32_t> in_window_{0};  ///< frames offered in it
  std::atomic<std::size_t> queued_{0};       ///< queue_.size(), for a peek
  std::atomic<std::uint64_t> refused_{0};    ///< not admitted, not yet reported
};

}  // namespace iotb::actors
