/// @file
/// Log-bucketed histogram (see histogram.hpp).

#include "tools/loadgen/histogram.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

namespace iotb::loadgen {

namespace {

/// Mantissa bits: values < 2^bits are exact; above, 2^(bits-1) buckets per
/// power of two.
constexpr unsigned bits = 6;
constexpr std::uint64_t exact = std::uint64_t{1} << bits;  // 64
constexpr std::uint64_t half = exact / 2;                  // 32 buckets per octave
constexpr std::size_t bucket_count = exact + (64 - bits) * half;

}  // namespace

histogram::histogram() : buckets_(bucket_count, 0) {}

std::size_t histogram::bucket_of(std::uint64_t v) noexcept {
  if (v < exact)
    return static_cast<std::size_t>(v);
  auto shift = static_cast<unsigned>(std::bit_width(v)) - bits;  // >= 1
  auto mantissa = v >> shift;                                    // in [half, exact)
  return static_cast<std::size_t>(exact + (shift - 1) * half + (mantissa - half));
}

std::uint64_t histogram::bucket_low(std::size_t i) noexcept {
  if (i < exact)
    return i;
  auto shift = (i - exact) / half + 1;
  auto mantissa = (i - exact) % half + half;
  return std::uint64_t{mantissa} << shift;
}

std::uint64_t histogram::bucket_width(std::size_t i) noexcept {
  if (i < exact)
    return 1;
  return std::uint64_t{1} << ((i - exact) / half + 1);
}

void histogram::record(std::uint64_t v) noexcept {
  ++buckets_[bucket_of(v)];
  ++count_;
  min_ = std::min(min_, v);
  max_ = std::max(max_, v);
}

void histogram::merge(const histogram& other) noexcept {
  for (std::size_t i = 0; i < buckets_.size(); ++i)
    buckets_[i] += other.buckets_[i];
  count_ += other.count_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
}

std::uint64_t histogram::percentile(double p) const noexcept {
  if (count_ == 0)
    return 0;
  p = std::clamp(p, 0.0, 100.0);
  auto rank = static_cast<std::uint64_t>(std::ceil(p / 100.0 * static_cast<double>(count_)));
  rank = std::clamp<std::uint64_t>(rank, 1, count_);
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < buckets_.size(); ++i) {
    seen += buckets_[i];
    if (seen >= rank) {
      auto mid = bucket_low(i) + bucket_width(i) / 2;
      if (bucket_width(i) == 1)
        mid = bucket_low(i);
      return std::clamp(mid, min_, max_);
    }
  }
  return max_;
}

}  // namespace iotb::loadgen
