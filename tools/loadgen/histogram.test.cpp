// Percentiles of the load generator's log-bucketed histogram.

#include "tools/loadgen/histogram.hpp"

#include <gtest/gtest.h>

namespace iotb::loadgen {
namespace {

/// True when `got` is within the histogram's relative error of `want`.
void expect_near_rel(std::uint64_t got, std::uint64_t want) {
  auto tolerance = static_cast<double>(want) / 32.0 + 1.0;
  EXPECT_NEAR(static_cast<double>(got), static_cast<double>(want), tolerance)
      << "got " << got << ", want " << want;
}

TEST(Histogram, EmptyReportsZero) {
  histogram h;
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.percentile(50), 0u);
  EXPECT_EQ(h.percentile(99), 0u);
  EXPECT_EQ(h.max(), 0u);
  EXPECT_EQ(h.min(), 0u);
}

TEST(Histogram, SmallValuesAreExact) {
  histogram h;
  for (std::uint64_t v = 0; v < 64; ++v)
    h.record(v);
  EXPECT_EQ(h.percentile(50), 31u);  // rank 32 of 0..63
  EXPECT_EQ(h.percentile(100), 63u);
  EXPECT_EQ(h.percentile(0), 0u);
}

TEST(Histogram, SingleValueIsReportedExactly) {
  histogram h;
  h.record(123'456'789);
  EXPECT_EQ(h.percentile(50), 123'456'789u);
  EXPECT_EQ(h.percentile(99), 123'456'789u);
  EXPECT_EQ(h.max(), 123'456'789u);
}

TEST(Histogram, UniformPercentilesWithinBucketError) {
  histogram h;
  for (std::uint64_t v = 1; v <= 100'000; ++v)
    h.record(v * 1000);  // 1 µs .. 100 ms in ns
  EXPECT_EQ(h.count(), 100'000u);
  expect_near_rel(h.percentile(50), 50'000'000);
  expect_near_rel(h.percentile(90), 90'000'000);
  expect_near_rel(h.percentile(99), 99'000'000);
  expect_near_rel(h.percentile(99.9), 99'900'000);
  EXPECT_EQ(h.max(), 100'000'000u);
  EXPECT_EQ(h.min(), 1000u);
}

TEST(Histogram, TailIsSeenByP99NotP50) {
  histogram h;
  for (int i = 0; i < 980; ++i)
    h.record(10'000);
  for (int i = 0; i < 20; ++i)
    h.record(5'000'000);
  expect_near_rel(h.percentile(50), 10'000);
  expect_near_rel(h.percentile(99), 5'000'000);
  EXPECT_EQ(h.max(), 5'000'000u);
}

TEST(Histogram, MergeAddsCounts) {
  histogram a;
  histogram b;
  for (int i = 0; i < 100; ++i)
    a.record(1'000);
  for (int i = 0; i < 100; ++i)
    b.record(1'000'000);
  a.merge(b);
  EXPECT_EQ(a.count(), 200u);
  expect_near_rel(a.percentile(25), 1'000);
  expect_near_rel(a.percentile(75), 1'000'000);
  EXPECT_EQ(a.max(), 1'000'000u);
  EXPECT_EQ(a.min(), 1'000u);
}

TEST(Histogram, BucketsTileTheRange) {
  // Every bucket starts where the previous one ends, and values map back
  // to the bucket that contains them.
  for (std::size_t i = 1; i < 64 + 40 * 32; ++i) {
    ASSERT_EQ(histogram::bucket_low(i),
              histogram::bucket_low(i - 1) + histogram::bucket_width(i - 1))
        << i;
    ASSERT_EQ(histogram::bucket_of(histogram::bucket_low(i)), i);
    ASSERT_EQ(histogram::bucket_of(histogram::bucket_low(i) + histogram::bucket_width(i) - 1), i);
  }
  EXPECT_LT(histogram::bucket_of(~std::uint64_t{0}), 64u + 58u * 32u);
}

}  // namespace
}  // namespace iotb::loadgen
