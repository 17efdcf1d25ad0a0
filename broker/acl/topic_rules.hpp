#pragma once
/// @file
/// Internals of device_acl.cpp: allocation-free topic splitting, compile-time
/// topic patterns, filter containment, the fixed device topics of SPEC §3
/// (everything but the custom `/user/` categories and `/ext/rrpc/`), and the
/// PUBLISH fast path. Not a public interface; include device_acl.hpp.
/// Header-only so that every target building device_acl.cpp (the fuzz
/// targets list their sources) gets it. Tests: topic_rules.test.cpp.

#include <algorithm>
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
/// `#` or literal levels, e.g. "ntp/{pk}/{dn}/request". Kept twice: by level
/// (for filters, `covers`) and as literal runs between the variable levels
/// (for topics on the PUBLISH fast path: "thing/event/" `+` "/post").
struct pattern {
  static constexpr std::size_t capacity = 8;
  /// A literal run, then a variable level (`literal` = none: the end).
  struct segment {
    std::string_view lit;
    level_kind var = level_kind::literal;
  };
  std::array<std::string_view, capacity> text{};
  std::array<level_kind, capacity> kind{};
  std::uint8_t n = 0;
  std::array<segment, capacity + 1> seg{};
  std::uint8_t nseg = 0;

  template <std::size_t N>
  consteval pattern(const char (&s)[N]) {  // NOLINT(google-explicit-constructor)
    const std::string_view all{s, N - 1};
    std::size_t begin = 0, lit_begin = 0;
    for (;;) {
      if (n == capacity)
        invalid_pattern();
      const auto slash = all.find('/', begin);
      const auto lv = all.substr(begin, slash == std::string_view::npos ? slash : slash - begin);
      const auto k = lv == "+"         ? level_kind::plus
                     : lv == "#"       ? level_kind::hash
                     : lv == "{reply}" ? level_kind::reply
                     : lv == "{pk}"    ? level_kind::product_key
                     : lv == "{dn}"    ? level_kind::device_name
                                       : level_kind::literal;
      text[n] = lv;
      kind[n++] = k;
      if (k != level_kind::literal) {
        seg[nseg++] = {all.substr(lit_begin, begin - lit_begin), k};
        lit_begin = begin + lv.size();
      }
      if (slash == std::string_view::npos)
        break;
      begin = slash + 1;
    }
    seg[nseg++] = {all.substr(lit_begin), level_kind::literal};
  }
};

/// The device whose own topics `{pk}` and `{dn}` stand for.
struct owner {
  std::string_view pk;
  std::string_view dn;
};

// Level helpers.

inline bool is_hash(std::string_view lv) noexcept {
  return lv.size() == 1 && lv[0] == '#';
}

inline bool is_plus(std::string_view lv) noexcept {
  return lv.size() == 1 && lv[0] == '+';
}

inline bool is_wild(std::string_view lv) noexcept {
  return is_hash(lv) || is_plus(lv);
}

/// `${serviceId}_reply`: a non-empty id, then `_reply`.
inline bool is_reply_level(std::string_view lv) noexcept {
  return lv.size() > 6 && lv.ends_with("_reply");
}

/// Character classes for split(): 1 = `/`, 2 = a wildcard.
inline constexpr auto char_class = [] {
  std::array<std::uint8_t, 256> c{};
  c['/'] = 1;
  c['+'] = 2;
  c['#'] = 2;
  return c;
}();

/// `t[pos..]` starts with `lit`.
inline bool has_at(std::string_view t, std::size_t pos, std::string_view lit) noexcept {
  return t.size() - pos >= lit.size() && t.substr(pos, lit.size()) == lit;
}

/// Consumes `lit` followed by `/` from the front of `rest`.
inline bool eat_level(std::string_view& rest, std::string_view lit) noexcept {
  // memcmp here: ProductKey and DeviceName are long and usually equal.
  if (rest.size() <= lit.size() || rest[lit.size()] != '/' || !rest.starts_with(lit))
    return false;
  rest.remove_prefix(lit.size() + 1);
  return true;
}

/// End of the level starting at `pos`, or npos if it holds a wildcard.
inline std::size_t plain_level_end(std::string_view t, std::size_t pos) noexcept {
  for (; pos < t.size(); ++pos) {
    const auto c = char_class[static_cast<unsigned char>(t[pos])];
    if (c == 1)
      return pos;
    if (c == 2)
      return std::string_view::npos;
  }
  return pos;
}

/// Does topic `t` (not a filter) match pattern `p`, without splitting it?
/// Literal runs compare with one memcmp (a literal-only pattern is a size
/// check and one memcmp); only `+`/`{reply}` levels are scanned. `#`
/// patterns are left to the general path.
inline bool match_topic(const pattern& p, std::string_view t, const owner& o) noexcept {
  std::size_t pos = 0;
  for (std::size_t i = 0; i < p.nseg; ++i) {
    const auto& s = p.seg[i];
    if (s.var == level_kind::literal)  // the last run: the rest of the topic
      return t.size() - pos == s.lit.size() && t.substr(pos) == s.lit;
    if (!has_at(t, pos, s.lit))
      return false;
    pos += s.lit.size();
    switch (s.var) {
      case level_kind::plus:
      case level_kind::reply: {
        const auto end = plain_level_end(t, pos);
        if (end == std::string_view::npos ||
            (s.var == level_kind::reply && !is_reply_level(t.substr(pos, end - pos))))
          return false;
        pos = end;
        break;
      }
      case level_kind::product_key:
        if (!has_at(t, pos, o.pk))
          return false;
        pos += o.pk.size();
        break;
      case level_kind::device_name:
        if (!has_at(t, pos, o.dn))
          return false;
        pos += o.dn.size();
        break;
      case level_kind::hash:
      case level_kind::literal:
        return false;
    }
  }
  return false;  // unreachable: the last segment is a literal run
}

/// Splits `t` in one pass (also classifying wildcards).
[[nodiscard]] inline levels split(std::string_view t) noexcept {
  levels out;
  const char* p = t.data();
  const std::size_t size = t.size();
  std::size_t start = 0;
  for (std::size_t i = 0; i < size; ++i) {
    const auto c = char_class[static_cast<unsigned char>(p[i])];
    if (c == 0)
      continue;
    if (c == 1) {
      if (out.n == levels::capacity) {
        out.overflow = true;
        return out;
      }
      out.v[out.n++] = std::string_view(p + start, i - start);
      start = i + 1;
    } else {
      out.wildcard = true;
      bool alone = i == start && (i + 1 == size || p[i + 1] == '/');
      if (!alone || (p[i] == '#' && i + 1 != size))
        out.malformed = true;
    }
  }
  if (out.n == levels::capacity) {
    out.overflow = true;
    return out;
  }
  out.v[out.n++] = std::string_view(p + start, size - start);
  return out;
}

/// True when every topic that `f.v[from..]` (a topic or a filter) can match
/// is matched by `p`.
[[nodiscard]] inline bool covers(const pattern& p, const levels& f, std::size_t from,
                                 const owner& o) noexcept {
  const std::size_t m = f.n - from;
  for (std::size_t i = 0; i < m; ++i) {
    if (i >= p.n)
      return false;
    const auto fl = f.v[from + i];
    switch (p.kind[i]) {
      case level_kind::hash:
        return true;
      case level_kind::plus:
        if (is_hash(fl))
          return false;
        break;
      case level_kind::reply:
        if (!is_reply_level(fl))
          return false;
        break;
      case level_kind::product_key:
        if (fl != o.pk)
          return false;
        break;
      case level_kind::device_name:
        if (fl != o.dn)
          return false;
        break;
      case level_kind::literal:
        if (fl != p.text[i])
          return false;
        break;
    }
  }
  // `a/#` also matches `a`.
  return p.n == m || (p.n == m + 1 && p.kind[m] == level_kind::hash);
}

/// As `covers`, for a pattern given as text (a custom category suffix with
/// literal, `+` and `#` levels), walked without splitting it first.
[[nodiscard]] inline bool covers_text(std::string_view p, const levels& f,
                                      std::size_t from) noexcept {
  std::size_t i = from;
  for (;;) {
    const auto slash = p.find('/');
    const auto pl = p.substr(0, slash);
    if (i == f.n)  // the filter ended first: only a last `#` still matches
      return is_hash(pl) && slash == std::string_view::npos;
    if (is_hash(pl))
      return true;
    const auto fl = f.v[i];
    if (is_plus(pl)) {
      if (is_hash(fl))
        return false;
    } else if (pl != fl) {  // also refuses a filter wildcard against a literal
      return false;
    }
    ++i;
    if (slash == std::string_view::npos)
      return i == f.n;
    p.remove_prefix(slash + 1);
  }
}

// The fixed device topics, by namespace and direction. Thing-model topics
// are relative to `/sys/${pk}/${dn}/`, the others to `/<namespace>/`.
// SPEC §3 and the brief, plus the device's own topics that the reference
// (device-access-guide §6.3) lists for SDK features: property get, batch and
// history post replies, desired properties, dsltemplate, reset, jobs and the
// `_thing` notifications. Gateway/sub-device topics (topo, sub/register,
// combine login) are not here: they act for other devices.

inline constexpr pattern sys_pub[] = {
    // Most frequent first (the fast path scans in order): property/event
    // posts, service replies, property-set replies.
    "thing/event/+/post",
    "thing/service/{reply}",
    "thing/service/property/set_reply",
    "thing/event/property/history/post",
    "thing/event/property/batch/post",
    "thing/service/property/get_reply",
    "rrpc/response/+",
    "thing/deviceinfo/update",
    "thing/deviceinfo/delete",
    "thing/dynamicTsl/get",
    "thing/dsltemplate/get",
    "thing/model/up_raw",
    "thing/model/down_raw_reply",
    "thing/config/get",
    "thing/config/push_reply",
    "thing/ota/firmware/get",
    "thing/property/desired/get",
    "thing/property/desired/delete",
    "thing/reset",
    "thing/job/get",
    "thing/job/update",
};

inline constexpr pattern sys_sub[] = {
    "thing/event/+/post_reply",
    "thing/service/+",
    "thing/service/property/set",
    "thing/service/property/get",
    "rrpc/request/+",
    "thing/event/property/history/post_reply",
    "thing/event/property/batch/post_reply",
    "thing/deviceinfo/update_reply",
    "thing/deviceinfo/delete_reply",
    "thing/dynamicTsl/get_reply",
    "thing/dsltemplate/get_reply",
    "thing/model/down_raw",
    "thing/model/up_raw_reply",
    "thing/config/get_reply",
    "thing/config/push",
    "thing/ota/firmware/get_reply",
    "thing/property/desired/get_reply",
    "thing/property/desired/delete_reply",
    "thing/reset_reply",
    "thing/job/notify",
    "thing/job/get_reply",
    "thing/job/update_reply",
    "_thing/event/notify",
    "_thing/service/post_reply",
};

inline constexpr pattern ext_pub[] = {"ntp/{pk}/{dn}/request"};
// /ext/register and /ext/regnwl are published by the server only; a device
// subscribing to them is harmless (registration answers go to the
// registering connection without a subscription).
inline constexpr pattern ext_sub[] = {"ntp/{pk}/{dn}/response", "error/{pk}/{dn}", "register",
                                      "regnwl"};
inline constexpr pattern shadow_pub[] = {"update/{pk}/{dn}"};
inline constexpr pattern shadow_sub[] = {"get/{pk}/{dn}"};
inline constexpr pattern ota_pub[] = {"device/inform/{pk}/{dn}", "device/progress/{pk}/{dn}",
                                      "device/request/{pk}/{dn}"};
inline constexpr pattern ota_sub[] = {"device/upgrade/{pk}/{dn}"};
inline constexpr pattern broadcast_sub[] = {"{pk}/#"};

template <std::size_t N>
inline bool any_covers(const pattern (&table)[N], const levels& l, std::size_t from,
                       const owner& o) noexcept {
  for (const auto& p : table)
    if (covers(p, l, from, o))
      return true;
  return false;
}

inline verdict sys_rules(const owner& o, const levels& l, bool publish) noexcept {
  if (l.n < 5 || l.v[2] != o.pk || l.v[3] != o.dn)
    return verdict::deny_not_own;
  bool ok = publish ? any_covers(sys_pub, l, 4, o) : any_covers(sys_sub, l, 4, o);
  if (ok)
    return verdict::allow;
  return l.wildcard ? verdict::deny_wildcard : verdict::deny_not_own;
}

/// The fixed device topics of SPEC §3 in namespace `l.v[1]` (`sys`, `ext`
/// without `rrpc`, `shadow`, `ota`, `broadcast`); `l.v[0]` must be empty and
/// `l.n >= 2`. The caller has checked size, depth overflow and wildcards.
/// @returns allow, deny_not_own, deny_wildcard (a wildcard filter inside
///          the device's own `/sys/${pk}/${dn}/` subtree that is too broad) or
///          deny_too_deep (a broadcast filter deeper than 7 slashes).
[[nodiscard]] inline verdict fixed_rules(const owner& o, const levels& l, bool publish) noexcept {
  const auto ns = l.v[1];
  if (ns == "sys")
    return sys_rules(o, l, publish);
  bool ok = false;
  if (ns == "ext") {
    ok = publish ? any_covers(ext_pub, l, 2, o) : any_covers(ext_sub, l, 2, o);
  } else if (ns == "shadow") {
    ok = publish ? any_covers(shadow_pub, l, 2, o) : any_covers(shadow_sub, l, 2, o);
  } else if (ns == "ota") {
    ok = publish ? any_covers(ota_pub, l, 2, o) : any_covers(ota_sub, l, 2, o);
  } else if (ns == "broadcast") {
    // `/broadcast/${pk}/<suffix>` is product-defined: held to the depth limit.
    ok = !publish && any_covers(broadcast_sub, l, 2, o);
    if (ok && l.n - 1 > max_slashes)
      return verdict::deny_too_deep;
  }
  return ok ? verdict::allow : verdict::deny_not_own;
}

/// Every product's default categories (SPEC §3), without allocation.
inline const topic_category default_category_table[3] = {
    {"update", true, false}, {"update/error", true, false}, {"get", false, true}};

/// The PUBLISH hot path, without splitting: true only when `t` is one of
/// the device's own thing-model (`/sys/${pk}/${dn}/…`) or custom
/// (`/${pk}/${dn}/user/…`) publish topics. False means "ask the general
/// path", which gives the exact verdict. The caller has checked `$` and
/// the byte limit.
[[nodiscard]] inline bool publish_fast_path(const device_scope& d, std::string_view t) noexcept {
  if (d.product_key.empty() || d.device_name.empty() || !t.starts_with('/'))
    return false;
  auto rest = t.substr(1);
  const bool sys = rest.starts_with("sys/");
  if (sys)
    rest.remove_prefix(4);
  if (!eat_level(rest, d.product_key) || !eat_level(rest, d.device_name))
    return false;
  if (sys) {
    const owner o{d.product_key, d.device_name};
    return std::any_of(std::begin(sys_pub), std::end(sys_pub),
                       [&](const pattern& p) { return match_topic(p, rest, o); });
  }
  if (!rest.starts_with("user/"))
    return false;
  rest.remove_prefix(5);
  auto is_pub = [&](const topic_category& c) { return c.pub && c.suffix == rest; };
  if (!std::any_of(std::begin(default_category_table), std::end(default_category_table), is_pub) &&
      !std::any_of(d.categories.begin(), d.categories.end(), is_pub))
    return false;
  // Matched a category: still within the depth limit (4 slashes before the
  // suffix) and free of wildcards (true for categories from parse_category).
  std::size_t slashes = 0;
  for (char ch : rest) {
    auto c = char_class[static_cast<unsigned char>(ch)];
    if (c == 2)
      return false;
    slashes += c;
  }
  return 4 + slashes <= max_slashes;
}

/// The device checks without `publish_fast_path` (defined in
/// device_acl.cpp); for tests that hold the fast path to the general rules.
[[nodiscard]] verdict device_check_general(const device_scope& d, std::string_view t,
                                           bool publish) noexcept;

/// Strips `$share/<group>/`. Returns `f` unchanged when it is not a shared
/// subscription, an empty view when the share is malformed (empty group,
/// `+`/`#` in the group, no filter).
[[nodiscard]] inline std::string_view strip_share(std::string_view f) noexcept {
  constexpr std::string_view prefix = "$share/";
  if (!f.starts_with(prefix))
    return f;
  f.remove_prefix(prefix.size());
  const auto slash = f.find('/');
  if (slash == 0 || slash == std::string_view::npos || slash + 1 == f.size())
    return {};
  if (f.substr(0, slash).find_first_of("+#") != std::string_view::npos)
    return {};
  return f.substr(slash + 1);
}

}  // namespace iotb::acl::detail
