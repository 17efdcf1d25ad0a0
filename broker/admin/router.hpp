#pragma once
/// @file
/// Request routing for the admin API: method + path patterns with `{param}`
/// segments (`/api/v1/products/{pk}/devices/{dn}`), target splitting and
/// query-string parsing with percent-decoding. Pure: no I/O, no Beast types;
/// unit-tested in router.test.cpp and fuzzed in tests/fuzz.
///
/// Thread-safety: a `router` is built once, then `match` may be called from
/// any thread concurrently (it is const).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "broker/util/expected.hpp"

namespace iotb::admin {

/// The HTTP methods the API uses.
enum class method : std::uint8_t { get, post, put, patch, del, other };

/// Parses "GET", "POST", ... (case-sensitive, as HTTP says); `other` else.
[[nodiscard]] method parse_method(std::string_view s) noexcept;

/// Name/value pairs in order (path parameters or a query string).
class params {
 public:
  /// The first value named `name`, if any.
  [[nodiscard]] std::optional<std::string_view> get(std::string_view name) const noexcept;
  /// The first value named `name`, or "" when absent.
  [[nodiscard]] std::string_view value(std::string_view name) const noexcept {
    return get(name).value_or(std::string_view{});
  }
  void add(std::string name, std::string value) {
    items_.emplace_back(std::move(name), std::move(value));
  }
  [[nodiscard]] const std::vector<std::pair<std::string, std::string>>& items() const noexcept {
    return items_;
  }

 private:
  std::vector<std::pair<std::string, std::string>> items_;
};

/// Why a target could not be parsed or routed.
enum class route_errc : std::uint8_t {
  bad_target,          ///< not an origin-form target, or bad percent-encoding (400)
  not_found,           ///< no pattern matches the path (404)
  method_not_allowed,  ///< a pattern matches, but not with this method (405)
};

/// Percent-decodes `s`; `plus_is_space` for query strings. Errors:
/// bad_target (a `%` not followed by two hex digits, or a decoded NUL).
[[nodiscard]] expected<std::string, route_errc> percent_decode(std::string_view s,
                                                               bool plus_is_space);

/// Parses `a=1&b=x%20y` (empty pieces are skipped; `a` alone has value "").
/// Errors: bad_target.
[[nodiscard]] expected<params, route_errc> parse_query(std::string_view q);

/// A target split into its decoded path segments and its query.
struct target {
  std::vector<std::string> segments;  ///< "/api/v1/x" → {"api","v1","x"}
  params query;
};

/// Splits and decodes an origin-form target ("/path?query"). Errors:
/// bad_target (no leading '/', a control character, bad percent-encoding,
/// over 64 segments).
[[nodiscard]] expected<target, route_errc> parse_target(std::string_view t);

/// A matched route: the caller's tag and the path parameters.
struct route_match {
  std::size_t tag = 0;
  params path;
};

/// Method + pattern → tag. Patterns are added once at start-up.
class router {
 public:
  /// Adds `pattern` ("/api/v1/products/{pk}") for method `m`; `tag` is
  /// returned by `match` (e.g. an index into the caller's handlers).
  /// @returns false for a malformed pattern (no leading '/', an empty or
  ///   unclosed `{}`) or a duplicate (method, pattern).
  bool add(method m, std::string_view pattern, std::size_t tag);

  /// Finds the route of `m` on `segments`; a literal segment beats a
  /// parameter at the same position. Errors: not_found, method_not_allowed.
  [[nodiscard]] expected<route_match, route_errc> match(
      method m, const std::vector<std::string>& segments) const;

  /// The methods allowed on `segments` ("GET, POST"), for 405's Allow header.
  [[nodiscard]] std::string allowed(const std::vector<std::string>& segments) const;

 private:
  struct segment {
    std::string text;  ///< a literal, or the parameter name
    bool param = false;
  };
  struct route {
    method m;
    std::vector<segment> pattern;
    std::size_t tag;
    int score;  ///< literal segments (more = more specific)
  };
  static bool matches(const route& r, const std::vector<std::string>& segs);
  std::vector<route> routes_;
};

}  // namespace iotb::admin
