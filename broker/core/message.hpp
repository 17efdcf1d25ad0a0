#pragma once
/// @file
/// The application message as it travels through the broker: one immutable,
/// ref-counted value shared by every subscriber's write queue (no
/// per-subscriber copy of topic or payload).

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "broker/mqtt/properties.hpp"
#include "broker/mqtt/types.hpp"
#include "broker/util/clock.hpp"

namespace iotb {

/// A published message. Immutable once shared.
struct message {
  std::string topic;
  std::string payload;
  /// Forwarded MQTT 5 properties (topic alias and subscription identifiers
  /// are per-hop and never stored here).
  mqtt::publish_properties props;
  std::uint64_t id = 0;      ///< broker-unique message id (SPEC §7)
  std::uint64_t origin = 0;  ///< session key of the publisher (for no-local); 0 = broker
  mqtt::qos q = mqtt::qos::at_most_once;
  bool retain = false;
  std::chrono::steady_clock::time_point received{};

  /// Seconds of life left at `now`, or nullopt when the message never
  /// expires. 0 means expired.
  [[nodiscard]] std::optional<std::uint32_t> remaining_expiry(
      std::chrono::steady_clock::time_point now) const noexcept {
    if (!props.message_expiry_interval)
      return std::nullopt;
    auto age = std::chrono::duration_cast<std::chrono::seconds>(now - received).count();
    auto ttl = static_cast<std::int64_t>(*props.message_expiry_interval);
    return age >= ttl ? 0u : static_cast<std::uint32_t>(ttl - age);
  }
};

/// The shared, immutable handle every subscriber holds.
using message_ptr = std::shared_ptr<const message>;

/// The one way to make a message: every field a message must have, set;
/// `received` defaults to now. Returned mutable for the caller to finish
/// (properties) before it is shared.
[[nodiscard]] inline std::shared_ptr<message> make_message(
    std::string topic, std::string payload, mqtt::qos q, bool retain, std::uint64_t id,
    std::uint64_t origin, std::chrono::steady_clock::time_point received = clock::now()) {
  auto m = std::make_shared<message>();
  m->topic = std::move(topic);
  m->payload = std::move(payload);
  m->q = q;
  m->retain = retain;
  m->id = id;
  m->origin = origin;
  m->received = received;
  return m;
}

/// The Subscription Identifiers one delivery carries (MQTT 5 §3.3.4): one
/// per matching subscription that has one, when a client's overlapping
/// subscriptions are delivered as one copy. Holds a single id without
/// allocating; converts implicitly from one id (0: none).
class sub_id_list {
 public:
  sub_id_list() = default;
  sub_id_list(std::uint32_t id) noexcept : one_(id) {}  // NOLINT(google-explicit-constructor)

  /// Appends `id` unless it is 0 or already present.
  void add(std::uint32_t id) {
    if (id == 0 || contains(id))
      return;
    if (one_ == 0) {
      one_ = id;
      return;
    }
    if (many_.empty())
      many_.push_back(one_);
    many_.push_back(id);
  }
  [[nodiscard]] bool contains(std::uint32_t id) const noexcept {
    for (std::size_t i = 0; i < size(); ++i)
      if (data()[i] == id)
        return true;
    return false;
  }
  /// The ids, contiguous (for the PUBLISH encoder).
  [[nodiscard]] const std::uint32_t* data() const noexcept {
    return many_.empty() ? &one_ : many_.data();
  }
  [[nodiscard]] std::size_t size() const noexcept {
    return many_.empty() ? (one_ != 0 ? 1 : 0) : many_.size();
  }
  [[nodiscard]] bool empty() const noexcept { return size() == 0; }
  /// The first id (0: none).
  [[nodiscard]] std::uint32_t front() const noexcept { return one_; }
  [[nodiscard]] std::vector<std::uint32_t> to_vector() const {
    return std::vector<std::uint32_t>(data(), data() + size());
  }

 private:
  std::uint32_t one_ = 0;            ///< the first id
  std::vector<std::uint32_t> many_;  ///< all ids once there are two or more
};

/// Hands out broker-unique 64-bit message ids without a shared cache line
/// on the hot path: each thread reserves a block of ids at a time.
/// Thread-safety: `next()` may be called from any thread.
class id_source {
 public:
  /// Ids start above `epoch_ms << 16` so that ids of a restarted broker do
  /// not repeat those of the previous run.
  explicit id_source(std::uint64_t epoch_ms) : next_block_(epoch_ms << 16) {}
  [[nodiscard]] std::uint64_t next() noexcept;

 private:
  static constexpr std::uint64_t block = 4096;
  std::atomic<std::uint64_t> next_block_;
};

inline std::uint64_t id_source::next() noexcept {
  thread_local std::uint64_t cur = 0;
  thread_local std::uint64_t end = 0;
  thread_local const id_source* owner = nullptr;
  if (cur == end || owner != this) {
    cur = next_block_.fetch_add(block, std::memory_order_relaxed);
    end = cur + block;
    owner = this;
  }
  return cur++;
}

}  // namespace iotb
