#pragma once
/// @file
/// One publisher's closed-loop send window and the loss and duplicate
/// accounting of its messages.
///
/// Message k may be sent only while fewer than `size` messages before it
/// are unresolved. A message is resolved once every receiver has accounted
/// for it (received it, or been found to have lost it) and, at QoS 1 and 2,
/// once the broker has acknowledged it (PUBACK / PUBCOMP). A message that
/// stays unresolved past a deadline is expired: the window moves on, and a
/// delivery that still comes later counts as late, not as a duplicate.
///
/// Two delivery modes:
/// - `ordered` (fan-in, fan-out, p2p): every receiver gets every message,
///   in order (MQTT keeps per-publisher order per subscription). A receiver
///   tracks the highest sequence number it has seen: anything at or below
///   it is a duplicate; anything skipped over is lost for that receiver.
/// - `any_one` (`$share` groups): exactly one receiver of the group gets
///   each message, so gaps at one receiver are normal; a second delivery of
///   a message is a duplicate, and only expiry reveals loss.
///
/// Run totals follow from the counts: lost = sent · receivers − (received −
/// duplicates). The class only decides what each event was.
///
/// Threads: none (the load generator runs on one io_context thread).

#include <cstdint>
#include <optional>
#include <unordered_set>
#include <vector>

namespace iotb::loadgen {

enum class delivery_mode : std::uint8_t { ordered, any_one };

/// What one delivery turned out to be.
struct delivery {
  bool unknown = false;       ///< a sequence number never sent: a foreign or corrupt payload
  bool duplicate = false;     ///< this receiver (ordered) or the group (any_one) had it already
  bool late = false;          ///< it arrived after its message expired (not a duplicate)
  std::uint64_t skipped = 0;  ///< ordered: earlier messages this receiver never got (lost)
  std::uint64_t opened = 0;   ///< messages this resolved: the window opened by this much
};

class ledger {
 public:
  ledger() = default;
  /// `size` (≥ 1, ≤ 65535): most unresolved messages; `receivers` (≥ 1):
  /// deliveries each message needs; `needs_ack`: QoS ≥ 1.
  ledger(std::uint32_t size, std::uint32_t receivers, bool needs_ack, delivery_mode mode);

  [[nodiscard]] bool can_send() const noexcept { return next_ - base_ < slots_.size(); }
  /// Messages sent and not yet resolved.
  [[nodiscard]] std::uint64_t outstanding() const noexcept { return next_ - base_; }
  /// Messages that may be sent now.
  [[nodiscard]] std::uint64_t free() const noexcept { return slots_.size() - outstanding(); }
  [[nodiscard]] std::uint64_t size() const noexcept { return slots_.size(); }
  /// Sequence number the next message gets (= messages sent).
  [[nodiscard]] std::uint64_t next() const noexcept { return next_; }
  /// Oldest unresolved sequence number (== next() when none).
  [[nodiscard]] std::uint64_t base() const noexcept { return base_; }
  /// Messages expired with deliveries missing, and deliveries that came late.
  [[nodiscard]] std::uint64_t expired() const noexcept { return expired_; }
  [[nodiscard]] std::uint64_t late() const noexcept { return late_; }

  /// Takes the next sequence number, sent at `now_ns`; requires `can_send()`.
  std::uint64_t push(std::uint64_t now_ns) noexcept;

  /// `ordered`: a delivery of `seq` to the receiver whose highest sequence
  /// number seen so far is `last` (-1 before the first); updates `last`.
  delivery deliver(std::uint64_t seq, std::int64_t& last) noexcept;
  /// `any_one`: a delivery of `seq` to some member of the group.
  delivery deliver(std::uint64_t seq);

  /// The broker acknowledged `seq`; returns the messages this resolved.
  /// Acknowledgements of messages no longer outstanding are ignored.
  std::uint64_t ack(std::uint64_t seq) noexcept;

  /// Packet id of sequence number `seq` (QoS ≥ 1): 1..65535, unique within
  /// any window of at most 65535 messages.
  [[nodiscard]] static std::uint16_t packet_id_of(std::uint64_t seq) noexcept {
    return static_cast<std::uint16_t>(seq % 65535 + 1);
  }
  /// The outstanding sequence number with packet id `id`, if any.
  [[nodiscard]] std::optional<std::uint64_t> seq_of(std::uint16_t id) const noexcept;

  /// Resolves, oldest first, every message sent before `deadline_ns`;
  /// returns how many were resolved.
  std::uint64_t expire(std::uint64_t deadline_ns);

 private:
  struct slot {
    std::uint32_t deliveries = 0;
    bool acked = false;
    std::uint64_t sent_ns = 0;
  };
  [[nodiscard]] slot& at(std::uint64_t seq) noexcept { return slots_[seq % slots_.size()]; }
  [[nodiscard]] bool resolved(const slot& s) const noexcept {
    return s.deliveries >= receivers_ && (s.acked || !needs_ack_);
  }
  /// Moves the base past resolved messages; returns how many.
  std::uint64_t settle() noexcept;

  std::vector<slot> slots_;
  std::uint32_t receivers_ = 1;
  bool needs_ack_ = false;
  delivery_mode mode_ = delivery_mode::ordered;
  std::uint64_t next_ = 0;
  std::uint64_t base_ = 0;
  std::uint64_t expired_ = 0;
  std::uint64_t late_ = 0;
  /// any_one: expired messages that no receiver got yet (a late delivery
  /// is recognised, not taken for a duplicate).
  std::unordered_set<std::uint64_t> missing_;
};

}  // namespace iotb::loadgen
