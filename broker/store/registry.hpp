#pragma once
/// @file
/// The device registry (SPEC §1): products, devices, application
/// credentials, registration-free client tokens, the per-device log and the
/// change feed, stored as FlatBuffers records (schemas/registry.fbs) in the
/// LMDB environment of the data directory.
///
/// Every function takes the transaction it works in, so that callers group
/// work: the CLI commits one change per command, the broker's store writer
/// commits many device-log lines in one transaction. Functions that change a
/// device or product also append to the change feed, which running brokers
/// poll to act at once (a disabled device is disconnected).
///
/// Secrets are returned in the records (the caller decides what to print)
/// and never appear in error texts.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "broker/store/env.hpp"
#include "broker/util/clock.hpp"

namespace iotb::store {

/// SPEC §1 node types.
enum class node_type : std::uint8_t { direct, gateway, sub_device };
/// SPEC §1 data formats.
enum class data_format : std::uint8_t { alink_json, custom };
/// Device state (independent of enabled/disabled).
enum class device_state : std::uint8_t { inactive, online, offline };

/// A custom topic category (see acl::topic_category).
struct category_record {
  std::string suffix;
  bool pub = false;
  bool sub = false;
};

struct product_record {
  std::string product_key;
  std::string product_secret;
  std::string name;
  node_type node = node_type::direct;
  data_format format = data_format::alink_json;
  bool dynamic_register = false;
  std::vector<category_record> categories;
  std::uint64_t created_ms = 0;
  std::string description;
};

struct tag_record {
  std::string key;
  std::string value;
};

struct device_record {
  std::string product_key;
  std::string device_name;
  std::string device_secret;
  std::string alias;
  device_state state = device_state::inactive;
  bool disabled = false;
  std::uint64_t created_ms = 0;
  std::uint64_t activated_ms = 0;
  std::uint64_t last_online_ms = 0;
  std::uint64_t last_offline_ms = 0;
  std::string last_ip;
  std::vector<tag_record> tags;
};

struct app_record {
  std::string access_key_id;
  std::string access_key_secret;
  std::string name;
  std::vector<std::string> products;
  std::vector<std::string> scopes;
  std::uint64_t created_ms = 0;
};

/// Kinds of device-log events.
enum class log_kind : std::uint8_t {
  connect,
  disconnect,
  auth_failure,
  acl_denied,
  takeover,
  throttled,
  registered,
  lifecycle,
  call  ///< server → device calls: timeouts, dropped answers, async service replies
};
/// "connect", "acl_denied", ...
[[nodiscard]] const char* to_string(log_kind k) noexcept;

struct log_record {
  std::uint64_t seq = 0;
  std::uint64_t time_ms = 0;
  log_kind kind = log_kind::connect;
  std::string text;
  std::string client_ip;
};

/// Kinds of registry changes in the change feed.
enum class change_kind : std::uint8_t {
  device_created,
  device_disabled,
  device_enabled,
  device_deleted,
  product_created,
  product_updated,
  app_created,
  device_updated,
  product_deleted
};

struct change_record {
  std::uint64_t seq = 0;
  change_kind kind = change_kind::device_created;
  std::string product_key;
  std::string device_name;
  std::uint64_t time_ms = 0;
};

/// Limits of SPEC §1 and of the stores.
inline constexpr std::size_t max_products = 1000;
inline constexpr std::size_t max_categories = 50;
inline constexpr std::size_t max_regnwl_clients = 5;  ///< per DeviceName
inline constexpr std::size_t device_log_keep = 200;   ///< entries per device
inline constexpr std::size_t change_feed_keep = 10000;

/// What `create_product` needs.
struct product_spec {
  std::string name;
  node_type node = node_type::direct;
  data_format format = data_format::alink_json;
  bool dynamic_register = false;
  std::vector<category_record> categories;  ///< besides the defaults
  std::string description;
};

// -- products ----------------------------------------------------------------

/// Creates a product with a generated ProductKey and ProductSecret.
/// Errors: invalid (name rules, categories), limit (1,000 products).
[[nodiscard]] expected<product_record, error> create_product(write_txn& t, const product_spec& s);
/// Errors: not_found, corrupt.
[[nodiscard]] expected<product_record, error> get_product(const txn& t, std::string_view pk);
[[nodiscard]] expected<std::vector<product_record>, error> list_products(const txn& t);
/// Adds (or replaces the permissions of) a custom topic category.
/// Errors: not_found, invalid, limit (50 categories).
[[nodiscard]] expected<product_record, error> add_category(write_txn& t, std::string_view pk,
                                                           const category_record& c);
/// Turns dynamic registration on or off. Errors: not_found.
[[nodiscard]] expected<product_record, error> set_dynamic_register(write_txn& t,
                                                                   std::string_view pk, bool on);

// -- devices -----------------------------------------------------------------

/// Creates a device (DeviceName generated when `name` is empty) with a
/// generated 32-char DeviceSecret. Errors: not_found (product), invalid
/// (name rules), exists.
[[nodiscard]] expected<device_record, error> create_device(write_txn& t, std::string_view pk,
                                                           std::string_view name);
/// Errors: not_found, corrupt.
[[nodiscard]] expected<device_record, error> get_device(const txn& t, std::string_view pk,
                                                        std::string_view dn);
/// Devices of one product (all products when `pk` is empty), by name.
[[nodiscard]] expected<std::vector<device_record>, error> list_devices(const txn& t,
                                                                       std::string_view pk);
/// Enables or disables a device. Errors: not_found.
[[nodiscard]] expected<device_record, error> set_disabled(write_txn& t, std::string_view pk,
                                                          std::string_view dn, bool disabled);
/// Deletes a device with its registration-free clients and its log.
/// Errors: not_found.
[[nodiscard]] expected<bool, error> delete_device(write_txn& t, std::string_view pk,
                                                  std::string_view dn);
/// Records a successful connect (activation time on the first one).
/// Errors: not_found (deleted meanwhile).
[[nodiscard]] expected<bool, error> mark_online(write_txn& t, std::string_view pk,
                                                std::string_view dn, std::string_view ip,
                                                std::uint64_t time_ms);
/// Records a disconnect. Errors: not_found.
[[nodiscard]] expected<bool, error> mark_offline(write_txn& t, std::string_view pk,
                                                 std::string_view dn, std::uint64_t time_ms);

// -- registration-free clients (authType=regnwl / connwl) -----------------------

/// Registers physical device `client_id` under (pk, dn), creating the device
/// when it does not exist, and returns a new device token (replacing an
/// older token of the same client id). Errors: limit (5 client ids per
/// DeviceName), invalid.
[[nodiscard]] expected<std::string, error> regnwl_register(write_txn& t, std::string_view pk,
                                                           std::string_view dn,
                                                           std::string_view client_id);
/// The token of a registered client id. Errors: not_found.
[[nodiscard]] expected<std::string, error> regnwl_token(const txn& t, std::string_view pk,
                                                        std::string_view dn,
                                                        std::string_view client_id);

// -- application credentials -----------------------------------------------------

/// Creates an application credential granted `products` (each must exist).
/// Errors: not_found (a product), invalid.
[[nodiscard]] expected<app_record, error> create_app(write_txn& t, std::string_view name,
                                                     const std::vector<std::string>& products,
                                                     const std::vector<std::string>& scopes);
/// Errors: not_found, corrupt.
[[nodiscard]] expected<app_record, error> get_app(const txn& t, std::string_view access_key_id);

// -- device log ------------------------------------------------------------------

/// Appends an event to a device's log, keeping the last `device_log_keep`.
[[nodiscard]] expected<bool, error> append_log(write_txn& t, std::string_view pk,
                                               std::string_view dn, log_kind kind,
                                               std::string_view text, std::string_view ip,
                                               std::uint64_t time_ms);
/// The last `limit` events of a device, oldest first.
[[nodiscard]] expected<std::vector<log_record>, error> read_log(const txn& t, std::string_view pk,
                                                                std::string_view dn,
                                                                std::size_t limit);

// -- change feed ------------------------------------------------------------------

/// Changes with a sequence number above `after`, oldest first (at most `max`).
[[nodiscard]] expected<std::vector<change_record>, error> changes_since(const txn& t,
                                                                        std::uint64_t after,
                                                                        std::size_t max);
/// The newest change's sequence number (0 when none).
[[nodiscard]] std::uint64_t last_change(const txn& t);

// -- management (registry_manage.cpp) ---------------------------------------------

/// Renames a product. Errors: not_found, invalid (name rules).
[[nodiscard]] expected<product_record, error> set_product_name(write_txn& t, std::string_view pk,
                                                               std::string_view name);
/// Deletes a product that has no devices left. Errors: not_found, in_use.
[[nodiscard]] expected<bool, error> delete_product(write_txn& t, std::string_view pk);
/// Every application credential, by access key id.
[[nodiscard]] expected<std::vector<app_record>, error> list_apps(const txn& t);

/// Which devices `find_devices` returns (every set member must hold).
struct device_filter {
  std::string name_prefix;            ///< DeviceName starts with this
  std::optional<device_state> state;  ///< inactive / online / offline
  std::optional<bool> enabled;        ///< enabled (true) or disabled
  /// Keyset paging: the page starts after this DeviceName (the last one of
  /// the previous page); `offset` then counts from there.
  std::string after;
};

/// A page of devices and how many match in all.
struct device_page {
  std::vector<device_record> items;
  std::size_t total = 0;
};

/// The devices of product `pk` matching `f`, by name: skips `offset`
/// matches (after `f.after`), returns at most `limit`, counts all.
/// Without filters the count is the product's stored device count and only
/// the page's keys are visited (with `after`: a seek, then `limit` keys;
/// with an offset: `offset + limit` keys, undecoded); with filters the key
/// range of `pk/<name_prefix>` is walked with one cursor, records decoded
/// only when a state or enabled filter needs them, or for the page.
/// Errors: corrupt, io.
[[nodiscard]] expected<device_page, error> find_devices(const txn& t, std::string_view pk,
                                                        const device_filter& f, std::size_t offset,
                                                        std::size_t limit);

/// How many devices product `pk` has (kept with every create and delete;
/// nullopt for a product whose count predates the counter and was not
/// touched since).
[[nodiscard]] std::optional<std::uint64_t> stored_device_count(const txn& t, std::string_view pk);

}  // namespace iotb::store
