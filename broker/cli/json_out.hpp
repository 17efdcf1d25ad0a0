#pragma once
/// @file
/// JSON output of the management commands (RapidJSON's writer: correct
/// escaping of every string, no exceptions).

#include <string>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace iotb::cli {

using json_writer = rapidjson::Writer<rapidjson::StringBuffer>;

/// Writes `key` and the string `value` into the current object.
inline void field(json_writer& w, const char* key, const std::string& value) {
  w.Key(key);
  w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
}

}  // namespace iotb::cli
