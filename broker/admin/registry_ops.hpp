#pragma once
/// @file
/// The management operations shared by the CLI (`iotbroker product|device|
/// app|admin ...`) and the admin API (SPEC §12: one implementation of each
/// operation). Each runs in its own transaction on `env`: a change opens the
/// write transaction, commits, and — for an environment opened without
/// per-commit sync (the running broker's) — syncs, so a change made through
/// the API is as durable as one made by the CLI.
///
/// Thread-safety: as `store::env` (any thread). A change blocks while
/// another thread or process holds LMDB's write lock: call these off the
/// I/O threads.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "broker/store/admin_store.hpp"
#include "broker/store/registry.hpp"

namespace iotb::admin::ops {

using store::error;

/// What `update_product` changes (unset members stay).
struct product_patch {
  std::optional<std::string> name;
  std::optional<bool> dynamic_register;
  std::vector<store::category_record> categories;  ///< added or replaced
};

/// Largest `count` of one `create_devices` call.
inline constexpr std::size_t max_devices_per_call = 1'000'000;

// Products. Errors as the store functions of the same name.
[[nodiscard]] expected<store::product_record, error> create_product(store::env& e,
                                                                    const store::product_spec& s);
[[nodiscard]] expected<store::product_record, error> get_product(store::env& e,
                                                                 std::string_view pk);
[[nodiscard]] expected<std::vector<store::product_record>, error> list_products(store::env& e);
/// Errors: not_found, invalid, limit; nothing is changed on an error.
[[nodiscard]] expected<store::product_record, error> update_product(store::env& e,
                                                                    std::string_view pk,
                                                                    const product_patch& p);
/// Errors: not_found, in_use (devices left).
[[nodiscard]] expected<bool, error> delete_product(store::env& e, std::string_view pk);

// Devices.
/// Creates `count` devices (generated names), or one named `name`.
/// Errors: not_found (product), invalid, exists, limit (count out of range).
[[nodiscard]] expected<std::vector<store::device_record>, error> create_devices(
    store::env& e, std::string_view pk, std::string_view name, std::size_t count);
[[nodiscard]] expected<store::device_record, error> get_device(store::env& e, std::string_view pk,
                                                               std::string_view dn);
/// All devices of `pk` (every product when empty).
[[nodiscard]] expected<std::vector<store::device_record>, error> list_devices(store::env& e,
                                                                              std::string_view pk);
/// A filtered page (see store::find_devices). Errors: not_found (product).
[[nodiscard]] expected<store::device_page, error> find_devices(store::env& e, std::string_view pk,
                                                               const store::device_filter& f,
                                                               std::size_t offset,
                                                               std::size_t limit);
/// Enables or disables (a running broker disconnects a disabled device).
[[nodiscard]] expected<store::device_record, error> set_enabled(store::env& e, std::string_view pk,
                                                                std::string_view dn, bool enabled);
[[nodiscard]] expected<bool, error> delete_device(store::env& e, std::string_view pk,
                                                  std::string_view dn);
/// The last `limit` device-log entries, oldest first. Errors: not_found.
[[nodiscard]] expected<std::vector<store::log_record>, error> device_log(store::env& e,
                                                                         std::string_view pk,
                                                                         std::string_view dn,
                                                                         std::size_t limit);

// Application credentials.
[[nodiscard]] expected<store::app_record, error> create_app(
    store::env& e, std::string_view name, const std::vector<std::string>& products,
    const std::vector<std::string>& scopes);
[[nodiscard]] expected<std::vector<store::app_record>, error> list_apps(store::env& e);

// Admin users (the password is hashed here; it is never stored or shown).
/// Errors: invalid (name, empty password), exists.
[[nodiscard]] expected<store::admin_user_record, error> add_user(store::env& e,
                                                                 std::string_view name,
                                                                 store::admin_role role,
                                                                 std::string_view password);
[[nodiscard]] expected<std::vector<store::admin_user_record>, error> list_users(store::env& e);
/// Errors: not_found.
[[nodiscard]] expected<bool, error> delete_user(store::env& e, std::string_view name);
/// Errors: not_found, invalid (empty password).
[[nodiscard]] expected<store::admin_user_record, error> set_password(store::env& e,
                                                                     std::string_view name,
                                                                     std::string_view password);

/// Appends one audit entry (its own transaction). Errors: as append_audit.
[[nodiscard]] expected<std::uint64_t, error> audit(store::env& e, store::audit_record r);
/// Appends to the audit log without waiting for the disk (`env::enqueue`).
void audit_later(store::env& e, store::audit_record r);

/// When no admin user exists: creates `admin` (role admin) with a random
/// password written once to `<data_dir>/initial-admin-password` (mode 0600,
/// never overwritten). @returns the file's path when it created the user,
/// "" when users existed. The password is never returned or logged.
/// Errors: io (the file could not be written; no user is created then).
[[nodiscard]] expected<std::string, error> ensure_initial_admin(store::env& e,
                                                                const std::string& data_dir);

}  // namespace iotb::admin::ops
