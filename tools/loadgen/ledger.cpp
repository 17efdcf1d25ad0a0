/// @file
/// Send window and loss/duplicate accounting (see ledger.hpp).

#include "tools/loadgen/ledger.hpp"

#include <algorithm>

namespace iotb::loadgen {

ledger::ledger(std::uint32_t size, std::uint32_t receivers, bool needs_ack, delivery_mode mode)
    : slots_(std::clamp<std::uint32_t>(size, 1, 65535)),
      receivers_(std::max<std::uint32_t>(receivers, 1)),
      needs_ack_(needs_ack),
      mode_(mode) {}

std::uint64_t ledger::push(std::uint64_t now_ns) noexcept {
  auto& s = at(next_);
  s = slot{};
  s.sent_ns = now_ns;
  return next_++;
}

std::uint64_t ledger::settle() noexcept {
  auto before = base_;
  while (base_ < next_ && resolved(at(base_)))
    ++base_;
  return base_ - before;
}

delivery ledger::deliver(std::uint64_t seq, std::int64_t& last) noexcept {
  delivery d;
  if (seq >= next_) {
    d.unknown = true;
    return d;
  }
  if (static_cast<std::int64_t>(seq) <= last) {
    d.duplicate = true;
    return d;
  }
  auto first = static_cast<std::uint64_t>(last + 1);
  d.skipped = seq - first;
  d.late = seq < base_;  // expired before it came
  if (d.late)
    ++late_;
  // This receiver accounts for every message up to `seq`: the skipped ones
  // as lost, `seq` as received (those already expired need nothing).
  for (auto s = std::max(first, base_); s <= seq; ++s)
    ++at(s).deliveries;
  last = static_cast<std::int64_t>(seq);
  d.opened = settle();
  return d;
}

delivery ledger::deliver(std::uint64_t seq) {
  delivery d;
  if (seq >= next_) {
    d.unknown = true;
    return d;
  }
  if (seq < base_) {
    if (missing_.erase(seq) != 0) {
      d.late = true;
      ++late_;
    } else {
      d.duplicate = true;
    }
    return d;
  }
  auto& s = at(seq);
  if (s.deliveries >= receivers_) {
    d.duplicate = true;
    return d;
  }
  ++s.deliveries;
  d.opened = settle();
  return d;
}

std::uint64_t ledger::ack(std::uint64_t seq) noexcept {
  if (seq < base_ || seq >= next_)
    return 0;
  at(seq).acked = true;
  return settle();
}

std::optional<std::uint64_t> ledger::seq_of(std::uint16_t id) const noexcept {
  if (id == 0 || base_ == next_)
    return std::nullopt;
  auto offset = (std::uint64_t{id} + 65535 - 1 - base_ % 65535) % 65535;
  auto seq = base_ + offset;
  if (seq >= next_)
    return std::nullopt;
  return seq;
}

std::uint64_t ledger::expire(std::uint64_t deadline_ns) {
  auto before = base_;
  while (base_ < next_ && at(base_).sent_ns < deadline_ns) {
    const auto& s = at(base_);
    if (s.deliveries < receivers_) {
      ++expired_;
      if (mode_ == delivery_mode::any_one && s.deliveries == 0)
        missing_.insert(base_);
    }
    ++base_;
  }
  settle();  // resolved messages behind the expired ones
  return base_ - before;
}

}  // namespace iotb::loadgen
