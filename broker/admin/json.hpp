#pragma once
/// @file
/// JSON for the admin API and the management CLI (SPEC §12): the one
/// writer type, the error body `{"code":"<slug>","message":"<text>"}` with
/// its HTTP status table, request-body parsing with typed field getters
/// that report wrong types and unknown fields by name, and paging
/// (`?page=&limit=`, `{"items":[…],"total":N}`).
///
/// Pure (RapidJSON with kParseDefaultFlags, no exceptions); unit-tested in
/// json.test.cpp and fuzzed by tests/fuzz/admin_json_fuzz.cpp.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "broker/admin/router.hpp"
#include "broker/util/expected.hpp"

namespace iotb::admin {

/// The JSON writer of every API answer and CLI output.
using json_writer = rapidjson::Writer<rapidjson::StringBuffer>;

/// Writes `key` and the string `value` into the current object.
inline void field(json_writer& w, const char* key, std::string_view value) {
  w.Key(key);
  w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
}

/// `bytes` as valid UTF-8: each byte that does not start a well-formed
/// sequence (bad lead or continuation byte, overlong form, surrogate, above
/// U+10FFFF, cut short) becomes U+FFFD, as a browser's TextDecoder does.
/// JSON text and WebSocket text frames must be valid UTF-8 (a browser fails
/// the connection otherwise); payloads are arbitrary bytes. Sets `*replaced`
/// when anything was replaced.
[[nodiscard]] std::string utf8_lossy(std::string_view bytes, bool* replaced = nullptr);

/// API error codes: the `code` slug of an error body, each with one status.
enum class api_errc : std::uint8_t {
  bad_json,            ///< 400: the body is not JSON, or not an object
  bad_field,           ///< 400: a field is missing, unknown, of the wrong type or invalid
  bad_request,         ///< 400: a bad target, query parameter or header
  unauthorized,        ///< 401: no or bad credentials
  forbidden,           ///< 403: the caller may not do this
  not_found,           ///< 404: no such path or resource
  method_not_allowed,  ///< 405: the path exists with other methods
  exists,              ///< 409: the resource exists already
  conflict,            ///< 409: the change conflicts with the state (e.g. devices left)
  too_large,           ///< 413: body over 1 MiB
  throttled,           ///< 429: a rate limit or quota
  internal,            ///< 500: a bug or an unexpected store error
  unavailable,         ///< 503: the store is unavailable
};

/// "bad_json", "not_found", ...
[[nodiscard]] const char* slug(api_errc e) noexcept;
/// The HTTP status of `e` (400, 404, ...).
[[nodiscard]] unsigned status_of(api_errc e) noexcept;

/// An error answer. `message` is for people and never holds a secret.
struct api_error {
  api_errc code;
  std::string message;
};

/// `{"code":"<slug>","message":"<text>"}`.
[[nodiscard]] std::string error_body(const api_error& e);

/// A parsed JSON object body with typed, checked field access. Each getter
/// marks its field as known; the first problem (missing required field,
/// wrong type, out of range) is kept, and `finish()` adds unknown fields.
class json_body {
 public:
  /// Parses `text`, which must be one JSON object (`allow_empty`: an empty
  /// body counts as `{}`). Errors: bad_json (naming the offset).
  [[nodiscard]] static expected<json_body, api_error> parse(std::string_view text,
                                                            bool allow_empty = false);

  /// A string field of at most `max_len` bytes.
  [[nodiscard]] std::optional<std::string> string(const char* name, bool required = false,
                                                  std::size_t max_len = 4096);
  [[nodiscard]] std::optional<bool> boolean(const char* name, bool required = false);
  /// An unsigned integer field in [min, max].
  [[nodiscard]] std::optional<std::uint64_t> uint(const char* name, std::uint64_t min,
                                                  std::uint64_t max, bool required = false);
  /// Any field, unchecked (nullptr when absent): for arrays and objects the
  /// caller validates, reporting with `fail`.
  [[nodiscard]] const rapidjson::Value* raw(const char* name);
  /// True when the body has the field (does not mark it known).
  [[nodiscard]] bool has(const char* name) const;
  /// Records a problem found by the caller (the first one is kept).
  void fail(std::string message);
  /// The first problem, including unknown fields (`bad_field` naming it).
  [[nodiscard]] std::optional<api_error> finish() const;

 private:
  json_body() = default;
  const rapidjson::Value* lookup(const char* name, bool required);
  std::unique_ptr<rapidjson::Document> doc_;
  std::vector<std::string> known_;
  std::optional<std::string> problem_;
};

/// A page of a list: 1-based `page`, `limit` items (1..1000).
struct page_request {
  std::size_t page = 1;
  std::size_t limit = 100;
  [[nodiscard]] std::size_t offset() const noexcept { return (page - 1) * limit; }
};

/// Largest `limit` (SPEC §12).
inline constexpr std::size_t max_page_limit = 1000;

/// Reads `page` (≥ 1, default 1) and `limit` (1..1000, default 100) from a
/// query. Errors: bad_request naming the parameter.
[[nodiscard]] expected<page_request, api_error> parse_page(const params& query);

/// `{"items":[…],"total":N}`; `write_items(w)` writes the array elements.
template <class F>
[[nodiscard]] std::string list_body(std::size_t total, F&& write_items) {
  rapidjson::StringBuffer sb;
  json_writer w(sb);
  w.StartObject();
  w.Key("items");
  w.StartArray();
  write_items(w);
  w.EndArray();
  w.Key("total");
  w.Uint64(total);
  w.EndObject();
  return {sb.GetString(), sb.GetSize()};
}

}  // namespace iotb::admin
