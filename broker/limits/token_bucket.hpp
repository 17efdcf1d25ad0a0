#pragma once
/// @file
/// Token-bucket rate limiting for the quotas of SPEC §6: `rate` tokens every
/// `period`, at most `burst` saved up. Pure: no I/O, no clock reads (the
/// caller passes `now`, so tests inject time), no globals; O(1) per call
/// except `keyed_rate`, whose lookup is a hash-map find.
///
/// The three limiters:
/// - `token_bucket`: one owner (a connection or session actor), exact.
/// - `shared_bucket`: broker-wide, many threads, one atomic word, lock-free.
/// - `keyed_rate`: one owner, one bucket per key (device), bounded memory.
///
/// All three implement the GCRA ("virtual scheduling") form of the token
/// bucket: the state is the theoretical arrival time `tat`, the moment the
/// bucket will be full again; taking `n` tokens pushes it `n` token intervals
/// into the future and is allowed while it stays within `burst` intervals of
/// `now`. One time value instead of (tokens, last refill) keeps the buckets
/// small and makes a shared bucket a single compare-and-swap.
///
/// Exactness: `token_bucket` and `keyed_rate` count in scaled integers (a
/// token is worth `period` in ns, a nanosecond is worth `rate`), keeping the
/// remainder, so `burst + floor(elapsed * rate / period)` tokens are granted
/// over any run, without drift. `shared_bucket` trades this for a single
/// 64-bit atomic; see its documentation.
///
/// Time: `std::chrono::steady_clock` time points. A time point earlier than
/// one already used (only possible with injected time, or across threads for
/// `shared_bucket`) is handled as is: it can make tokens scarcer, never
/// create them. Arithmetic is checked: no time point, however far apart from
/// the previous one, overflows; near the end of the clock's range (year 2262
/// for a boot-based steady clock) requests that would overflow are refused.
///
/// Thread-safety: `token_bucket` and `keyed_rate` are not synchronised (one
/// owner); every member of `shared_bucket` may be called from any thread.

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <list>
#include <string>
#include <string_view>
#include <unordered_map>

namespace iotb::limits {

/// The time base of every limiter (injectable: any time point will do).
using time_point = std::chrono::steady_clock::time_point;

namespace detail {

inline constexpr std::uint64_t ns_per_ms = 1'000'000;

/// Largest `burst × period` in ns (scaled units); keeps debts within 63 bits.
inline constexpr std::uint64_t max_scaled = std::numeric_limits<std::int64_t>::max();

/// Limiter parameters after normalisation.
struct params {
  std::uint32_t rate = 0;       ///< tokens per period; 0: unlimited
  std::uint32_t period_ms = 1;  ///< in [1, 2^32) ms
  std::uint32_t burst = 0;      ///< in [1, rate-dependent maximum]
};

/// Normalises user parameters: a period of 0 or less means unlimited
/// (`rate` 0); a period above 2^32-1 ms (49.7 days) is clamped; burst 0
/// means `rate`; burst is clamped so that `burst × period` in ns fits in
/// `max_scaled` (no clamping for periods up to 2.1 s).
[[nodiscard]] params normalise(std::uint32_t rate, std::chrono::milliseconds period,
                               std::uint32_t burst) noexcept;

/// Nanoseconds since the clock's epoch.
[[nodiscard]] inline std::int64_t ticks(time_point t) noexcept {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

/// The GCRA step of `token_bucket` and `keyed_rate`. `tat + frac / rate` ns
/// is the theoretical arrival time; `frac < rate`. Requires `p.rate > 0`.
/// @returns whether `n` tokens were taken at `t` (the state is unchanged if not).
[[nodiscard]] inline bool take(std::int64_t& tat, std::uint32_t& frac, std::int64_t t,
                               std::uint32_t n, const params& p) noexcept {
  if (n > p.burst)
    return false;
  const std::uint64_t unit = std::uint64_t{p.period_ms} * ns_per_ms;  // one token
  const std::uint64_t cap = unit * p.burst;                           // <= max_scaled
  std::uint64_t debt = 0;  // scaled units until full; tat < t means full
  if (tat >= t) {
    const std::uint64_t ahead = static_cast<std::uint64_t>(tat) - static_cast<std::uint64_t>(t);
    if (__builtin_mul_overflow(ahead, std::uint64_t{p.rate}, &debt) ||
        __builtin_add_overflow(debt, std::uint64_t{frac}, &debt))
      return false;  // far in debt (time went backwards)
  }
  const std::uint64_t cost = unit * n;
  if (debt > cap - cost)
    return false;
  debt += cost;
  std::int64_t next;
  if (__builtin_add_overflow(t, static_cast<std::int64_t>(debt / p.rate), &next))
    return false;  // the end of the clock's range
  tat = next;
  frac = static_cast<std::uint32_t>(debt % p.rate);
  return true;
}

}  // namespace detail

/// A token bucket with one owner: `rate` tokens per `period`, up to `burst`
/// saved. Starts full. Exact (see the file comment). 24 bytes, no heap.
///
/// Thread-safety: none; one owner (e.g. a connection actor) uses it.
class token_bucket {
 public:
  /// An unlimited bucket.
  token_bucket() noexcept = default;

  /// `rate` tokens per `period`; `rate` 0 (or `period` <= 0) means
  /// unlimited. `burst`: capacity, 0 meaning `rate`. Periods are whole
  /// milliseconds up to 49.7 days (longer ones are clamped); `burst` is
  /// clamped so that `burst × period` fits in 2^63 ns (no clamping for periods
  /// up to 2.1 s; e.g. at most 153 million per minute, 2.5 million per hour).
  token_bucket(std::uint32_t rate, std::chrono::milliseconds period,
               std::uint32_t burst = 0) noexcept
      : token_bucket(detail::normalise(rate, period, burst)) {}

  /// Takes `n` tokens at `now` if that many are available.
  /// @returns true if taken; false (and nothing taken) otherwise. Always true
  ///   when unlimited; always false for `n > burst()`.
  /// Complexity: O(1), a few integer operations and one division.
  [[nodiscard]] bool try_take(time_point now, std::uint32_t n = 1) noexcept {
    return rate_ == 0 || detail::take(tat_, frac_, detail::ticks(now), n, params());
  }

  /// Takes `n` tokens unconditionally, going into debt if needed: for
  /// bandwidth, where the bytes were already read. `wait_time(now, 0)` then
  /// tells how long to pause reading. The debt saturates at the end of the
  /// clock's range.
  void consume(time_point now, std::uint32_t n) noexcept;

  /// How long from `now` until `n` tokens are available (0: now), e.g. how
  /// long a connection pauses reading. `nanoseconds::max()` if never
  /// (`n > burst()`). Exact: `try_take(now + wait_time(now, n), n)` succeeds
  /// and `try_take` one nanosecond earlier fails.
  [[nodiscard]] std::chrono::nanoseconds wait_time(time_point now,
                                                   std::uint32_t n = 1) const noexcept;

  /// Whole tokens available at `now`; `uint32_t` max when unlimited.
  [[nodiscard]] std::uint32_t available(time_point now) const noexcept;

  /// Changes the parameters (as the constructor) at `now`, keeping the tokens
  /// available (rounded down, capped at the new burst): reconfiguring never
  /// grants tokens. A bucket in debt (`consume`) keeps its time to recover.
  /// Switching from or to unlimited starts full.
  void reconfigure(time_point now, std::uint32_t rate, std::chrono::milliseconds period,
                   std::uint32_t burst = 0) noexcept;

  [[nodiscard]] std::uint32_t rate() const noexcept { return rate_; }  ///< 0: unlimited
  /// The refill period.
  [[nodiscard]] std::chrono::milliseconds period() const noexcept {
    return std::chrono::milliseconds{period_ms_};
  }
  [[nodiscard]] std::uint32_t burst() const noexcept { return burst_; }  ///< capacity
  [[nodiscard]] bool unlimited() const noexcept { return rate_ == 0; }   ///< rate 0

 private:
  explicit token_bucket(detail::params p) noexcept
      : rate_(p.rate), period_ms_(p.period_ms), burst_(p.burst) {}
  [[nodiscard]] detail::params params() const noexcept { return {rate_, period_ms_, burst_}; }

  // Field order keeps the size at 24 bytes.
  std::int64_t tat_ = std::numeric_limits<std::int64_t>::min();  ///< ns; in the past: full
  std::uint32_t frac_ = 0;  ///< sub-ns part of tat, in 1/rate ns
  std::uint32_t rate_ = 0;
  std::uint32_t period_ms_ = 1;
  std::uint32_t burst_ = 0;
};

/// A token bucket shared by many threads (broker-wide limits such as
/// connects or uplink messages per second): one 64-bit atomic, updated by a
/// compare-and-swap loop; no mutex, no allocation. Starts full.
///
/// Precision trade-off: the state is a whole nanosecond, so the token
/// interval `period / rate` is rounded *up* to a whole nanosecond. The
/// bucket is exact when `period` in ns is a multiple of `rate` (500/s,
/// 10,000/s, 8/min, ...); otherwise it grants slightly less than the rate,
/// never more: the relative shortfall is below `rate / period_ns` (3e-8 at
/// 30/s, 1e-5 at 12,345/s), but grows for rates near one per nanosecond.
/// Threads passing slightly stale `now` values see a little less budget,
/// never more.
///
/// Thread-safety: every member may be called from any thread concurrently.
/// `reconfigure` racing with `try_take` may let one take see the new rate
/// with the old burst (or vice versa).
class alignas(64) shared_bucket {
 public:
  /// As `token_bucket`'s constructor (same normalisation).
  shared_bucket(std::uint32_t rate, std::chrono::milliseconds period,
                std::uint32_t burst = 0) noexcept;
  shared_bucket(const shared_bucket&) = delete;
  shared_bucket& operator=(const shared_bucket&) = delete;

  /// Takes `n` tokens at `now` if available (as `token_bucket::try_take`).
  /// Lock-free: retries its CAS only when another thread changed the state.
  [[nodiscard]] bool try_take(time_point now, std::uint32_t n = 1) noexcept {
    const std::uint64_t interval = interval_.load(std::memory_order_relaxed);
    if (interval == 0)
      return true;  // unlimited
    const std::uint32_t burst = burst_.load(std::memory_order_relaxed);
    if (n > burst)
      return false;
    const std::int64_t t = detail::ticks(now);
    // Checked because a concurrent `reconfigure` may pair a new interval with
    // an old burst; otherwise both are <= max_scaled.
    std::int64_t cost, tolerance;
    if (__builtin_mul_overflow(interval, n, &cost))
      return false;
    if (__builtin_mul_overflow(interval, burst, &tolerance))
      tolerance = std::numeric_limits<std::int64_t>::max();
    std::int64_t tat = tat_.load(std::memory_order_relaxed);
    for (;;) {
      std::int64_t next;
      if (__builtin_add_overflow(tat < t ? t : tat, cost, &next))
        return false;  // the end of the clock's range
      // next - t overflows only if t is near the minimum: then it is large.
      std::int64_t ahead;
      if (__builtin_sub_overflow(next, t, &ahead) || ahead > tolerance)
        return false;
      if (tat_.compare_exchange_weak(tat, next, std::memory_order_relaxed))
        return true;
    }
  }

  /// As `token_bucket::wait_time` (may be stale as soon as it returns).
  [[nodiscard]] std::chrono::nanoseconds wait_time(time_point now,
                                                   std::uint32_t n = 1) const noexcept;

  /// As `token_bucket::reconfigure`: keeps the tokens available at `now`.
  /// Safe against concurrent `try_take`; not meant to race with another
  /// `reconfigure` (one of them wins, possibly with the other's burst).
  void reconfigure(time_point now, std::uint32_t rate, std::chrono::milliseconds period,
                   std::uint32_t burst = 0) noexcept;

  /// Token interval in ns (rounded up); 0: unlimited.
  [[nodiscard]] std::chrono::nanoseconds interval() const noexcept {
    return std::chrono::nanoseconds{interval_.load(std::memory_order_relaxed)};
  }
  /// Capacity in tokens.
  [[nodiscard]] std::uint32_t burst() const noexcept {
    return burst_.load(std::memory_order_relaxed);
  }

 private:
  void store(const detail::params& p) noexcept;

  std::atomic<std::int64_t> tat_{std::numeric_limits<std::int64_t>::min()};  ///< ns
  std::atomic<std::uint64_t> interval_{0};  ///< ns per token, rounded up; 0: unlimited
  std::atomic<std::uint32_t> burst_{0};
};

/// One token bucket per key ("5 connects per minute per device"), all with
/// the same parameters, in a table of at most `max_keys` entries. Exact per
/// key, like `token_bucket`, while the key keeps its entry.
///
/// Memory: bounded by `max_keys` entries of about 150 bytes plus the key
/// (keys longer than 15 bytes are heap-allocated; the caller bounds key
/// length, e.g. the codec's client-id limit). A full table reuses entries in
/// place; `sweep` frees them.
///
/// A full table never refuses a key. A new key takes the place of a
/// reclaimable entry (its bucket is full again: forgetting it changes
/// nothing), looking at the `scan` least recently used entries. If none of
/// them is reclaimable, the one with the least debt among them is evicted
/// and `stats().evicted_active` counts it: that key's limit restarts from a
/// full bucket, so the per-key limit is guaranteed only while fewer than
/// `max_keys` keys are active within one refill time (`burst × period /
/// rate`); size `max_keys` for that.
///
/// Thread-safety: none; one owner (e.g. the session manager actor).
class keyed_rate {
 public:
  /// Entries examined for reclamation when the table is full.
  static constexpr std::size_t scan = 8;

  /// Counters for metrics.
  struct stats {
    std::uint64_t reclaimed = 0;       ///< entries reused because their bucket was full
    std::uint64_t evicted_active = 0;  ///< entries evicted while still limiting
  };

  /// Parameters as `token_bucket`'s constructor; `max_keys` >= 1 (0 is
  /// treated as 1). `rate` 0: unlimited, nothing is stored.
  keyed_rate(std::uint32_t rate, std::chrono::milliseconds period, std::uint32_t burst,
             std::size_t max_keys);
  keyed_rate(const keyed_rate&) = delete;
  keyed_rate& operator=(const keyed_rate&) = delete;

  /// Takes `n` tokens from `key`'s bucket at `now` (an unknown key starts
  /// full; a failed take also marks the key as recently used).
  /// Complexity: O(1) average (one hash lookup; `scan` entries when a new key
  /// meets a full table). May allocate the first time a key is stored.
  [[nodiscard]] bool try_take(std::string_view key, time_point now, std::uint32_t n = 1);

  /// True when `try_take(key, now, n)` would succeed; changes nothing (for
  /// limits that count failures: refuse before trying, take after failing).
  [[nodiscard]] bool would_take(std::string_view key, time_point now,
                                std::uint32_t n = 1) const noexcept;

  /// Frees entries whose bucket is full at `now`, from the least recently
  /// used end, stopping at the first that is not. Optional housekeeping (a
  /// full table reclaims on its own); returns how many were freed.
  std::size_t sweep(time_point now);

  [[nodiscard]] std::size_t size() const noexcept { return index_.size(); }  ///< stored keys
  [[nodiscard]] std::size_t max_keys() const noexcept { return max_keys_; }  ///< the bound
  [[nodiscard]] const stats& counters() const noexcept { return stats_; }    ///< see `stats`

 private:
  struct entry {
    std::string key;
    std::int64_t tat = std::numeric_limits<std::int64_t>::min();
    std::uint32_t frac = 0;
  };
  using list = std::list<entry>;  ///< most recently used first

  /// An entry whose bucket is full at `t` (forgetting it changes nothing).
  static bool full(const entry& e, std::int64_t t) noexcept {
    return e.tat < t || (e.tat == t && e.frac == 0);
  }
  list::iterator slot_for(std::string_view key, std::int64_t t);

  detail::params params_;
  std::size_t max_keys_;
  list lru_;
  std::unordered_map<std::string_view, list::iterator> index_;  ///< views into lru_ keys
  stats stats_;
};

}  // namespace iotb::limits
