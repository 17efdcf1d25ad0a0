#pragma once
/// @file
/// Metric primitives for the hot path: counters whose increments never
/// share a cache line between threads (per-thread cells, summed on read),
/// gauges, and a fixed-bucket histogram. Reading (a scrape) is rare and may
/// be slow; writing is one relaxed atomic add on a line the thread owns.
///
/// Thread-safety: every member may be called from any thread.

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <span>

namespace iotb::metrics {

/// The calling thread's cell index in [0, cells): threads get distinct
/// indices in the order they first count (beyond `cells` they share).
[[nodiscard]] std::size_t thread_slot() noexcept;

/// A monotonically increasing count (Prometheus counter).
class counter {
 public:
  static constexpr std::size_t cells = 16;

  void inc(std::uint64_t n = 1) noexcept {
    cells_[thread_slot()].v.fetch_add(n, std::memory_order_relaxed);
  }
  /// The sum of all cells (a snapshot; concurrent increments may or may
  /// not be in it).
  [[nodiscard]] std::uint64_t value() const noexcept {
    std::uint64_t sum = 0;
    for (const auto& c : cells_)
      sum += c.v.load(std::memory_order_relaxed);
    return sum;
  }

 private:
  struct alignas(64) cell {
    std::atomic<std::uint64_t> v{0};
  };
  std::array<cell, cells> cells_{};
};

/// A value that goes up and down (connections); changed rarely, per
/// connection rather than per message.
class gauge {
 public:
  void add(std::int64_t n = 1) noexcept { v_.fetch_add(n, std::memory_order_relaxed); }
  void sub(std::int64_t n = 1) noexcept { v_.fetch_sub(n, std::memory_order_relaxed); }
  void set(std::int64_t n) noexcept { v_.store(n, std::memory_order_relaxed); }
  [[nodiscard]] std::int64_t value() const noexcept { return v_.load(std::memory_order_relaxed); }

 private:
  alignas(64) std::atomic<std::int64_t> v_{0};
};

/// Observations in fixed buckets (upper bounds in seconds, ascending), as
/// Prometheus histograms are: cumulative on read.
class histogram {
 public:
  static constexpr std::size_t max_buckets = 16;
  /// `bounds`: at most `max_buckets` ascending upper bounds (seconds).
  explicit histogram(std::span<const double> bounds) noexcept;

  /// Records one observation of `seconds`.
  void observe(double seconds) noexcept;

  [[nodiscard]] std::span<const double> bounds() const noexcept { return {bounds_.data(), n_}; }
  /// Observations ≤ bounds()[i] (cumulative).
  [[nodiscard]] std::uint64_t cumulative(std::size_t i) const noexcept;
  [[nodiscard]] std::uint64_t count() const noexcept { return count_.value(); }
  [[nodiscard]] double sum() const noexcept { return static_cast<double>(sum_ns_.value()) / 1e9; }

 private:
  std::array<double, max_buckets> bounds_{};
  std::size_t n_ = 0;
  std::array<std::atomic<std::uint64_t>, max_buckets + 1> buckets_{};  // last: +Inf
  counter count_;
  counter sum_ns_;
};

}  // namespace iotb::metrics
