#include "broker/metrics/metrics.hpp"

#include <algorithm>

namespace iotb::metrics {

std::size_t thread_slot() noexcept {
  static std::atomic<std::size_t> next{0};
  thread_local std::size_t slot = next.fetch_add(1, std::memory_order_relaxed) % counter::cells;
  return slot;
}

histogram::histogram(std::span<const double> bounds) noexcept
    : n_(std::min(bounds.size(), max_buckets)) {
  std::copy_n(bounds.begin(), n_, bounds_.begin());
}

void histogram::observe(double seconds) noexcept {
  std::size_t i = 0;
  while (i < n_ && seconds > bounds_[i])
    ++i;
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  count_.inc();
  sum_ns_.inc(seconds > 0 ? static_cast<std::uint64_t>(seconds * 1e9) : 0);
}

std::uint64_t histogram::cumulative(std::size_t i) const noexcept {
  std::uint64_t sum = 0;
  for (std::size_t k = 0; k <= i && k <= n_; ++k)
    sum += buckets_[k].load(std::memory_order_relaxed);
  return sum;
}

}  // namespace iotb::metrics
