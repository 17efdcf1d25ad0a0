#pragma once
/// @file
/// The few JSON writing helpers loadgen's `--json` output needs (numbers
/// that may be absent, escaped strings).

#include <ios>
#include <optional>
#include <sstream>
#include <string>

namespace iotb::loadgen {

/// `v` with `precision` decimals, or `null`.
[[nodiscard]] inline std::string json_number(const std::optional<double>& v, int precision) {
  if (!v)
    return "null";
  std::ostringstream s;
  s.setf(std::ios::fixed);
  s.precision(precision);
  s << *v;
  return s.str();
}

/// `s` as a JSON string: quotes and backslashes escaped, control
/// characters dropped.
[[nodiscard]] inline std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (char ch : s) {
    if (ch == '"' || ch == '\\')
      out += '\\';
    if (static_cast<unsigned char>(ch) < 0x20)
      continue;
    out += ch;
  }
  return out + "\"";
}

}  // namespace iotb::loadgen
