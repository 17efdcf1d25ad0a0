#pragma once
/// @file
/// Internals of the device shadow shared by shadow.cpp (requests) and
/// shadow_doc.cpp (the document and the messages). Not a public interface.

#include <cstdint>
#include <string>
#include <string_view>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "broker/thing/shadow.hpp"

namespace iotb::thing::detail {

using json_writer = rapidjson::Writer<rapidjson::StringBuffer>;

/// Parses JSON text into `d` (an empty document): no recursion, UTF-8
/// checked (what is stored is valid UTF-8), numbers read exactly with
/// std::from_chars so that a value written back reads back the same (a
/// number out of double range is refused). False when `text` is not JSON.
[[nodiscard]] bool parse_exact(std::string_view text, rapidjson::Document& d);

/// UTC milliseconds to the seconds written in documents and messages.
[[nodiscard]] constexpr std::int64_t to_seconds(std::int64_t now_ms) noexcept {
  return now_ms >= 0 ? now_ms / 1000 : -((-(now_ms + 1)) / 1000) - 1;
}

/// Writes `"state":{…},"metadata":{…}` (the keys and values, inside an
/// object being written); empty sections are left out.
void write_state_and_metadata(json_writer& w, const shadow_doc& doc);

/// A request's clientToken as the JSON text to echo (`"abc"` or `123`);
/// empty when the request had none.
using token_json = std::string;

/// Finds `"clientToken":"…"` in text that is not (valid) JSON: a plain
/// string of at most `max_len` bytes without escapes or control characters.
/// Returns its JSON text, or empty.
[[nodiscard]] token_json scan_client_token(std::string_view payload, std::size_t max_len);

/// `{"method":"reply",["clientToken":…,]"payload":{"status":"error","content":{"errorcode":"<code>","errormessage":"<message>"}},"timestamp":T}`.
[[nodiscard]] std::string error_reply(shadow_errc e, std::string_view message,
                                      const token_json& token, std::int64_t now_ms);

/// `{"method":"reply",["clientToken":…,]"payload":{"status":"success","version":N},"timestamp":T}`.
[[nodiscard]] std::string success_reply(std::int64_t version, const token_json& token,
                                        std::int64_t now_ms);

/// `{"method":"reply",["clientToken":…,]"payload":{"status":"success","state":…,"metadata":…},"version":N,"timestamp":T}`.
[[nodiscard]] std::string get_reply(const shadow_doc& doc, const token_json& token,
                                    std::int64_t now_ms);

}  // namespace iotb::thing::detail
