#include "broker/acl/device_acl.hpp"

#include <algorithm>
#include <array>

namespace iotb::acl {

namespace {

constexpr std::size_t max_topic_bytes = 128;
constexpr std::size_t max_slashes = 7;
constexpr std::size_t max_levels = 24;

/// A topic or filter split at '/', without allocation.
struct levels {
  std::array<std::string_view, max_levels> v;
  std::size_t n = 0;
  bool overflow = false;
};

levels split(std::string_view t) noexcept {
  levels out;
  for (;;) {
    auto slash = t.find('/');
    if (out.n == max_levels) {
      out.overflow = true;
      return out;
    }
    out.v[out.n++] = t.substr(0, slash);
    if (slash == std::string_view::npos)
      return out;
    t.remove_prefix(slash + 1);
  }
}

/// Who fills the placeholders of a pattern.
struct subst {
  std::string_view pk;
  std::string_view dn;
};

/// A pattern level resolved: "{pk}", "{dn}" are replaced.
std::string_view resolve(std::string_view p, const subst& s) noexcept {
  if (p == "{pk}")
    return s.pk;
  if (p == "{dn}")
    return s.dn;
  return p;
}

/// True when every topic `f` (a topic or a filter) can match is matched by
/// pattern `p`. Pattern level "{reply}" matches a literal level ending in
/// "_reply".
bool covers(const levels& p, const levels& f, const subst& s) noexcept {
  for (std::size_t i = 0; i < f.n; ++i) {
    if (i >= p.n)
      return false;
    auto pl = resolve(p.v[i], s);
    auto fl = f.v[i];
    if (pl == "#")
      return true;
    if (fl == "#")
      return false;
    if (pl == "+")
      continue;
    if (fl == "+")
      return false;
    if (pl == "{reply}") {
      if (!fl.ends_with("_reply") || fl.size() == 6)
        return false;
      continue;
    }
    if (pl != fl)
      return false;
  }
  return p.n == f.n || (p.n == f.n + 1 && p.v[f.n] == "#");
}

/// Patterns split once, at first use.
template <std::size_t N>
const std::vector<levels>& presplit(const std::string_view (&patterns)[N]) {
  static const std::vector<levels> out = [&] {
    std::vector<levels> v;
    for (auto p : patterns)
      v.push_back(split(p));
    return v;
  }();
  return out;
}

/// True when one of `patterns` covers `f`. Patterns whose namespace level
/// (`sys`, `shadow`, ...) differs from the topic's are skipped cheaply.
bool any_covers(const std::vector<levels>& patterns, const levels& f, const subst& s) noexcept {
  if (f.n < 2)
    return false;
  for (const auto& p : patterns) {
    if (f.v[1] != "+" && f.v[1] != "#" && p.v[1] != f.v[1])
      continue;
    if (covers(p, f, s))
      return true;
  }
  return false;
}

constexpr std::string_view device_pub[] = {
    "/sys/{pk}/{dn}/thing/event/+/post",
    "/sys/{pk}/{dn}/thing/event/property/history/post",
    "/sys/{pk}/{dn}/thing/service/property/set_reply",
    "/sys/{pk}/{dn}/thing/service/{reply}",
    "/sys/{pk}/{dn}/thing/deviceinfo/update",
    "/sys/{pk}/{dn}/thing/deviceinfo/delete",
    "/sys/{pk}/{dn}/thing/dynamicTsl/get",
    "/sys/{pk}/{dn}/thing/model/up_raw",
    "/sys/{pk}/{dn}/thing/model/down_raw_reply",
    "/sys/{pk}/{dn}/thing/config/get",
    "/sys/{pk}/{dn}/thing/config/push_reply",
    "/sys/{pk}/{dn}/thing/ota/firmware/get",
    "/sys/{pk}/{dn}/rrpc/response/+",
    "/shadow/update/{pk}/{dn}",
    "/ota/device/inform/{pk}/{dn}",
    "/ota/device/progress/{pk}/{dn}",
    "/ext/ntp/{pk}/{dn}/request",
};

constexpr std::string_view device_sub[] = {
    "/sys/{pk}/{dn}/thing/event/+/post_reply",
    "/sys/{pk}/{dn}/thing/service/+",
    "/sys/{pk}/{dn}/thing/service/property/set",
    "/sys/{pk}/{dn}/thing/deviceinfo/update_reply",
    "/sys/{pk}/{dn}/thing/deviceinfo/delete_reply",
    "/sys/{pk}/{dn}/thing/dynamicTsl/get_reply",
    "/sys/{pk}/{dn}/thing/model/down_raw",
    "/sys/{pk}/{dn}/thing/model/up_raw_reply",
    "/sys/{pk}/{dn}/thing/config/get_reply",
    "/sys/{pk}/{dn}/thing/config/push",
    "/sys/{pk}/{dn}/thing/ota/firmware/get_reply",
    "/sys/{pk}/{dn}/rrpc/request/+",
    "/ext/rrpc/+/sys/{pk}/{dn}/#",
    "/ext/rrpc/+/{pk}/{dn}/#",
    "/shadow/get/{pk}/{dn}",
    "/broadcast/{pk}/#",
    "/ota/device/upgrade/{pk}/{dn}",
    "/ext/ntp/{pk}/{dn}/response",
    "/ext/error/{pk}/{dn}",
    "/ext/register",
    "/ext/regnwl",
};

/// The downlink topics of SPEC §3's automatic subscription.
constexpr std::string_view auto_subs[] = {
    "/sys/{pk}/{dn}/thing/event/+/post_reply",
    "/sys/{pk}/{dn}/thing/service/property/set",
    "/sys/{pk}/{dn}/thing/service/+",
    "/sys/{pk}/{dn}/thing/deviceinfo/update_reply",
    "/sys/{pk}/{dn}/thing/deviceinfo/delete_reply",
    "/sys/{pk}/{dn}/thing/dynamicTsl/get_reply",
    "/sys/{pk}/{dn}/thing/model/down_raw",
    "/sys/{pk}/{dn}/thing/model/up_raw_reply",
    "/sys/{pk}/{dn}/rrpc/request/+",
    "/ext/rrpc/+/sys/{pk}/{dn}/#",
    "/ext/rrpc/+/{pk}/{dn}/#",
    "/ext/ntp/{pk}/{dn}/response",
    "/ext/error/{pk}/{dn}",
    "/shadow/get/{pk}/{dn}",
    "/ota/device/upgrade/{pk}/{dn}",
    "/sys/{pk}/{dn}/thing/config/push",
};

/// Does a custom category (a default or the product's) cover `f`? Only
/// `/${pk}/${dn}/user/...` with the device's own literal pk and dn can be.
bool custom_allows(const device_scope& d, const levels& f, bool publish) noexcept {
  static const topic_category defaults[] = {
      {"update", true, false}, {"update/error", true, false}, {"get", false, true}};
  if (f.n < 5 || !f.v[0].empty() || f.v[1] != d.product_key || f.v[2] != d.device_name ||
      f.v[3] != "user")
    return false;
  levels tail;
  for (std::size_t i = 4; i < f.n; ++i)
    tail.v[tail.n++] = f.v[i];
  subst s{d.product_key, d.device_name};
  auto ok = [&](const topic_category& c) {
    return (publish ? c.pub : c.sub) && covers(split(c.suffix), tail, s);
  };
  return std::any_of(std::begin(defaults), std::end(defaults), ok) ||
         std::any_of(d.categories.begin(), d.categories.end(), ok);
}

bool has_wildcard(std::string_view t) noexcept {
  return t.find_first_of("+#") != std::string_view::npos;
}

bool is_product_key_shape(std::string_view s) noexcept {
  return s.size() == 11 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
         });
}

/// Where the ProductKey sits in a device-namespace topic or filter, or 0
/// when `l` is not in a device namespace. -1: a wildcard hides whether it
/// is (the namespace keyword itself is a wildcard).
int product_level(const levels& l) noexcept {
  if (l.n < 2 || l.v[0] != "")
    return l.n >= 1 && (l.v[0] == "+" || l.v[0] == "#") ? -1 : 0;
  auto ns = l.v[1];
  if (ns == "+" || ns == "#")
    return -1;
  if (ns == "sys" || ns == "broadcast")
    return 2;
  if (ns == "shadow")
    return 3;
  if (ns == "ota")
    return 4;
  if (ns == "as")
    return 4;  // /as/mqtt/status/${pk}
  if (ns == "ext") {
    if (l.n > 2 && l.v[2] == "rrpc")
      return l.n > 4 && l.v[4] == "sys" ? 5 : 4;  // /ext/rrpc/${id}/[sys/]${pk}
    return 3;  // /ext/ntp/${pk}, /ext/error/${pk}
  }
  return is_product_key_shape(ns) ? 1 : 0;
}

verdict app_check(const app_scope& a, std::string_view t) noexcept {
  if (t.starts_with('$'))
    return verdict::deny_system;
  auto l = split(t);
  auto at = product_level(l);
  if (at == 0)
    return verdict::allow;  // not a device topic
  if (at < 0 || static_cast<std::size_t>(at) >= l.n)
    return verdict::deny_not_own;
  for (int i = 0; i < at; ++i)
    if (l.v[i] == "+" || l.v[i] == "#")
      return verdict::deny_not_own;  // spans namespaces or products
  auto pk = l.v[at];
  bool granted = std::find(a.products.begin(), a.products.end(), pk) != a.products.end();
  return granted ? verdict::allow : verdict::deny_not_own;
}

}  // namespace

const char* to_string(verdict v) noexcept {
  switch (v) {
    case verdict::allow:
      return "allowed";
    case verdict::deny_not_own:
      return "not the client's own topic";
    case verdict::deny_too_long:
      return "topic longer than 128 bytes";
    case verdict::deny_too_deep:
      return "topic deeper than 7 levels";
    case verdict::deny_wildcard:
      return "wildcard not allowed here";
    case verdict::deny_system:
      return "system topic";
  }
  return "denied";
}

const char* to_string(category_error e) noexcept {
  switch (e) {
    case category_error::empty:
      return "empty suffix or level";
    case category_error::bad_character:
      return "levels may hold only letters, digits, '_' and '-' (and wildcards)";
    case category_error::wildcard_in_pub:
      return "wildcards are allowed only in sub-only categories";
    case category_error::misplaced_hash:
      return "'#' must be the whole last level and '+' a whole level";
    case category_error::too_long:
      return "the full topic could exceed 128 bytes";
    case category_error::too_deep:
      return "the full topic would exceed 7 levels";
  }
  return "invalid category";
}

expected<topic_category, category_error> parse_category(std::string_view suffix,
                                                        std::string_view perms) {
  topic_category c;
  c.suffix = std::string(suffix);
  c.pub = perms == "pub" || perms == "pub,sub" || perms == "sub,pub";
  c.sub = perms == "sub" || perms == "pub,sub" || perms == "sub,pub";
  if (suffix.empty())
    return unexpected{category_error::empty};
  auto l = split(suffix);
  if (l.overflow)
    return unexpected{category_error::too_deep};
  for (std::size_t i = 0; i < l.n; ++i) {
    auto lv = l.v[i];
    if (lv.empty())
      return unexpected{category_error::empty};
    if (lv == "+" || lv == "#") {
      if (c.pub)
        return unexpected{category_error::wildcard_in_pub};
      if (lv == "#" && i + 1 != l.n)
        return unexpected{category_error::misplaced_hash};
      continue;
    }
    for (char ch : lv) {
      if (ch == '+' || ch == '#')
        return unexpected{category_error::misplaced_hash};
      bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
                ch == '_' || ch == '-';
      if (!ok)
        return unexpected{category_error::bad_character};
    }
  }
  // /${pk:11}/${dn:32}/user/ = 1+11+1+32+1+4+1 = 51 bytes and 4 slashes.
  if (51 + suffix.size() > max_topic_bytes)
    return unexpected{category_error::too_long};
  if (4 + (l.n - 1) > max_slashes)
    return unexpected{category_error::too_deep};
  return c;
}

std::vector<topic_category> default_categories() {
  return {{"update", true, false}, {"update/error", true, false}, {"get", false, true}};
}

verdict check_topic_limits(std::string_view topic) noexcept {
  if (topic.size() > max_topic_bytes)
    return verdict::deny_too_long;
  std::string_view counted = topic;
  if (topic.starts_with("/ext/rrpc/")) {
    auto id_end = topic.find('/', 10);
    counted = id_end == std::string_view::npos ? std::string_view{} : topic.substr(id_end);
  }
  if (static_cast<std::size_t>(std::count(counted.begin(), counted.end(), '/')) > max_slashes)
    return verdict::deny_too_deep;
  return verdict::allow;
}

verdict device_can_publish(const device_scope& d, std::string_view topic) noexcept {
  if (topic.starts_with('$'))
    return verdict::deny_system;
  if (topic.size() > max_topic_bytes)
    return verdict::deny_too_long;
  if (has_wildcard(topic))
    return verdict::deny_wildcard;
  auto l = split(topic);
  subst s{d.product_key, d.device_name};
  if (any_covers(presplit(device_pub), l, s))  // fixed shapes, some 8 levels deep
    return verdict::allow;
  if (auto v = check_topic_limits(topic); v != verdict::allow)
    return v;
  if (custom_allows(d, l, true))
    return verdict::allow;
  // /ext/rrpc/${id}/<topic>: an answer on any topic of the device's own.
  if (l.n > 4 && l.v[1] == "ext" && l.v[2] == "rrpc" && !l.v[3].empty()) {
    auto inner = topic.substr(10 + l.v[3].size());
    if (device_can_publish(d, inner) == verdict::allow ||
        device_can_subscribe(d, inner) == verdict::allow)
      return verdict::allow;
  }
  return verdict::deny_not_own;
}

verdict device_can_subscribe(const device_scope& d, std::string_view filter) noexcept {
  if (filter.starts_with('$'))
    return filter.starts_with("$share/") ? verdict::deny_not_own : verdict::deny_system;
  if (filter.size() > max_topic_bytes)
    return verdict::deny_too_long;
  auto l = split(filter);
  subst s{d.product_key, d.device_name};
  if (any_covers(presplit(device_sub), l, s))
    return verdict::allow;
  if (auto v = check_topic_limits(filter); v != verdict::allow)
    return v;
  if (custom_allows(d, l, false))
    return verdict::allow;
  return verdict::deny_not_own;
}

std::vector<std::string> auto_subscriptions(std::string_view pk, std::string_view dn) {
  std::vector<std::string> out;
  for (auto p : auto_subs) {
    std::string t;
    auto l = split(p);
    for (std::size_t i = 0; i < l.n; ++i) {
      if (i)
        t.push_back('/');
      t.append(resolve(l.v[i], subst{pk, dn}));
    }
    out.push_back(std::move(t));
  }
  return out;
}

verdict app_can_publish(const app_scope& a, std::string_view topic) noexcept {
  return app_check(a, topic);
}

verdict app_can_subscribe(const app_scope& a, std::string_view filter) noexcept {
  if (filter.starts_with("$share/")) {
    auto rest = filter.substr(7);
    auto slash = rest.find('/');
    if (slash == 0 || slash == std::string_view::npos || slash + 1 >= rest.size() ||
        has_wildcard(rest.substr(0, slash)))
      return verdict::deny_not_own;
    filter = rest.substr(slash + 1);
  }
  return app_check(a, filter);
}

verdict anonymous_can_publish(std::string_view topic) noexcept {
  if (topic.starts_with('$'))
    return verdict::deny_system;
  return is_device_namespace(topic) ? verdict::deny_not_own : verdict::allow;
}

verdict anonymous_can_subscribe(std::string_view filter) noexcept {
  if (filter.starts_with("$share/")) {
    auto rest = filter.substr(7);
    auto slash = rest.find('/');
    if (slash == std::string_view::npos)
      return verdict::deny_not_own;
    filter = rest.substr(slash + 1);
  }
  // Refuse filters whose literal head already names a device namespace.
  auto l = split(filter);
  return product_level(l) > 0 ? verdict::deny_not_own : verdict::allow;
}

bool is_device_namespace(std::string_view topic) noexcept {
  return product_level(split(topic)) > 0;
}

}  // namespace iotb::acl
