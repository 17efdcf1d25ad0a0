#pragma once
/// @file
/// Remote configuration and OTA upgrades (SPEC §3 topics; the platform's
/// "remote configuration" and "OTA" device protocols), as pure functions:
/// the messages the broker sends devices, the signed download links of a
/// product's configuration file, and the admin API's upgrade request. No
/// I/O and no clock: callers pass the times. Documented in
/// docs/thing-model.md ("Remote configuration", "OTA"); unit-tested in
/// device_mgmt.test.cpp.
///
/// Remote configuration: a product has at most one configuration file
/// (≤ `max_config_bytes`), stored by the broker and served by the admin
/// listener at `/files/config/${pk}/${configId}?expires=E&signature=S`,
/// where S is HMAC-SHA256 (hex) over `pk "\n" configId "\n" E` with a key
/// that lives only in the broker's memory (links die with the process and
/// after E, Unix seconds). A device asks with `thing.config.get` (answered
/// on `…/config/get_reply`) or is told by `thing.config.push`; both carry
/// `{"configId","configSize","sign","signMethod":"Sha256","url","getType":"file"}`.
///
/// OTA: the operator asks for an upgrade with the firmware's URL (hosted
/// where the operator likes), version, size and digest; the broker sends
/// `{"code":"1000","data":{…},"id":N,"message":"success"}` on
/// `/ota/device/upgrade/${pk}/${dn}` — at once when the device is online,
/// and again whenever it informs a version other than the target.
///
/// Thread-safety: every function is pure and reentrant.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "broker/util/expected.hpp"

namespace iotb::thing {

/// Largest configuration file (the platform's limit).
inline constexpr std::size_t max_config_bytes = std::size_t{64} * 1024;
/// How long a configuration file link stays valid.
inline constexpr std::uint64_t config_link_seconds = 3600;

/// A configuration file's identity: its id is the first 32 hex digits of
/// its SHA-256 (`sign`), so the same content keeps the same id.
struct config_meta {
  std::string config_id;
  std::size_t size = 0;
  std::string sign;  ///< SHA-256, lowercase hex
};
[[nodiscard]] config_meta describe_config(std::string_view content);

/// The path of a configuration file on the admin listener.
[[nodiscard]] std::string config_file_path(std::string_view pk, std::string_view config_id);
/// The link devices download it from: `base` (scheme://host:port, no
/// trailing slash) + path + `?expires=E&signature=S`.
[[nodiscard]] std::string config_file_url(std::string_view base, std::string_view key,
                                          std::string_view pk, std::string_view config_id,
                                          std::uint64_t expires_s);
/// True when `signature` signs pk/configId/expires with `key` and
/// `expires` (decimal text) is not before `now_s`.
[[nodiscard]] bool config_link_valid(std::string_view key, std::string_view pk,
                                     std::string_view config_id, std::string_view expires,
                                     std::string_view signature, std::uint64_t now_s);

/// `{"configId","configSize","sign","signMethod":"Sha256","url","getType":"file"}`, compact.
[[nodiscard]] std::string config_data_json(const config_meta& m, std::string_view url);
/// The `thing.config.get` reply: the data, or (no file) code 400
/// "no configuration file for this product".
[[nodiscard]] std::string config_get_reply(std::string_view id,
                                           const std::optional<std::string>& data_json);
/// The `thing.config.push` request (`params` = the data).
[[nodiscard]] std::string config_push_request(std::string_view id, std::string_view data_json);

/// An upgrade as the admin API asks for it:
/// `{"version","url","size"?,"sign"?,"signMethod"?,"md5"?,"module"?,"isDiff"?,"extData"?}`.
struct ota_upgrade {
  std::string version;  ///< 1..64 characters
  std::string url;      ///< http:// or https://, ≤ 2,048 characters
  std::uint64_t size = 0;
  std::string sign;         ///< the firmware's digest (hex)
  std::string sign_method;  ///< "Md5" or "SHA256" (as the platform spells them)
  std::string md5;          ///< the 3.x SDK's field; set from sign when signMethod is Md5
  std::string module;       ///< empty: the default module
  bool is_diff = false;
  std::string ext_data_json;  ///< compact JSON object, or empty
};
/// Parses and checks the API body; errors are texts naming the field.
[[nodiscard]] expected<ota_upgrade, std::string> parse_ota_upgrade(std::string_view body);
/// The upgrade message's `data` object, compact.
[[nodiscard]] std::string ota_upgrade_data(const ota_upgrade& u);
/// `{"code":"1000","data":<data>,"id":<id>,"message":"success"}`, compact.
[[nodiscard]] std::string ota_upgrade_message(std::uint64_t id, std::string_view data_json);
/// `/ota/device/upgrade/${pk}/${dn}`.
[[nodiscard]] std::string ota_upgrade_topic(std::string_view pk, std::string_view dn);
/// `/sys/${pk}/${dn}/thing/config/push`.
[[nodiscard]] std::string config_push_topic(std::string_view pk, std::string_view dn);

}  // namespace iotb::thing
