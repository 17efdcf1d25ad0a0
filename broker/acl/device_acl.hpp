#pragma once
/// @file
/// Topic authorization rules of SPEC §3, pure and allocation-free: a device
/// only on its own topics (custom categories, thing model, RRPC, shadow,
/// broadcast, OTA, remote config, NTP), applications across the devices of
/// their granted products, anonymous clients outside the device namespaces.
/// Unit-tested in device_acl.test.cpp.
///
/// Subscriptions: a filter is allowed only when every topic it can match is
/// one the principal may receive (filter containment, `+`/`#` aware).
///
/// Thread-safety: pure functions.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "broker/util/expected.hpp"

namespace iotb::acl {

/// The answer of a check. Callers map refusals to MQTT 0x87 / SUBACK 0x80
/// and write `to_string` into the device log.
enum class verdict : std::uint8_t {
  allow,
  deny_not_own,   ///< another device's, another product's or an unknown topic
  deny_too_long,  ///< more than 128 bytes
  deny_too_deep,  ///< more than 7 levels (slashes)
  deny_wildcard,  ///< a wildcard where none is allowed
  deny_system,    ///< `$SYS` and other `$` topics
};

/// Static text for logs ("not the device's own topic").
[[nodiscard]] const char* to_string(verdict v) noexcept;

/// A custom topic category: `/${productKey}/${deviceName}/user/<suffix>`.
struct topic_category {
  std::string suffix;
  bool pub = false;
  bool sub = false;
};

/// Why a category definition is refused.
enum class category_error : std::uint8_t {
  empty,            ///< empty suffix or an empty level
  bad_character,    ///< outside `[A-Za-z0-9_-]`, `+`, `#`
  wildcard_in_pub,  ///< wildcards are allowed only in sub-only categories
  misplaced_hash,   ///< `#` not alone in the last level, or `+` not alone
  too_long,         ///< the full topic may exceed 128 bytes (pk 11, dn 32 chars)
  too_deep,         ///< the full topic has more than 7 levels
};
[[nodiscard]] const char* to_string(category_error e) noexcept;

/// Validates a custom category (`perms`: "pub", "sub" or "pub,sub"). The
/// caller enforces at most 50 categories per product.
[[nodiscard]] expected<topic_category, category_error> parse_category(std::string_view suffix,
                                                                      std::string_view perms);

/// Every product's default categories: `update` (pub), `update/error` (pub),
/// `get` (sub).
[[nodiscard]] std::vector<topic_category> default_categories();

/// The device a check is for.
struct device_scope {
  std::string_view product_key;
  std::string_view device_name;
  std::span<const topic_category> categories;  ///< the product's custom ones
  bool ext_rrpc = false;
};

/// An application credential's granted products.
struct app_scope {
  std::span<const std::string> products;
};

/// ≤ 128 bytes and ≤ 7 slashes; `/ext/rrpc/${id}` prefixes another topic,
/// whose own slashes are counted instead. The device checks apply the
/// depth limit to custom (`/user/`) topics: some system topics of SPEC §3
/// (`…/thing/event/property/history/post`) are 8 levels deep by design.
[[nodiscard]] verdict check_topic_limits(std::string_view topic) noexcept;

[[nodiscard]] verdict device_can_publish(const device_scope& d, std::string_view topic) noexcept;
[[nodiscard]] verdict device_can_subscribe(const device_scope& d,
                                           std::string_view filter) noexcept;

/// The downlink filters a device is subscribed to without SUBSCRIBE
/// (SPEC §3 "automatic subscription"); `/ext/rrpc/+/#` is narrowed to the
/// device's own topics: `/ext/rrpc/+/sys/${pk}/${dn}/#` and
/// `/ext/rrpc/+/${pk}/${dn}/#`.
[[nodiscard]] std::vector<std::string> auto_subscriptions(std::string_view pk,
                                                          std::string_view dn);

[[nodiscard]] verdict app_can_publish(const app_scope& a, std::string_view topic) noexcept;
/// Also accepts `$share/<group>/<filter>`.
[[nodiscard]] verdict app_can_subscribe(const app_scope& a, std::string_view filter) noexcept;

[[nodiscard]] verdict anonymous_can_publish(std::string_view topic) noexcept;
/// Filters that can only match device topics are refused; wide filters
/// (`#`) are allowed, and the delivery path skips device topics for
/// anonymous subscribers with `is_device_namespace`.
[[nodiscard]] verdict anonymous_can_subscribe(std::string_view filter) noexcept;

/// True for topics in a device namespace: `/sys/`, `/ext/`, `/shadow/`,
/// `/ota/`, `/broadcast/`, `/as/`, or `/<11 chars [A-Za-z0-9]>/` (the shape
/// of a ProductKey: anonymous clients cannot know which keys exist).
[[nodiscard]] bool is_device_namespace(std::string_view topic) noexcept;

}  // namespace iotb::acl
