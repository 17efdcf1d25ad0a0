#include "broker/acl/topic_rules.hpp"

namespace iotb::acl::detail {

namespace {

bool is_hash(std::string_view lv) noexcept {
  return lv.size() == 1 && lv[0] == '#';
}

bool is_plus(std::string_view lv) noexcept {
  return lv.size() == 1 && lv[0] == '+';
}

/// `${serviceId}_reply`: a non-empty id, then `_reply`.
bool is_reply_level(std::string_view lv) noexcept {
  return lv.size() > 6 && lv.ends_with("_reply");
}

// The fixed device topics, by namespace and direction. Thing-model topics
// are relative to `/sys/${pk}/${dn}/`, the others to `/<namespace>/`.
// SPEC §3 and the brief, plus the device's own topics that the reference
// (device-access-guide §6.3) lists for SDK features: property get, batch and
// history post replies, desired properties, dsltemplate, reset, jobs and the
// `_thing` notifications. Gateway/sub-device topics (topo, sub/register,
// combine login) are not here: they act for other devices.

constexpr pattern sys_pub[] = {
    "thing/event/+/post",  // first: property/post is the common case
    "thing/event/property/history/post",
    "thing/event/property/batch/post",
    "thing/service/property/set_reply",
    "thing/service/property/get_reply",
    "thing/service/{reply}",
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

constexpr pattern sys_sub[] = {
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

constexpr pattern ext_pub[] = {"ntp/{pk}/{dn}/request"};
// /ext/register and /ext/regnwl are published by the server only; a device
// subscribing to them is harmless (registration answers go to the
// registering connection without a subscription).
constexpr pattern ext_sub[] = {"ntp/{pk}/{dn}/response", "error/{pk}/{dn}", "register", "regnwl"};
constexpr pattern shadow_pub[] = {"update/{pk}/{dn}"};
constexpr pattern shadow_sub[] = {"get/{pk}/{dn}"};
constexpr pattern ota_pub[] = {"device/inform/{pk}/{dn}", "device/progress/{pk}/{dn}",
                               "device/request/{pk}/{dn}"};
constexpr pattern ota_sub[] = {"device/upgrade/{pk}/{dn}"};
constexpr pattern broadcast_sub[] = {"{pk}/#"};

template <std::size_t N>
bool any_covers(const pattern (&table)[N], const levels& l, std::size_t from,
                const owner& o) noexcept {
  for (const auto& p : table)
    if (covers(p, l, from, o))
      return true;
  return false;
}

verdict sys_rules(const owner& o, const levels& l, bool publish) noexcept {
  if (l.n < 5 || l.v[2] != o.pk || l.v[3] != o.dn)
    return verdict::deny_not_own;
  bool ok = publish ? any_covers(sys_pub, l, 4, o) : any_covers(sys_sub, l, 4, o);
  if (ok)
    return verdict::allow;
  return l.wildcard ? verdict::deny_wildcard : verdict::deny_not_own;
}

}  // namespace

levels split(std::string_view t) noexcept {
  levels out;
  const char* p = t.data();
  const std::size_t size = t.size();
  std::size_t start = 0;
  for (std::size_t i = 0;; ++i) {
    if (i == size || p[i] == '/') {
      if (out.n == levels::capacity) {
        out.overflow = true;
        return out;
      }
      out.v[out.n++] = std::string_view(p + start, i - start);
      if (i == size)
        return out;
      start = i + 1;
    } else if (p[i] == '+' || p[i] == '#') {
      out.wildcard = true;
      bool alone = i == start && (i + 1 == size || p[i + 1] == '/');
      if (!alone || (p[i] == '#' && i + 1 != size))
        out.malformed = true;
    }
  }
}

bool covers(const pattern& p, const levels& f, std::size_t from, const owner& o) noexcept {
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

bool covers_text(std::string_view p, const levels& f, std::size_t from) noexcept {
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

verdict fixed_rules(const owner& o, const levels& l, bool publish) noexcept {
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

std::string_view strip_share(std::string_view f) noexcept {
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
