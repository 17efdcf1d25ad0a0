#pragma once
/// @file
/// Writing values as compact JSON straight into a std::string: runs of
/// plain characters are appended in bulk, UTF-8 is validated (JSON text
/// must be), numbers use RapidJSON's Grisu2. Internal to broker/rules.

#include <string>
#include <string_view>

#include <rapidjson/document.h>

#include "broker/rules/value.hpp"

namespace iotb::rules::detail {

/// True when `s` is valid UTF-8 (ASCII runs are checked 8 bytes at a time).
[[nodiscard]] bool valid_utf8(std::string_view s) noexcept;

/// `"s"` with JSON escapes; false when s is not valid UTF-8.
[[nodiscard]] bool append_string(std::string& out, std::string_view s);

/// A real as JSON (NaN and infinities as null).
void append_real(std::string& out, double d);

/// A parsed payload value (recursion bounded by the payload depth cap).
[[nodiscard]] bool append_json_value(std::string& out, const rapidjson::Value& v);

/// Writes `v`; missing object members are left out, missing array items
/// are null. False when a string is not valid UTF-8.
[[nodiscard]] bool write_value(std::string& out, const value& v);

/// A JSON text without the whitespace outside its strings (the text must
/// be valid JSON: a payload that parsed).
void append_minified(std::string& out, std::string_view json);

}  // namespace iotb::rules::detail
