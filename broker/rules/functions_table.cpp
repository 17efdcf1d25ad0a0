// The function table (the families' entries in documentation order), the
// helpers the implementations share, and the generated reference.

#include <vector>

#include "broker/rules/functions.hpp"
#include "broker/rules/lexer.hpp"

namespace iotb::rules::detail {

std::span<const function_def> function_table() {
  static const std::vector<function_def> all = [] {
    std::vector<function_def> v;
    for (auto family :
         {message_functions(), math_functions(), string_functions(), data_functions()})
      v.insert(v.end(), family.begin(), family.end());
    return v;
  }();
  return all;
}

const function_def* find_function(std::string_view name) {
  for (auto& f : function_table())
    if (iequals(name, f.name))
      return &f;
  return nullptr;
}

value make_string(eval_ctx& c, const call_node& n, std::string_view s) {
  return c.string(n, s);
}

value type_error(eval_ctx& c, const call_node& n, std::size_t i, std::string_view what) {
  std::string msg(n.fn().name);
  msg += "(): argument " + std::to_string(i + 1) + " must be ";
  msg += what;
  return c.fail(n, msg);
}

bool literal_string(const call_node& n, std::size_t i, std::string_view& out) {
  if (i >= n.args().size())
    return false;
  auto* k = n.args()[i]->constant();
  if (!k || !k->is_string())
    return false;
  out = k->as_string();
  return true;
}

bool arg_error(const call_node& n, std::size_t i, std::string message, sql_error& err) {
  const node& at = i < n.args().size() ? static_cast<const node&>(*n.args()[i]) : n;
  err = {at.line(), at.column(), std::string(n.fn().name) + "(): " + std::move(message)};
  return false;
}

}  // namespace iotb::rules::detail

namespace iotb::rules {

namespace {

std::string escape_cell(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '|')
      out += "\\|";
    else
      out.push_back(c);
  }
  return out;
}

std::string arity(const detail::function_def& f) {
  if (f.max_args == detail::variadic)
    return std::to_string(f.min_args) + "+";
  if (f.min_args == f.max_args)
    return std::to_string(f.min_args);
  return std::to_string(f.min_args) + "–" + std::to_string(f.max_args);
}

}  // namespace

std::string functions_markdown() {
  using detail::example_fixture;
  std::string out =
      "# Rules functions\n\n"
      "<!-- Generated from the function table (broker/rules/functions_*.cpp) by\n"
      "     iotb::rules::functions_markdown(); do not edit. Regenerate with\n"
      "     IOTB_REGENERATE_DOCS=1 build/tests/iotb_unit --gtest_filter='RulesDocs.*' -->\n\n"
      "Every function of the rules language (see [rules.md](rules.md)). Names match\n"
      "ignoring case. *platform*: one of the cloud platform's 33 functions; *extra*: what\n"
      "users of other rule engines expect. Arguments of the wrong type are refused when\n"
      "the rule is created if the type is known then (a literal, a typed result), and fail\n"
      "the evaluation otherwise. Unless said otherwise a function returns null when an\n"
      "argument is null.\n\n"
      "Each example is checked by a unit test against this message:\n\n";
  out += "- topic `" + std::string(example_fixture::topic) + "`, QoS " +
         std::to_string(example_fixture::qos) + ", message ID " +
         std::to_string(example_fixture::message_id) + ", client ID `" +
         std::string(example_fixture::client_id) + "`,\n  product key `" +
         std::string(example_fixture::product_key) + "`, device name `" +
         std::string(example_fixture::device_name) + "`, received at " +
         std::to_string(example_fixture::timestamp_ms) +
         " (2023-11-14T22:13:20.123Z),\n  device tag `room` = `lab-2`;\n";
  out += "- payload `" + std::string(example_fixture::payload) + "`.\n\n";
  out += "| function | args | result | description | example | example result |\n";
  out += "|---|---|---|---|---|---|\n";
  for (auto& f : detail::function_table()) {
    out += "| `" + std::string(f.name) + escape_cell(f.params) + "` ";
    out += "| " + arity(f) + " ";
    out += "| " + describe(f.result) + " ";
    out += "| " + escape_cell(f.description) +
           (f.from == detail::origin::platform ? " *(platform)*" : " *(extra)*") + " ";
    out += "| `" + escape_cell(f.example) + "` ";
    out += "| " +
           (f.example_result.empty() ? std::string("(varies)")
                                     : "`" + escape_cell(f.example_result) + "`") +
           " |\n";
  }
  return out;
}

}  // namespace iotb::rules
