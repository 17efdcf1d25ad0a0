// Numeric functions.

#include <cmath>
#include <limits>
#include <random>

#include "broker/rules/functions.hpp"

namespace iotb::rules::detail {

namespace {

using args_t = std::span<const value>;

/// A real as an integer value when it is integral and fits, else itself.
value integral(double d) {
  if (std::isfinite(d) && d >= -9.2e18 && d <= 9.2e18)
    return value(static_cast<std::int64_t>(d));
  return value(d);
}

template <double (*F)(double)>
value real_fn(eval_ctx& c, const call_node& n, args_t a) {
  if (a[0].is_null())
    return {};
  if (!a[0].is_number())
    return type_error(c, n, 0, "a number");
  return value(F(a[0].as_real()));
}

double f_asin(double x) {
  return std::asin(x);
}
double f_cos(double x) {
  return std::cos(x);
}
double f_cosh(double x) {
  return std::cosh(x);
}
double f_sin(double x) {
  return std::sin(x);
}
double f_sinh(double x) {
  return std::sinh(x);
}
double f_tan(double x) {
  return std::tan(x);
}
double f_tanh(double x) {
  return std::tanh(x);
}
double f_exp(double x) {
  return std::exp(x);
}
double f_sqrt(double x) {
  return std::sqrt(x);
}

/// floor/ceil/trunc: integers stay, reals become integers when they fit.
template <double (*F)(double)>
value round_fn(eval_ctx& c, const call_node& n, args_t a) {
  if (a[0].is_null())
    return {};
  if (!a[0].is_number())
    return type_error(c, n, 0, "a number");
  if (a[0].type() == vtype::integer)
    return a[0];
  return integral(F(a[0].as_real()));
}

double f_floor(double x) {
  return std::floor(x);
}
double f_ceil(double x) {
  return std::ceil(x);
}
double f_trunc(double x) {
  return std::trunc(x);
}

value fn_abs(eval_ctx& c, const call_node& n, args_t a) {
  if (a[0].is_null())
    return {};
  if (a[0].type() == vtype::integer) {
    auto i = a[0].as_int();
    if (i == std::numeric_limits<std::int64_t>::min())
      return value(-static_cast<double>(i));
    return value(i < 0 ? -i : i);
  }
  if (a[0].type() == vtype::real)
    return value(std::fabs(a[0].as_real()));
  return type_error(c, n, 0, "a number");
}

value fn_round(eval_ctx& c, const call_node& n, args_t a) {
  if (a[0].is_null() || (a.size() > 1 && a[1].is_null()))
    return {};
  if (!a[0].is_number())
    return type_error(c, n, 0, "a number");
  if (a.size() == 1) {
    if (a[0].type() == vtype::integer)
      return a[0];
    return integral(std::round(a[0].as_real()));
  }
  if (a[1].type() != vtype::integer || a[1].as_int() < 0 || a[1].as_int() > 15)
    return type_error(c, n, 1, "an integer from 0 to 15");
  if (a[0].type() == vtype::integer)
    return a[0];
  static constexpr double powers[] = {1e0, 1e1, 1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                      1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};
  double k = powers[a[1].as_int()];
  return value(std::round(a[0].as_real() * k) / k);
}

value fn_log(eval_ctx& c, const call_node& n, args_t a) {
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i].is_null())
      return {};
    if (!a[i].is_number())
      return type_error(c, n, i, "a number");
  }
  if (a.size() == 1)
    return value(std::log10(a[0].as_real()));
  return value(std::log(a[0].as_real()) / std::log(a[1].as_real()));
}

value fn_mod(eval_ctx& c, const call_node& n, args_t a) {
  for (std::size_t i = 0; i < 2; ++i) {
    if (a[i].is_null())
      return {};
    if (!a[i].is_number())
      return type_error(c, n, i, "a number");
  }
  return arith(c, n, arith_op::mod, a[0], a[1]);
}

value fn_power(eval_ctx& c, const call_node& n, args_t a) {
  for (std::size_t i = 0; i < 2; ++i) {
    if (a[i].is_null())
      return {};
    if (!a[i].is_number())
      return type_error(c, n, i, "a number");
  }
  if (a[0].type() == vtype::integer && a[1].type() == vtype::integer && a[1].as_int() >= 0 &&
      a[1].as_int() < 64) {
    std::int64_t r = 1, base = a[0].as_int();
    bool overflow = false;
    for (std::int64_t i = 0; i < a[1].as_int() && !overflow; ++i)
      overflow = __builtin_mul_overflow(r, base, &r);
    if (!overflow)
      return value(r);
  }
  return value(std::pow(a[0].as_real(), a[1].as_real()));
}

value fn_rand(eval_ctx&, const call_node&, args_t) {
  thread_local std::mt19937_64 gen{std::random_device{}()};
  return value(std::uniform_real_distribution<double>(0.0, 1.0)(gen));
}

constexpr std::array<type_mask, 4> num1{t_num, t_num, t_num, t_num};

const function_def math_table[] = {
    {"abs", 1, 1, num1, t_num, "(n)", "Absolute value.", "abs(-2.5)", "2.5", origin::platform,
     fn_abs},
    {"asin", 1, 1, num1, t_real, "(n)", "Arcsine in radians (NaN, written as null, outside -1…1).",
     "asin(1)", "1.5707963267948966", origin::platform, real_fn<f_asin>},
    {"cos", 1, 1, num1, t_real, "(n)", "Cosine of n radians.", "cos(0)", "1.0", origin::platform,
     real_fn<f_cos>},
    {"cosh", 1, 1, num1, t_real, "(n)", "Hyperbolic cosine.", "cosh(0)", "1.0", origin::platform,
     real_fn<f_cosh>},
    {"sin", 1, 1, num1, t_real, "(n)", "Sine of n radians.", "sin(0)", "0.0", origin::platform,
     real_fn<f_sin>},
    {"sinh", 1, 1, num1, t_real, "(n)", "Hyperbolic sine.", "sinh(0)", "0.0", origin::platform,
     real_fn<f_sinh>},
    {"tan", 1, 1, num1, t_real, "(n)", "Tangent of n radians.", "tan(0)", "0.0", origin::platform,
     real_fn<f_tan>},
    {"tanh", 1, 1, num1, t_real, "(n)", "Hyperbolic tangent.", "tanh(0)", "0.0", origin::platform,
     real_fn<f_tanh>},
    {"exp", 1, 1, num1, t_real, "(n)", "e raised to the power n.", "exp(0)", "1.0",
     origin::platform, real_fn<f_exp>},
    {"floor", 1, 1, num1, t_num, "(n)", "Largest integer not greater than n.", "floor(38.5)", "38",
     origin::platform, round_fn<f_floor>},
    {"log", 1, 2, num1, t_real, "(n[, base])", "Logarithm of n to base (default 10).", "log(100)",
     "2.0", origin::platform, fn_log},
    {"mod", 2, 2, num1, t_num, "(n, m)",
     "Remainder of n divided by m (sign of n; division by zero fails).", "mod(7, 3)", "1",
     origin::platform, fn_mod},
    {"power", 2, 2, num1, t_num, "(n, m)",
     "n raised to the power m (an integer when both are and it fits).", "power(2, 10)", "1024",
     origin::platform, fn_power},
    {"rand",
     0,
     0,
     {},
     t_real,
     "()",
     "A random number in [0, 1).",
     "rand()",
     "",
     origin::platform,
     fn_rand},
    {"ceil", 1, 1, num1, t_num, "(n)", "Smallest integer not less than n.", "ceil(38.2)", "39",
     origin::extra, round_fn<f_ceil>},
    {"round",
     1,
     2,
     {t_num, t_int},
     t_num,
     "(n[, digits])",
     "n rounded half away from zero (to `digits` decimals, 0–15).",
     "round(38.46, 1)",
     "38.5",
     origin::extra,
     fn_round},
    {"trunc", 1, 1, num1, t_num, "(n)", "n without its fraction.", "trunc(-38.7)", "-38",
     origin::extra, round_fn<f_trunc>},
    {"sqrt", 1, 1, num1, t_real, "(n)", "Square root (NaN, written as null, for n < 0).",
     "sqrt(16)", "4.0", origin::extra, real_fn<f_sqrt>},
};

}  // namespace

std::span<const function_def> math_functions() {
  return math_table;
}

}  // namespace iotb::rules::detail
