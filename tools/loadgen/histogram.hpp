#pragma once
/// @file
/// A log-bucketed histogram of non-negative integer values (the load
/// generator records end-to-end latencies in nanoseconds). Values below 64
/// are exact; above, each power of two is split into 32 buckets, so a
/// reported percentile is within 1/32 (≈ 3 %) of the true value. The
/// maximum and minimum are exact. Memory: about 15 KiB, independent of the
/// number of values.

#include <cstdint>
#include <vector>

namespace iotb::loadgen {

class histogram {
 public:
  histogram();

  /// Adds one value.
  void record(std::uint64_t v) noexcept;
  /// Adds every value of `other`.
  void merge(const histogram& other) noexcept;

  [[nodiscard]] std::uint64_t count() const noexcept { return count_; }
  [[nodiscard]] std::uint64_t max() const noexcept { return max_; }
  /// 0 when empty.
  [[nodiscard]] std::uint64_t min() const noexcept { return count_ ? min_ : 0; }

  /// The value below or at which `p` percent of the values lie (p in
  /// [0, 100]): the middle of the bucket holding the value of rank
  /// ceil(p / 100 · count), clamped to [min, max]. 0 when empty.
  [[nodiscard]] std::uint64_t percentile(double p) const noexcept;

  /// Bucket index of `v` and the bucket's lower bound and width (exposed
  /// for the tests).
  [[nodiscard]] static std::size_t bucket_of(std::uint64_t v) noexcept;
  [[nodiscard]] static std::uint64_t bucket_low(std::size_t i) noexcept;
  [[nodiscard]] static std::uint64_t bucket_width(std::size_t i) noexcept;

 private:
  std::vector<std::uint64_t> buckets_;
  std::uint64_t count_ = 0;
  std::uint64_t min_ = ~std::uint64_t{0};
  std::uint64_t max_ = 0;
};

}  // namespace iotb::loadgen
