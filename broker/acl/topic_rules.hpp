#pragma once
/// @file
/// Internals of device_acl.cpp: allocation-free topic splitting, compile-time
/// topic patterns, filter containment, and the fixed device topics of SPEC
/// §3 (everything but the custom `/user/` categories and `/ext/rrpc/`).
/// Not a public interface; include device_acl.hpp instead.

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "broker/acl/device_acl.hpp"

namespace iotb::acl::detail {

inline constexpr std::size_t max_topic_bytes = 128;
inline constexpr std::size_t max_slashes = 7;

/// A topic or filter split at `/` into views of the input. Holds up to 16
/// levels: a longer topic has more than 7 slashes even after the
/// `/ext/rrpc/${id}` prefix (3 slashes) and is refused as too deep anyway.
struct levels {
  static constexpr std::size_t capacity = 16;
  std::array<std::string_view, capacity> v{};
  std::size_t n = 0;
  bool overflow = false;   ///< more than `capacity` levels; `v` is then incomplete
  bool wildcard = false;   ///< some character is `+` or `#`
  bool malformed = false;  ///< `+`/`#` not alone in a level, or `#` not last
};

/// Splits `t` in one pass (also classifying wildcards).
[[nodiscard]] levels split(std::string_view t) noexcept;

/// How a pattern level matches.
enum class level_kind : std::uint8_t {
  literal,      ///< equal text
  plus,         ///< any one level (a filter's `+` too)
  hash,         ///< this and any deeper levels, or none
  reply,        ///< one literal level ending in `_reply` (`${serviceId}_reply`)
  product_key,  ///< the device's own ProductKey
  device_name,  ///< the device's own DeviceName
};

[[noreturn]] void invalid_pattern();  // never defined: a compile-time error

/// A topic pattern parsed at compile time: `{pk}`, `{dn}`, `{reply}`, `+`,
/// `#` or literal levels, e.g. "ntp/{pk}/{dn}/request".
struct pattern {
  static constexpr std::size_t capacity = 8;
  std::array<std::string_view, capacity> text{};
  std::array<level_kind, capacity> kind{};
  std::uint8_t n = 0;

  template <std::size_t N>
  consteval pattern(const char (&s)[N]) {  // NOLINT(google-explicit-constructor)
    std::string_view rest{s, N - 1};
    for (;;) {
      if (n == capacity)
        invalid_pattern();
      auto slash = rest.find('/');
      auto lv = rest.substr(0, slash);
      text[n] = lv;
      kind[n] = lv == "+"         ? level_kind::plus
                : lv == "#"       ? level_kind::hash
                : lv == "{reply}" ? level_kind::reply
                : lv == "{pk}"    ? level_kind::product_key
                : lv == "{dn}"    ? level_kind::device_name
                                  : level_kind::literal;
      ++n;
      if (slash == std::string_view::npos)
        return;
      rest.remove_prefix(slash + 1);
    }
  }
};

/// The device whose own topics `{pk}` and `{dn}` stand for.
struct owner {
  std::string_view pk;
  std::string_view dn;
};

/// True when every topic that `f.v[from..]` (a topic or a filter) can match
/// is matched by `p`.
[[nodiscard]] bool covers(const pattern& p, const levels& f, std::size_t from,
                          const owner& o) noexcept;

/// As `covers`, for a pattern given as text (a custom category suffix with
/// literal, `+` and `#` levels), walked without splitting it first.
[[nodiscard]] bool covers_text(std::string_view p, const levels& f, std::size_t from) noexcept;

/// The fixed device topics of SPEC §3 in namespace `l.v[1]` (`sys`, `ext`
/// without `rrpc`, `shadow`, `ota`, `broadcast`); `l.v[0]` must be empty and
/// `l.n >= 2`. The caller has checked size, depth overflow and wildcards.
/// @returns allow, deny_not_own, deny_wildcard (a wildcard filter inside
///          the device's own `/sys/${pk}/${dn}/` subtree that is too broad) or
///          deny_too_deep (a broadcast filter deeper than 7 slashes).
[[nodiscard]] verdict fixed_rules(const owner& o, const levels& l, bool publish) noexcept;

/// Strips `$share/<group>/`. Returns `f` unchanged when it is not a shared
/// subscription, an empty view when the share is malformed (empty group,
/// `+`/`#` in the group, no filter).
[[nodiscard]] std::string_view strip_share(std::string_view f) noexcept;

}  // namespace iotb::acl::detail
