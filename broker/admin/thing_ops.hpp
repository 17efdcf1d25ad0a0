#pragma once
/// @file
/// Thing-model operations shared by the CLI (`iotbroker thing-model …`)
/// and the admin API (`GET/PUT /api/v1/products/{pk}/thing-model`, the
/// check mode, a device's properties and events), with their one JSON
/// rendering. Like registry_ops, each runs in its own transaction.
///
/// Thread-safety: as `store::env`; call off the I/O threads.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "broker/store/thing_store.hpp"
#include "broker/thing/device_mgmt.hpp"

namespace iotb::admin::ops {

/// What a product's model holds (the answer to an import).
struct thing_model_info {
  std::string product_key;
  std::size_t properties = 0;
  std::size_t events = 0;
  std::size_t services = 0;
  thing::check_mode mode = thing::check_mode::weak;
  std::uint64_t updated_ms = 0;
};

/// "weak" or "strict".
[[nodiscard]] const char* check_mode_name(thing::check_mode m) noexcept;
[[nodiscard]] std::optional<thing::check_mode> parse_check_mode(std::string_view s) noexcept;

/// Validates `tsl` (the platform's TSL JSON, SPEC §4) and stores it as the
/// model of `pk` (its `profile.productKey` becomes `pk`); `mode` changes
/// the check mode when set. Errors: not_found (no such product), invalid
/// (the TSL's first problem, with its JSON path).
[[nodiscard]] expected<thing_model_info, store::error> import_thing_model(
    store::env& e, std::string_view pk, std::string_view tsl,
    std::optional<thing::check_mode> mode);
/// The stored TSL JSON. Errors: not_found (no product, or no model).
[[nodiscard]] expected<std::string, store::error> export_thing_model(store::env& e,
                                                                     std::string_view pk);
/// Errors: not_found (no product).
[[nodiscard]] expected<thing_model_info, store::error> set_check_mode(store::env& e,
                                                                      std::string_view pk,
                                                                      thing::check_mode mode);
/// Errors: not_found (no product).
[[nodiscard]] expected<thing_model_info, store::error> get_thing_model_info(store::env& e,
                                                                            std::string_view pk);
/// `{"productKey","properties":N,"events":N,"services":N,"checkMode","updatedMs"}`.
[[nodiscard]] std::string render_info(const thing_model_info& i);

/// A device's latest property values:
/// `{"items":[{"identifier","value":<JSON>,"time","messageId"}],"total":N}`.
/// Errors: not_found (no such device).
[[nodiscard]] expected<std::string, store::error> render_properties(store::env& e,
                                                                    std::string_view pk,
                                                                    std::string_view dn);
/// One property's history in [from, to] (oldest first, at most `limit`),
/// in the same shape. Errors: not_found.
[[nodiscard]] expected<std::string, store::error> render_history(
    store::env& e, std::string_view pk, std::string_view dn, std::string_view identifier,
    std::uint64_t from_ms, std::uint64_t to_ms, std::size_t limit);
/// Events in [from, to] (`identifier` empty: all):
/// `{"items":[{"identifier","type","params":<JSON>,"time","messageId"}],"total":N}`.
[[nodiscard]] expected<std::string, store::error> render_events(
    store::env& e, std::string_view pk, std::string_view dn, std::string_view identifier,
    std::uint64_t from_ms, std::uint64_t to_ms, std::size_t limit);

/// A device's OTA state: `{"version","module","step","desc","reportedMs","progressMs"}`.
/// Errors: not_found (no device, or it reported nothing).
[[nodiscard]] expected<std::string, store::error> render_ota(store::env& e, std::string_view pk,
                                                             std::string_view dn);

// -- remote configuration and OTA (broker/thing/device_mgmt.hpp) ------------------------

/// Replaces product `pk`'s configuration file (1..64 KiB). Errors:
/// not_found (product), invalid (size), the store's.
[[nodiscard]] expected<store::config_record, store::error> set_product_config(
    store::env& e, std::string_view pk, std::string_view content, std::uint64_t now_ms);
/// Errors: not_found (product, or no file).
[[nodiscard]] expected<store::config_record, store::error> get_product_config(store::env& e,
                                                                              std::string_view pk);
/// `{"configId","configSize","sign","signMethod","updatedMs"}`.
[[nodiscard]] std::string render_config(const store::config_record& r);
/// Records the upgrade asked for device pk/dn (its `data` and push id).
/// Errors: not_found (device), the store's.
[[nodiscard]] expected<store::ota_record, store::error> set_ota_target(
    store::env& e, std::string_view pk, std::string_view dn, const thing::ota_upgrade& u,
    std::string data_json, std::uint64_t id, std::uint64_t now_ms);

}  // namespace iotb::admin::ops
