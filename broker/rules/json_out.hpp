#pragma once
/// @file
/// Writing values as compact JSON (RapidJSON's writer over a std::string,
/// validating UTF-8, its level stack in a small pool: no allocation beyond
/// the output string for shallow outputs). Internal to broker/rules.

#include <cstddef>
#include <string>

#include <rapidjson/writer.h>

#include "broker/rules/value.hpp"

namespace iotb::rules::detail {

/// A RapidJSON output stream appending to a std::string.
struct string_stream {
  using Ch = char;
  std::string* out;
  void Put(char c) { out->push_back(c); }
  void Flush() {}
};

using writer_pool = rapidjson::MemoryPoolAllocator<rapidjson::CrtAllocator>;
using json_writer = rapidjson::Writer<string_stream, rapidjson::UTF8<>, rapidjson::UTF8<>,
                                      writer_pool, rapidjson::kWriteValidateEncodingFlag>;

/// A writer with its level stack on the caller's stack.
class json_out {
 public:
  explicit json_out(std::string& out) : stream_{&out}, writer_(stream_, &pool_, 16) {}
  json_out(const json_out&) = delete;
  json_out& operator=(const json_out&) = delete;
  json_writer& w() { return writer_; }

 private:
  alignas(std::max_align_t) char buf_[512];
  writer_pool pool_{buf_, sizeof buf_};
  string_stream stream_;
  json_writer writer_;
};

/// Writes `v`; missing object members are left out, missing array items
/// are null, NaN and infinities are null. False when a string is not
/// valid UTF-8.
[[nodiscard]] bool write_value(json_writer& w, const value& v);

}  // namespace iotb::rules::detail
