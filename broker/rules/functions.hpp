#pragma once
/// @file
/// The function table: every function of the rules language with its
/// arity, argument and result types, a one-line description and an example
/// (checked by a unit test, and rendered into docs/rules-functions.md by
/// `functions_markdown`). Internal to broker/rules.

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "broker/rules/nodes.hpp"

namespace iotb::rules::detail {

/// Evaluates a call with its evaluated arguments (none is a failure: the
/// caller checks `c.failed` first). Null arguments reach the function: most
/// return null for them.
using fn_impl = value (*)(eval_ctx& c, const call_node& call, std::span<const value> args);

/// Compile-time work on the call (literal arguments: an algorithm name, a
/// pattern, a format); fills `err` (position of the offending argument)
/// and returns false to refuse the statement.
using fn_prepare = bool (*)(call_node& call, sql_error& err);

enum class origin : std::uint8_t { platform, extra };

struct function_def {
  std::string_view name;  ///< as documented (calls match ignoring case)
  std::uint8_t min_args = 0;
  std::uint8_t max_args = 0;             ///< `variadic`: up to limits::max_args
  std::array<type_mask, 4> arg_types{};  ///< per position; later ones use the last
  type_mask result = t_any;
  std::string_view params;          ///< "(n[, base])" for the docs
  std::string_view description;     ///< one line
  std::string_view example;         ///< an expression
  std::string_view example_result;  ///< its JSON value, "" when not fixed (time, random)
  origin from = origin::platform;
  fn_impl impl = nullptr;
  fn_prepare prepare = nullptr;
  bool reads_json = false;  ///< needs the payload parsed as JSON
};

constexpr std::uint8_t variadic = 0xff;

/// Every function, in documentation order.
[[nodiscard]] std::span<const function_def> function_table();
/// The function named `name` (ignoring case), or nullptr.
[[nodiscard]] const function_def* find_function(std::string_view name);

/// The test fixture the examples are evaluated against (also in the docs).
struct example_fixture {
  static constexpr std::string_view topic = "/a1B2c3D4e5F/sensor-01/user/update";
  static constexpr std::string_view payload =
      R"({"temperature":38.5,"humidity":61,"name":"Sensor-01","tags":["a","b","c"],)"
      R"("items":{"Temperature":{"value":38.5,"time":1700000000000},)"
      R"("Humidity":{"value":61,"time":1700000000000}}})";
  static constexpr std::string_view client_id = "a1B2c3D4e5F.sensor-01|securemode=2|";
  static constexpr std::string_view product_key = "a1B2c3D4e5F";
  static constexpr std::string_view device_name = "sensor-01";
  static constexpr std::uint64_t message_id = 4242;
  static constexpr std::uint8_t qos = 1;
  static constexpr std::int64_t timestamp_ms = 1700000000123;  // 2023-11-14T22:13:20.123Z
};

// Families of implementations (functions_*.cpp); the table lives in
// functions_table.cpp.
std::span<const function_def> math_functions();
std::span<const function_def> string_functions();
std::span<const function_def> message_functions();
std::span<const function_def> data_functions();

// Helpers shared by the implementations.

/// A computed string, charged against the budget (null when over it).
[[nodiscard]] value make_string(eval_ctx& c, const call_node& n, std::string_view s);
/// Fails with "<fn>: argument <i> must be <what>, got <type>".
value type_error(eval_ctx& c, const call_node& n, std::size_t i, std::string_view what);
/// True (and `out` set) when argument i is a string literal.
[[nodiscard]] bool literal_string(const call_node& n, std::size_t i, std::string_view& out);
/// Sets `err` at argument i (or the call when i is past the end).
bool arg_error(const call_node& n, std::size_t i, std::string message, sql_error& err);

}  // namespace iotb::rules::detail
