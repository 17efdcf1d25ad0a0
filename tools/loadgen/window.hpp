#pragma once
/// @file
/// The closed-loop send window of one publisher: message k may be sent
/// only while fewer than `size` messages before it are unresolved. A
/// message is resolved once it has been accounted for `needed` times:
/// once per subscriber (received, or skipped over as lost) and, for QoS 1,
/// once for its PUBACK.

#include <cstdint>
#include <vector>

namespace iotb::loadgen {

class window {
 public:
  window() = default;
  window(std::uint32_t size, std::uint32_t needed) : counts_(size, 0), needed_(needed) {}

  [[nodiscard]] bool can_send() const noexcept { return next_ - base_ < counts_.size(); }
  /// Messages sent and not yet resolved.
  [[nodiscard]] std::uint64_t outstanding() const noexcept { return next_ - base_; }
  /// Messages that may be sent now.
  [[nodiscard]] std::uint64_t free() const noexcept { return counts_.size() - outstanding(); }
  /// The window's size.
  [[nodiscard]] std::uint64_t size() const noexcept { return counts_.size(); }
  /// Sequence number the next message gets.
  [[nodiscard]] std::uint64_t next() const noexcept { return next_; }
  /// Oldest unresolved sequence number (== next() when none).
  [[nodiscard]] std::uint64_t base() const noexcept { return base_; }

  /// Takes the next sequence number; requires `can_send()`.
  std::uint64_t push() noexcept { return next_++; }

  /// Accounts once for every sequence number in [from, to) that is still
  /// outstanding; returns how many messages became resolved (the window
  /// opened by that much).
  std::uint64_t resolve(std::uint64_t from, std::uint64_t to) noexcept {
    if (from < base_)
      from = base_;
    if (to > next_)
      to = next_;
    for (auto s = from; s < to; ++s)
      ++counts_[s % counts_.size()];
    auto before = base_;
    while (base_ < next_ && counts_[base_ % counts_.size()] >= needed_)
      counts_[base_++ % counts_.size()] = 0;
    return base_ - before;
  }

 private:
  std::vector<std::uint32_t> counts_;
  std::uint32_t needed_ = 1;
  std::uint64_t next_ = 0;
  std::uint64_t base_ = 0;
};

}  // namespace iotb::loadgen
