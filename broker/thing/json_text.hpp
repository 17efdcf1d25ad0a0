#pragma once
/// @file
/// Internal to broker/thing: a JSON value as compact text.

#include <string>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace iotb::thing {

/// `v` written without whitespace.
inline std::string compact_json(const rapidjson::Value& v) {
  rapidjson::StringBuffer sb;
  rapidjson::Writer<rapidjson::StringBuffer> w(sb);
  v.Accept(w);
  return {sb.GetString(), sb.GetSize()};
}

}  // namespace iotb::thing
