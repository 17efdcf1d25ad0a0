// Writing reals (json_out.hpp): the short-decimal path writes what
// RapidJSON's Grisu2 writes for the values devices send; for every real the
// text reads back as the same double and is never longer than Grisu2's,
// which is not always the shortest (it writes 295620.9663 as
// 295620.96629999999).

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>

#include <gtest/gtest.h>
#include <rapidjson/internal/dtoa.h>

#include "broker/rules/json_out.hpp"

namespace {

std::string grisu(double d) {
  char buf[32];
  char* end = rapidjson::internal::dtoa(d, buf);
  return {buf, end};
}

std::string ours(double d) {
  std::string out;
  iotb::rules::detail::append_real(out, d);
  return out;
}

TEST(RulesJsonOut, RealsAsGrisu2WritesThem) {
  EXPECT_EQ(ours(295620.9663), "295620.9663");
  for (double d : {38.6,
                   -38.6,
                   30.27,
                   1013.25,
                   0.5,
                   0.05,
                   0.0001,
                   0.00015,
                   1.0,
                   -1.0,
                   38.0,
                   1e14,
                   123456789012.5,
                   999999999999999.0,
                   1e15,
                   0.1,
                   0.2,
                   0.3,
                   1.0 / 3,
                   0.0,
                   -0.0,
                   5e-5,
                   9007199254740993.0,
                   1e300,
                   2.5e-300})
    EXPECT_EQ(ours(d), grisu(d)) << d;
  EXPECT_EQ(ours(std::nan("")), "null");
  EXPECT_EQ(ours(INFINITY), "null");
}

/// Reads back as `d` and is no longer than Grisu2's text.
void check(double d) {
  auto text = ours(d);
  ASSERT_EQ(std::strtod(text.c_str(), nullptr), d) << text;
  ASSERT_LE(text.size(), grisu(d).size()) << text << " vs " << grisu(d);
  ASSERT_NE(text.find_first_of(".e"), std::string::npos) << text;  // stays a real
}

TEST(RulesJsonOut, ManyDecimalsAndRandomReals) {
  std::mt19937_64 gen(42);
  // Decimals with 0-4 places at every magnitude up to 1e16.
  for (int i = 0; i < 200000; ++i) {
    const int places = static_cast<int>(gen() % 5);
    const auto digits = static_cast<int>(gen() % 16 + 1);
    auto n = gen() % static_cast<std::uint64_t>(std::pow(10.0, digits));
    double d = static_cast<double>(n) / std::pow(10.0, places);
    if (gen() % 2)
      d = -d;
    check(d);
  }
  // Arbitrary bit patterns (those that are finite).
  for (int i = 0; i < 200000; ++i) {
    std::uint64_t bits = gen();
    double d;
    std::memcpy(&d, &bits, sizeof d);
    if (std::isfinite(d))
      check(d);
  }
}

}  // namespace
