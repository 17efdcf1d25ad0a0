#include "broker/limits/token_bucket.hpp"

#include <algorithm>
#include <iterator>

namespace iotb::limits {

namespace {

// The slow paths compute in 128 bits: debts there may exceed 63 bits
// (`consume`, time going backwards) and products of two 64-bit values occur.
using u128 = unsigned __int128;
using i128 = __int128;

constexpr std::int64_t max_ns = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t min_ns = std::numeric_limits<std::int64_t>::min();

u128 unit_of(const detail::params& p) {
  return u128{p.period_ms} * detail::ns_per_ms;
}

// Scaled units until the bucket is full at `t` (see detail::take).
u128 debt_at(std::int64_t tat, std::uint32_t frac, std::int64_t t, std::uint32_t rate) {
  if (tat < t)
    return 0;
  return u128{static_cast<std::uint64_t>(tat) - static_cast<std::uint64_t>(t)} * rate + frac;
}

// Sets the state to `debt` scaled units at `t`, saturating at the end of the
// clock's range.
void set_debt(std::int64_t& tat, std::uint32_t& frac, std::int64_t t, u128 debt,
              std::uint32_t rate) {
  const u128 ahead = debt / rate;
  const u128 room = static_cast<std::uint64_t>(max_ns) - static_cast<std::uint64_t>(t);
  if (ahead > room) {
    tat = max_ns;
    frac = 0;
    return;
  }
  tat =
      static_cast<std::int64_t>(static_cast<std::uint64_t>(t) + static_cast<std::uint64_t>(ahead));
  frac = static_cast<std::uint32_t>(debt % rate);
}

std::chrono::nanoseconds clamp_ns(u128 ns) {
  return std::chrono::nanoseconds{ns > static_cast<u128>(max_ns) ? max_ns
                                                                 : static_cast<std::int64_t>(ns)};
}

}  // namespace

namespace detail {

params normalise(std::uint32_t rate, std::chrono::milliseconds period,
                 std::uint32_t burst) noexcept {
  if (rate == 0 || period.count() <= 0)
    return {};
  params p;
  p.rate = rate;
  p.period_ms = static_cast<std::uint32_t>(
      std::min<std::chrono::milliseconds::rep>(period.count(), UINT32_MAX));
  p.burst = burst == 0 ? rate : burst;
  const std::uint64_t max_burst = max_scaled / (std::uint64_t{p.period_ms} * ns_per_ms);
  if (p.burst > max_burst)
    p.burst = static_cast<std::uint32_t>(max_burst);  // >= 2147
  return p;
}

}  // namespace detail

// -- token_bucket -------------------------------------------------------------

void token_bucket::consume(time_point now, std::uint32_t n) noexcept {
  if (rate_ == 0)
    return;
  const std::int64_t t = detail::ticks(now);
  const u128 debt = debt_at(tat_, frac_, t, rate_) + unit_of(params()) * n;
  set_debt(tat_, frac_, t, debt, rate_);
}

std::chrono::nanoseconds token_bucket::wait_time(time_point now, std::uint32_t n) const noexcept {
  if (rate_ == 0)
    return std::chrono::nanoseconds{0};
  if (n > burst_)
    return std::chrono::nanoseconds::max();
  const u128 unit = unit_of(params());
  const u128 need = debt_at(tat_, frac_, detail::ticks(now), rate_) + unit * n;
  const u128 cap = unit * burst_;
  if (need <= cap)
    return std::chrono::nanoseconds{0};
  return clamp_ns((need - cap + rate_ - 1) / rate_);  // the first ns at which it fits
}

std::uint32_t token_bucket::available(time_point now) const noexcept {
  if (rate_ == 0)
    return std::numeric_limits<std::uint32_t>::max();
  const u128 unit = unit_of(params());
  const u128 cap = unit * burst_;
  const u128 debt = debt_at(tat_, frac_, detail::ticks(now), rate_);
  return debt >= cap ? 0 : static_cast<std::uint32_t>((cap - debt) / unit);
}

void token_bucket::reconfigure(time_point now, std::uint32_t rate, std::chrono::milliseconds period,
                               std::uint32_t burst) noexcept {
  const detail::params next = detail::normalise(rate, period, burst);
  if (rate_ == 0 || next.rate == 0) {
    *this = token_bucket{next};  // starts full
    return;
  }
  const std::int64_t t = detail::ticks(now);
  const u128 unit = unit_of(params());
  const u128 cap = unit * burst_;
  const u128 debt = debt_at(tat_, frac_, t, rate_);
  const u128 next_unit = unit_of(next);
  const u128 next_cap = next_unit * next.burst;
  u128 next_debt;
  if (debt <= cap) {
    // Same tokens (fractions rounded down), at most the new burst.
    const u128 avail = (cap - debt) * next_unit / unit;  // < 2^63 * 2^52
    next_debt = avail >= next_cap ? 0 : next_cap - avail;
  } else {
    // In debt: same time until the debt is paid back to a full burst.
    const u128 over_ns = (debt - cap + rate_ - 1) / rate_;  // < 2^64
    next_debt = next_cap + over_ns * next.rate;
  }
  rate_ = next.rate;
  period_ms_ = next.period_ms;
  burst_ = next.burst;
  set_debt(tat_, frac_, t, next_debt, rate_);
}

// -- shared_bucket ------------------------------------------------------------

shared_bucket::shared_bucket(std::uint32_t rate, std::chrono::milliseconds period,
                             std::uint32_t burst) noexcept {
  store(detail::normalise(rate, period, burst));
}

void shared_bucket::store(const detail::params& p) noexcept {
  const std::uint64_t unit = std::uint64_t{p.period_ms} * detail::ns_per_ms;
  burst_.store(p.burst, std::memory_order_relaxed);
  // Rounded up: never more than the configured rate.
  interval_.store(p.rate == 0 ? 0 : (unit + p.rate - 1) / p.rate, std::memory_order_relaxed);
}

std::chrono::nanoseconds shared_bucket::wait_time(time_point now, std::uint32_t n) const noexcept {
  const std::uint64_t interval = interval_.load(std::memory_order_relaxed);
  if (interval == 0)
    return std::chrono::nanoseconds{0};
  const std::uint32_t burst = burst_.load(std::memory_order_relaxed);
  if (n > burst)
    return std::chrono::nanoseconds::max();
  const std::int64_t t = detail::ticks(now);
  const std::int64_t tat = tat_.load(std::memory_order_relaxed);
  const i128 need = i128{std::max(tat, t)} - t + i128{interval} * n - i128{interval} * burst;
  return need <= 0 ? std::chrono::nanoseconds{0} : clamp_ns(static_cast<u128>(need));
}

void shared_bucket::reconfigure(time_point now, std::uint32_t rate,
                                std::chrono::milliseconds period, std::uint32_t burst) noexcept {
  const detail::params p = detail::normalise(rate, period, burst);
  const std::uint64_t interval = interval_.load(std::memory_order_relaxed);
  const i128 tolerance = i128{interval} * burst_.load(std::memory_order_relaxed);
  store(p);
  const std::uint64_t next_interval = interval_.load(std::memory_order_relaxed);
  if (interval == 0 || next_interval == 0) {
    tat_.store(min_ns, std::memory_order_relaxed);  // starts full
    return;
  }
  const i128 next_tolerance = i128{next_interval} * p.burst;
  const std::int64_t t = detail::ticks(now);
  std::int64_t tat = tat_.load(std::memory_order_relaxed);
  for (;;) {
    const i128 ahead = i128{std::max(tat, t)} - t;  // ns until full
    i128 next_ahead;
    if (ahead <= tolerance) {
      // Same tokens (fractions rounded down), at most the new burst.
      const i128 avail = (tolerance - ahead) * next_interval / interval;
      next_ahead = avail >= next_tolerance ? 0 : next_tolerance - avail;
    } else {
      next_ahead = next_tolerance + (ahead - tolerance);  // same time in debt
    }
    const i128 next = std::min<i128>(i128{t} + next_ahead, max_ns);
    if (tat_.compare_exchange_weak(tat, static_cast<std::int64_t>(next), std::memory_order_relaxed))
      return;
  }
}

// -- keyed_rate ---------------------------------------------------------------

keyed_rate::keyed_rate(std::uint32_t rate, std::chrono::milliseconds period, std::uint32_t burst,
                       std::size_t max_keys)
    : params_(detail::normalise(rate, period, burst)),
      max_keys_(std::max<std::size_t>(max_keys, 1)) {}

bool keyed_rate::try_take(std::string_view key, time_point now, std::uint32_t n) {
  if (params_.rate == 0)
    return true;
  const std::int64_t t = detail::ticks(now);
  list::iterator e;
  if (auto it = index_.find(key); it != index_.end()) {
    e = it->second;
    lru_.splice(lru_.begin(), lru_, e);  // most recently used
  } else {
    e = slot_for(key, t);
  }
  return detail::take(e->tat, e->frac, t, n, params_);
}

bool keyed_rate::would_take(std::string_view key, time_point now, std::uint32_t n) const noexcept {
  if (params_.rate == 0)
    return true;
  std::int64_t tat = min_ns;
  std::uint32_t frac = 0;
  if (auto it = index_.find(key); it != index_.end()) {
    tat = it->second->tat;
    frac = it->second->frac;
  }
  return detail::take(tat, frac, detail::ticks(now), n, params_);
}

keyed_rate::list::iterator keyed_rate::slot_for(std::string_view key, std::int64_t t) {
  if (lru_.size() < max_keys_) {
    lru_.push_front(entry{std::string{key}});
  } else {
    // A full bucket among the least recently used, else the least debt.
    auto victim = std::prev(lru_.end());
    bool reclaimable = false;
    auto it = victim;
    for (std::size_t i = 1;; ++i) {
      if (full(*it, t)) {
        victim = it;
        reclaimable = true;
        break;
      }
      if (it->tat < victim->tat || (it->tat == victim->tat && it->frac < victim->frac))
        victim = it;
      if (i == scan || it == lru_.begin())
        break;
      --it;
    }
    ++(reclaimable ? stats_.reclaimed : stats_.evicted_active);
    index_.erase(victim->key);
    victim->key.assign(key);  // reuses the key's storage when it fits
    victim->tat = min_ns;
    victim->frac = 0;
    lru_.splice(lru_.begin(), lru_, victim);
  }
  index_.emplace(lru_.front().key, lru_.begin());
  return lru_.begin();
}

std::size_t keyed_rate::sweep(time_point now) {
  const std::int64_t t = detail::ticks(now);
  std::size_t freed = 0;
  while (!lru_.empty()) {
    const entry& e = lru_.back();
    if (!full(e, t))
      break;
    index_.erase(e.key);
    lru_.pop_back();
    ++freed;
  }
  return freed;
}

}  // namespace iotb::limits
