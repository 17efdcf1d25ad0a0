#pragma once
/// @file
/// Topic authorization rules of SPEC §3, §2.1 and §10 as pure functions:
/// a device only on its own topics (custom categories, thing model, RRPC,
/// shadow, broadcast, OTA, remote config, NTP), applications across the
/// devices of their granted products, anonymous clients outside the device
/// namespaces. No I/O, no allocation on the check path (only
/// `parse_category`, `default_categories` and `auto_subscriptions`
/// allocate). Unit tests: device_acl.test.cpp; benchmark: bench/micro_acl.cpp.
///
/// Subscriptions: a filter is allowed only when every topic it can match is
/// one the principal may receive (filter containment, `+`/`#` aware), so a
/// filter broader than what is granted is refused, never narrowed.
///
/// Limits (SPEC §3: ≤ 128 bytes, ≤ 7 slashes) are checked for devices only:
/// the byte limit for every topic, the depth limit for custom topics
/// (`/${pk}/${dn}/user/…`) and broadcast filters. The fixed system topics
/// are exempt from the depth limit because SPEC §3 itself lists an 8-slash
/// one (`/sys/${pk}/${dn}/thing/event/property/history/post`); their shapes
/// are fixed, so the exemption admits nothing unbounded. Applications and
/// anonymous clients are not held to the platform's device limits.
///
/// Thread-safety: every function is pure and may be called from any thread.

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "broker/util/expected.hpp"

namespace iotb::acl {

/// The answer of a check. Callers map every refusal to MQTT 5 reason 0x87
/// (not authorized) / 3.1.1 SUBACK 0x80 (a refused 3.1.1 PUBLISH is dropped)
/// and write `to_string(v)` into the device log.
enum class verdict : std::uint8_t {
  allow,          ///< permitted
  deny_not_own,   ///< another device's or product's topic, an unknown topic, or
                  ///< the wrong direction (publishing on a subscribe-only topic)
  deny_too_long,  ///< more than 128 bytes
  deny_too_deep,  ///< more than 7 slashes (see check_topic_limits)
  deny_wildcard,  ///< a wildcard in a PUBLISH topic, a malformed wildcard
                  ///< (`a+`, `#/x`), or a filter within the device's own
                  ///< subtree that is broader than what it may subscribe to
  deny_system,    ///< `$SYS/…` and other `$` topics
};

/// Static, human-readable text for logs, e.g. "topic longer than 128 bytes".
[[nodiscard]] const char* to_string(verdict v) noexcept;

/// A custom topic category of a product: the template
/// `/${productKey}/${deviceName}/user/<suffix>`, where `suffix` may have
/// several levels and, in sub-only categories, `+`/`#` wildcards.
struct topic_category {
  std::string suffix;  ///< without the leading `/`, e.g. "data/+"
  bool pub = false;    ///< devices may publish on it
  bool sub = false;    ///< devices may subscribe to it
};

/// Why `parse_category` refuses a category definition.
enum class category_error : std::uint8_t {
  empty,            ///< empty suffix or an empty level (`a//b`, `/a`, `a/`)
  bad_character,    ///< a character outside `[A-Za-z0-9_-]` and the wildcards
  wildcard_in_pub,  ///< wildcards are allowed only in sub-only categories
  misplaced_hash,   ///< `#` not alone in the last level, or `+` not alone in a level
  too_long,         ///< the full topic could exceed 128 bytes
  too_deep,         ///< the full topic would have more than 7 slashes
  bad_permission,   ///< `perms` is not "pub", "sub", "pub,sub" or "sub,pub"
};

/// Static text for `category_error`, for the admin API and CLI.
[[nodiscard]] const char* to_string(category_error e) noexcept;

/// Validates a custom category definition.
/// @param suffix the part after `/${productKey}/${deviceName}/user/`.
/// @param perms "pub", "sub", "pub,sub" or "sub,pub".
/// @returns the category, or why it is refused. Limits are checked for the
///          worst case the platform allows, a ProductKey of 11 and a
///          DeviceName of 32 characters: the prefix `/${pk}/${dn}/user/` is
///          then 51 bytes and 4 slashes, so `suffix` may have at most 77
///          bytes and 4 levels. Wildcards count as one byte, as in a filter
///          (a `#` category may match deeper topics, but no such topic passes
///          the device limits).
/// @note At most 50 custom categories per product: the caller enforces it.
[[nodiscard]] expected<topic_category, category_error> parse_category(std::string_view suffix,
                                                                      std::string_view perms);

/// Every product's default categories: `update` (pub), `update/error` (pub),
/// `get` (sub). The device checks apply them implicitly; they need not be
/// repeated in `device_scope::categories`.
[[nodiscard]] std::vector<topic_category> default_categories();

/// The authenticated device a check is for. Views: the referenced strings
/// and categories must outlive the call.
struct device_scope {
  std::string_view product_key;                ///< the device's own ProductKey
  std::string_view device_name;                ///< the device's own DeviceName
  std::span<const topic_category> categories;  ///< the product's custom ones
  /// The device asked for extended RRPC (`ext=3`). Informational: the
  /// checks allow the `/ext/rrpc/…` topics either way, because SDKs
  /// subscribe to them independently of the flag and the automatic
  /// subscriptions include them.
  bool ext_rrpc = false;
};

/// An application credential (a back-end service).
struct app_scope {
  std::span<const std::string> products;  ///< the ProductKeys it is granted
};

/// Decides whether a string names an existing product; used instead of the
/// product-key shape heuristic where the caller can ask the registry. Must
/// be callable (not empty) and thread-safe if the check is shared.
using product_key_predicate = std::function<bool(std::string_view)>;

/// SPEC §3 limits: at most 128 bytes and at most 7 slashes. Exception:
/// `/ext/rrpc/${messageId}/<topic>` embeds another topic, so the
/// `/ext/rrpc/${messageId}` prefix is stripped and only the embedded
/// topic's slashes are counted (the byte limit still applies to the whole).
/// @returns allow, deny_too_long or deny_too_deep.
[[nodiscard]] verdict check_topic_limits(std::string_view topic) noexcept;

/// May the device publish to `topic` (SPEC §3 table, own ProductKey and
/// DeviceName only)?
/// @returns allow; deny_system for `$…`; deny_too_long; deny_too_deep for a
///          custom topic deeper than 7 slashes; deny_wildcard if `topic`
///          contains `+` or `#`; deny_not_own otherwise.
[[nodiscard]] verdict device_can_publish(const device_scope& d, std::string_view topic) noexcept;

/// May the device subscribe to `filter`? Allowed when every topic the
/// filter can match is one the device may subscribe to (SPEC §3, own
/// ProductKey and DeviceName only). `$share/…` is refused (deny_not_own):
/// shared subscriptions are for applications.
/// @returns allow; deny_system for other `$…` filters; deny_too_long;
///          deny_too_deep; deny_wildcard (see `verdict`); deny_not_own.
[[nodiscard]] verdict device_can_subscribe(const device_scope& d, std::string_view filter) noexcept;

/// The downlink filters a device is subscribed to without SUBSCRIBE (SPEC
/// §3 "automatic subscription"), with `${pk}`/`${dn}` substituted, in the
/// SPEC's order. `/ext/rrpc/+/#` "for the device's own topics" becomes two
/// filters: `/ext/rrpc/+/sys/${pk}/${dn}/#` and `/ext/rrpc/+/${pk}/${dn}/#`.
/// Every filter passes `device_can_subscribe` for the same device.
[[nodiscard]] std::vector<std::string> auto_subscriptions(std::string_view pk, std::string_view dn);

/// May an application publish to `topic`? Yes for topics of its granted
/// products (downlink: `/${pk}/…`, `/sys/${pk}/…`, `/shadow/get/${pk}/…`,
/// `/ota/…`, `/ext/ntp|error|rrpc/…`, `/broadcast/${pk}/…`) and for topics
/// outside the device namespaces. Never `$…` (deny_system), never the
/// server-generated `/as/…` status topics, `/ext/register` or
/// `/ext/regnwl` (deny_not_own).
[[nodiscard]] verdict app_can_publish(const app_scope& a, std::string_view topic) noexcept;

/// May an application subscribe to `filter`, optionally wrapped in
/// `$share/<group>/` (a malformed share — empty group, a wildcard in the
/// group, no filter — is refused)? Allowed when the filter lies outside the
/// device namespaces, or when it names a granted ProductKey, literally, in
/// the product position of its namespace (`/${pk}/+/user/#`,
/// `/sys/${pk}/+/thing/event/+/post`, `/as/mqtt/status/${pk}/#`,
/// `/shadow/get/${pk}/+`, `/ext/rrpc/+/sys/${pk}/#`). Filters whose
/// wildcards could reach a device namespace or span products (`#`, `+/#`,
/// `/+/+/user/#`, `/sys/#`) are refused. `$SYS/…` may be subscribed to
/// (broker statistics for monitoring back ends).
[[nodiscard]] verdict app_can_subscribe(const app_scope& a, std::string_view filter) noexcept;

/// Anonymous publish: refused in the device namespaces (see
/// `is_device_namespace`), refused for `$…` (deny_system), else allowed.
[[nodiscard]] verdict anonymous_can_publish(std::string_view topic) noexcept;
/// As above, with `is_product_key` deciding the `/${pk}/…` namespace.
[[nodiscard]] verdict anonymous_can_publish(std::string_view topic,
                                            const product_key_predicate& is_product_key);

/// Anonymous subscribe: refused when the filter's first levels name a device
/// namespace literally (`/sys/#`, `/${pk}/+/user/get`); wide filters (`#`,
/// `+/#`, `/+/+/user/#`) and `$SYS/…` are allowed — the delivery path must
/// skip device-namespace topics for anonymous subscribers with
/// `is_device_namespace` (for retained messages too). `$share/<group>/…`
/// is unwrapped as for applications.
[[nodiscard]] verdict anonymous_can_subscribe(std::string_view filter) noexcept;
/// As above, with `is_product_key` deciding the `/${pk}/…` namespace.
[[nodiscard]] verdict anonymous_can_subscribe(std::string_view filter,
                                              const product_key_predicate& is_product_key);

/// True for a topic in a device namespace: its first level is empty and its
/// second is `sys`, `ext`, `shadow`, `ota`, `broadcast`, `as`, or has the
/// shape of a ProductKey (`looks_like_product_key`). The shape is a
/// heuristic: an anonymous client cannot know which keys exist, and a
/// topic such as `/abcdefghijk/x` is treated as a device topic.
[[nodiscard]] bool is_device_namespace(std::string_view topic) noexcept;
/// As above, with `is_product_key` instead of the shape heuristic.
[[nodiscard]] bool is_device_namespace(std::string_view topic,
                                       const product_key_predicate& is_product_key);

/// True for exactly 11 characters of `[A-Za-z0-9]`, the shape of a
/// generated ProductKey (SPEC §1).
[[nodiscard]] bool looks_like_product_key(std::string_view s) noexcept;

}  // namespace iotb::acl
