#pragma once
/// @file
/// Helpers of the rules unit tests: the example message and one-liners to
/// compile and evaluate.

#include <string>
#include <string_view>

#include <gtest/gtest.h>

#include "broker/rules/functions.hpp"
#include "broker/rules/program.hpp"

namespace iotb::rules::test {

/// The message of the function examples (functions.hpp's fixture).
inline message_context fixture(std::string_view payload = detail::example_fixture::payload) {
  using f = detail::example_fixture;
  message_context m;
  m.topic = f::topic;
  m.payload = payload;
  m.client_id = f::client_id;
  m.product_key = f::product_key;
  m.device_name = f::device_name;
  m.message_id = f::message_id;
  m.qos = f::qos;
  m.timestamp_ms = f::timestamp_ms;
  m.attribute = [](std::string_view tag) -> std::optional<std::string> {
    if (tag == "room")
      return "lab-2";
    return std::nullopt;
  };
  return m;
}

/// Compiles `sql`; fails the test (and returns an error) when it does not.
inline expected<program, sql_error> must_compile(std::string_view sql) {
  auto p = program::compile(sql);
  EXPECT_TRUE(p.has_value()) << sql << "\n  " << (p ? "" : to_string(p.error()));
  return p;
}

/// The compile error of `sql` as "line:column: message", or "compiled".
inline std::string compile_error(std::string_view sql) {
  auto p = program::compile(sql);
  if (p)
    return "compiled";
  return std::to_string(p.error().line) + ":" + std::to_string(p.error().column) + ": " +
         p.error().message;
}

/// The output of `SELECT <expr> AS r FROM "#"` on the fixture: the JSON
/// value of r, "<missing>" when left out, "filtered", or "error: …".
inline std::string eval_expr(std::string_view expr,
                             std::string_view payload = detail::example_fixture::payload) {
  auto sql = "SELECT " + std::string(expr) + " AS r FROM \"#\"";
  auto p = program::compile(sql);
  if (!p)
    return "compile error: " + to_string(p.error());
  auto r = p->evaluate(fixture(payload));
  if (r.status == eval_status::failed)
    return "error: " + r.error;
  if (r.status == eval_status::filtered)
    return "filtered";
  if (r.output == "{}")
    return "<missing>";
  // {"r":<value>}
  return r.output.substr(5, r.output.size() - 6);
}

/// Evaluates a whole statement on the fixture (or `payload`).
inline eval_result run(std::string_view sql,
                       std::string_view payload = detail::example_fixture::payload) {
  auto p = program::compile(sql);
  if (!p)
    return {eval_status::failed, {}, "compile error: " + to_string(p.error())};
  return p->evaluate(fixture(payload));
}

}  // namespace iotb::rules::test
