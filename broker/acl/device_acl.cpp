#include "broker/acl/device_acl.hpp"

#include <algorithm>

#include "broker/acl/topic_rules.hpp"

namespace iotb::acl {

namespace {

using detail::is_wild;
using detail::levels;
using detail::max_slashes;
using detail::max_topic_bytes;
using detail::split;

/// Offset of level `i` in the string `l` was split from.
std::size_t offset_of(const levels& l, std::size_t i, std::string_view t) noexcept {
  return static_cast<std::size_t>(l.v[i].data() - t.data());
}

/// Custom categories: `/${pk}/${dn}/user/<suffix>`; `l.v[1]` is the own pk.
verdict custom_rules(const device_scope& d, const levels& l, std::string_view t,
                     bool publish) noexcept {
  if (l.n < 5 || l.v[2] != d.device_name || l.v[3] != "user")
    return verdict::deny_not_own;
  if (l.n - 1 > max_slashes)
    return verdict::deny_too_deep;
  auto allows = [&](const topic_category& c) {
    // Publish categories hold no wildcards (parse_category), so a plain
    // comparison decides; the topic itself has none either.
    return publish ? c.pub && c.suffix == t.substr(offset_of(l, 4, t))
                   : c.sub && detail::covers_text(c.suffix, l, 4);
  };
  if (std::any_of(std::begin(detail::default_category_table),
                  std::end(detail::default_category_table), allows) ||
      std::any_of(d.categories.begin(), d.categories.end(), allows))
    return verdict::allow;
  return l.wildcard ? verdict::deny_wildcard : verdict::deny_not_own;
}

verdict device_check(const device_scope& d, std::string_view t, bool publish, bool fast) noexcept;

/// `/ext/rrpc/${messageId}/<topic>` where `<topic>` (which starts at the
/// slash after the id) is under the device's own roots `/sys/${pk}/${dn}/`
/// or `/${pk}/${dn}/`. Publish: the embedded topic must be one the device
/// may publish or subscribe to (it answers on the request's topic).
/// Subscribe: the id may be `+`, and any filter within the own roots is
/// allowed (SDKs subscribe `/ext/rrpc/+/sys/${pk}/${dn}/thing/service/+`).
verdict rrpc_rules(const device_scope& d, const levels& l, std::string_view t, bool publish,
                   bool fast) noexcept {
  if (l.n < 6 || l.v[3].empty() || l.v[3] == "#")
    return verdict::deny_not_own;
  const bool sys_root = l.v[4] == "sys";
  const std::size_t root = sys_root ? 5 : 4;  // index of the embedded ProductKey
  if (l.n < root + 2 || l.v[root] != d.product_key || l.v[root + 1] != d.device_name)
    return verdict::deny_not_own;
  const auto inner = t.substr(offset_of(l, 4, t) - 1);
  if (publish) {
    auto v = device_check(d, inner, true, fast);
    if (v != verdict::deny_not_own)
      return v;
    return device_check(d, inner, false, fast);
  }
  // Custom embedded filters keep the depth limit (system ones are exempt,
  // as outside RRPC): the embedded filter has n - 4 slashes.
  if (!sys_root && l.n - 4 > max_slashes)
    return verdict::deny_too_deep;
  return verdict::allow;
}

/// The checks common to both directions; `fast`: try the PUBLISH fast path.
verdict device_check(const device_scope& d, std::string_view t, bool publish, bool fast) noexcept {
  if (t.starts_with('$'))
    return !publish && t.starts_with("$share/") ? verdict::deny_not_own : verdict::deny_system;
  if (t.size() > max_topic_bytes)
    return verdict::deny_too_long;
  if (fast && publish && detail::publish_fast_path(d, t))
    return verdict::allow;
  const levels l = split(t);
  if (l.overflow)
    return verdict::deny_too_deep;
  if (publish ? l.wildcard : l.malformed)
    return verdict::deny_wildcard;
  if (l.n < 3 || !l.v[0].empty() || d.product_key.empty() || d.device_name.empty())
    return verdict::deny_not_own;
  const detail::owner o{d.product_key, d.device_name};
  const auto ns = l.v[1];
  if (ns == d.product_key)
    return custom_rules(d, l, t, publish);
  if (ns == "ext" && l.v[2] == "rrpc")
    return rrpc_rules(d, l, t, publish, fast);
  return detail::fixed_rules(o, l, publish);
}

/// Where the ProductKey sits in a device-namespace topic or filter.
enum class ns_kind : std::uint8_t {
  outside,     ///< no topic it matches is in a device namespace
  inside,      ///< in a device namespace; `at` is the product level
  ambiguous,   ///< wildcards could reach a device namespace or span products
  no_product,  ///< in a device namespace without a product level (`/ext/register`)
};
struct ns_pos {
  ns_kind kind;
  std::size_t at = 0;
  bool status = false;  ///< `/as/…`: server-generated
};

template <class IsProduct>
ns_pos locate(const levels& l, const IsProduct& is_product) {
  if (l.n == 0 || (!l.v[0].empty() && !is_wild(l.v[0])))
    return {ns_kind::outside};
  if (l.v[0] == "#" || l.n < 2)
    return {l.v[0] == "#" ? ns_kind::ambiguous : ns_kind::outside};
  const auto ns = l.v[1];
  ns_pos p{ns_kind::inside};
  if (is_wild(ns))
    return {ns_kind::ambiguous};
  if (ns == "sys" || ns == "broadcast") {
    p.at = 2;
  } else if (ns == "shadow") {
    p.at = 3;  // /shadow/get|update/${pk}
  } else if (ns == "ota") {
    p.at = 4;  // /ota/device/<kind>/${pk}
  } else if (ns == "as") {
    p.at = 4;  // /as/mqtt/status/${pk}
    p.status = true;
  } else if (ns == "ext") {
    if (l.n < 3 || l.v[2] == "register" || l.v[2] == "regnwl")
      return {ns_kind::no_product};
    if (is_wild(l.v[2]))
      return {ns_kind::ambiguous};
    if (l.v[2] != "rrpc") {
      p.at = 3;  // /ext/ntp|error/${pk}
    } else {
      // /ext/rrpc/${id}/[sys/]${pk}: the id may be `+`, the next level not.
      if (l.n > 4 && is_wild(l.v[4]))
        return {ns_kind::ambiguous};
      p.at = l.n > 4 && l.v[4] == "sys" ? 5 : 4;
    }
  } else if (is_product(ns)) {
    p.at = 1;
  } else {
    return {ns_kind::outside};
  }
  // A leading `+` in place of the empty first level is fine only outside.
  if (!l.v[0].empty())
    return {ns_kind::ambiguous};
  return p;
}

verdict app_check(const app_scope& a, std::string_view t, bool publish) noexcept {
  const levels l = split(t);
  if (l.overflow)
    return verdict::deny_too_deep;
  if (publish ? l.wildcard : l.malformed)
    return verdict::deny_wildcard;
  auto granted = [&](std::string_view pk) {
    return std::find(a.products.begin(), a.products.end(), pk) != a.products.end();
  };
  auto is_product = [&](std::string_view s) { return granted(s) || looks_like_product_key(s); };
  const auto p = locate(l, is_product);
  switch (p.kind) {
    case ns_kind::outside:
      return verdict::allow;
    case ns_kind::ambiguous:
    case ns_kind::no_product:
      return verdict::deny_not_own;
    case ns_kind::inside:
      break;
  }
  if (publish && p.status)
    return verdict::deny_not_own;
  if (p.at >= l.n)
    return verdict::deny_not_own;
  for (std::size_t i = 2; i < p.at; ++i)  // `#` before the product spans products
    if (l.v[i] == "#")
      return verdict::deny_not_own;
  return granted(l.v[p.at]) ? verdict::allow : verdict::deny_not_own;
}

template <class IsProduct>
bool in_device_namespace(std::string_view topic, const IsProduct& is_product) {
  if (topic.empty() || topic[0] != '/')
    return false;
  auto first = topic.substr(1, topic.find('/', 1) - 1);  // npos - 1 still clips to the end
  return first == "sys" || first == "ext" || first == "shadow" || first == "ota" ||
         first == "broadcast" || first == "as" || is_product(first);
}

template <class IsProduct>
verdict anonymous_publish(std::string_view topic, const IsProduct& is_product) {
  if (topic.starts_with('$'))
    return verdict::deny_system;
  if (topic.find_first_of("+#") != std::string_view::npos)
    return verdict::deny_wildcard;
  return in_device_namespace(topic, is_product) ? verdict::deny_not_own : verdict::allow;
}

template <class IsProduct>
verdict anonymous_subscribe(std::string_view filter, const IsProduct& is_product) {
  filter = detail::strip_share(filter);
  if (filter.empty())
    return verdict::deny_not_own;
  if (filter.starts_with('$'))
    return verdict::allow;  // $SYS statistics, as in Mosquitto's local mode
  const levels l = split(filter);
  if (l.malformed)
    return verdict::deny_wildcard;
  // Refuse only filters whose literal head names a device namespace; wider
  // ones are filtered on delivery (is_device_namespace).
  if (l.n >= 2 && l.v[0].empty() && !is_wild(l.v[1]) && in_device_namespace(filter, is_product))
    return verdict::deny_not_own;
  return verdict::allow;
}

}  // namespace

verdict detail::device_check_general(const device_scope& d, std::string_view t,
                                     bool publish) noexcept {
  return device_check(d, t, publish, false);
}

const char* to_string(verdict v) noexcept {
  switch (v) {
    case verdict::allow:
      return "allowed";
    case verdict::deny_not_own:
      return "not one of the client's topics (another device's or product's, unknown, "
             "or the wrong direction)";
    case verdict::deny_too_long:
      return "topic longer than 128 bytes";
    case verdict::deny_too_deep:
      return "topic deeper than 7 levels";
    case verdict::deny_wildcard:
      return "wildcard not allowed here";
    case verdict::deny_system:
      return "reserved '$' topic";
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
    case category_error::bad_permission:
      return "permission must be pub, sub or pub,sub";
  }
  return "invalid category";
}

expected<topic_category, category_error> parse_category(std::string_view suffix,
                                                        std::string_view perms) {
  topic_category c;
  if (perms == "pub") {
    c.pub = true;
  } else if (perms == "sub") {
    c.sub = true;
  } else if (perms == "pub,sub" || perms == "sub,pub") {
    c.pub = c.sub = true;
  } else {
    return unexpected{category_error::bad_permission};
  }
  if (suffix.empty())
    return unexpected{category_error::empty};
  const levels l = split(suffix);
  // /${pk:11}/${dn:32}/user/ = 51 bytes and 4 slashes in the worst case.
  constexpr std::size_t prefix_bytes = 51, prefix_slashes = 4;
  if (l.overflow || prefix_slashes + (l.n - 1) > max_slashes)
    return unexpected{category_error::too_deep};
  if (prefix_bytes + suffix.size() > max_topic_bytes)
    return unexpected{category_error::too_long};
  for (std::size_t i = 0; i < l.n; ++i) {
    const auto lv = l.v[i];
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
  c.suffix = std::string(suffix);
  return c;
}

std::vector<topic_category> default_categories() {
  return {std::begin(detail::default_category_table), std::end(detail::default_category_table)};
}

verdict check_topic_limits(std::string_view topic) noexcept {
  if (topic.size() > max_topic_bytes)
    return verdict::deny_too_long;
  std::string_view counted = topic;
  if (topic.starts_with("/ext/rrpc/")) {  // count the embedded topic only
    auto id_end = topic.find('/', 10);
    counted = id_end == std::string_view::npos ? std::string_view{} : topic.substr(id_end);
  }
  if (static_cast<std::size_t>(std::count(counted.begin(), counted.end(), '/')) > max_slashes)
    return verdict::deny_too_deep;
  return verdict::allow;
}

verdict device_can_publish(const device_scope& d, std::string_view topic) noexcept {
  return device_check(d, topic, true, true);
}

verdict device_can_subscribe(const device_scope& d, std::string_view filter) noexcept {
  return device_check(d, filter, false, true);
}

std::vector<std::string> auto_subscriptions(std::string_view pk, std::string_view dn) {
  // SPEC §3, in its order; `{pk}`/`{dn}` are substituted.
  static constexpr std::string_view templates[] = {
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
  std::vector<std::string> out;
  out.reserve(std::size(templates));
  for (auto tpl : templates) {
    std::string s;
    for (std::size_t i = 0; i < tpl.size();) {
      if (tpl.substr(i).starts_with("{pk}")) {
        s.append(pk);
        i += 4;
      } else if (tpl.substr(i).starts_with("{dn}")) {
        s.append(dn);
        i += 4;
      } else {
        s.push_back(tpl[i++]);
      }
    }
    out.push_back(std::move(s));
  }
  return out;
}

verdict app_can_publish(const app_scope& a, std::string_view topic) noexcept {
  if (topic.starts_with('$'))
    return verdict::deny_system;
  return app_check(a, topic, true);
}

verdict app_can_subscribe(const app_scope& a, std::string_view filter) noexcept {
  filter = detail::strip_share(filter);
  if (filter.empty())
    return verdict::deny_not_own;
  if (filter.starts_with("$SYS/") || filter == "$SYS")
    return verdict::allow;
  if (filter.starts_with('$'))
    return verdict::deny_system;
  return app_check(a, filter, false);
}

verdict anonymous_can_publish(std::string_view topic) noexcept {
  return anonymous_publish(topic, looks_like_product_key);
}

verdict anonymous_can_publish(std::string_view topic, const product_key_predicate& is_product_key) {
  return anonymous_publish(topic, is_product_key);
}

verdict anonymous_can_subscribe(std::string_view filter) noexcept {
  return anonymous_subscribe(filter, looks_like_product_key);
}

verdict anonymous_can_subscribe(std::string_view filter,
                                const product_key_predicate& is_product_key) {
  return anonymous_subscribe(filter, is_product_key);
}

bool is_device_namespace(std::string_view topic) noexcept {
  return in_device_namespace(topic, looks_like_product_key);
}

bool is_device_namespace(std::string_view topic, const product_key_predicate& is_product_key) {
  return in_device_namespace(topic, is_product_key);
}

bool looks_like_product_key(std::string_view s) noexcept {
  return s.size() == 11 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
         });
}

}  // namespace iotb::acl
