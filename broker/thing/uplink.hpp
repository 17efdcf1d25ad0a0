#pragma once
/// @file
/// What the broker does with a device's Alink uplink (SPEC §4): parse,
/// validate against the product's thing model, and decide the reply and the
/// records to keep. Pure: the caller (actors/thing_handler) stores the
/// records, publishes the reply and writes the device-log line; the few
/// answers that need stored data (desired values) are built by
/// `desired_get_reply` from what the caller read.
///
/// Handled here: property post, property history post, event post,
/// `thing.deviceinfo.update|delete`, `thing.config.get`,
/// `thing.dynamicTsl.get`, `thing.property.desired.get|delete`, OTA
/// `inform` and `progress`, and the refusal of gateway topics. Replies to
/// server calls (set_reply, service replies, RRPC), shadows and NTP have
/// their own handlers.
///
/// Thread-safe on const inputs.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "broker/thing/alink.hpp"
#include "broker/thing/tsl.hpp"
#include "broker/thing/validate.hpp"

namespace iotb::thing {

/// A product's model as the handler keeps it (parsed once, shared).
struct product_model {
  thing_model model;
  std::unique_ptr<model_index> index;  ///< refers to `model`
  std::string tsl;                     ///< the stored TSL JSON (dynamicTsl/get)
  check_mode mode = check_mode::weak;
  bool empty = true;  ///< no model imported: every value is accepted as it is

  /// Builds from a stored TSL (empty: no model). Errors: the TSL's.
  [[nodiscard]] static expected<std::shared_ptr<const product_model>, tsl_error> make(
      std::string tsl, check_mode mode);
};

/// A property value to keep.
struct posted_value {
  std::string identifier;
  std::string value;  ///< compact JSON
  std::uint64_t time_ms = 0;
};

/// An event to keep.
struct posted_event {
  std::string identifier;
  std::string type;    ///< "info", "alert", "error"; "" when not in the model
  std::string params;  ///< compact JSON (the output values)
  std::uint64_t time_ms = 0;
};

/// An OTA report (`/ota/device/inform|progress`).
struct ota_report {
  bool progress = false;  ///< false: inform (version)
  std::string version;
  std::string module;
  int step = 0;
  std::string desc;
};

/// Everything the caller does for one uplink message.
struct uplink_outcome {
  alink_code code = alink_code::success;
  std::string id;  ///< the request id ("" when unreadable)
  /// The reply to publish on `reply_topic`; empty: none (`sys.ack` 0, OTA).
  std::string reply;
  std::string reply_topic;
  /// Property values: latest (and history).
  std::vector<posted_value> values;
  bool history_only = false;  ///< a history post: values are history entries
  std::optional<posted_event> event;
  /// Device tags: set (key, value) and deleted keys.
  std::vector<std::pair<std::string, std::string>> tags_set;
  std::vector<std::string> tags_deleted;
  std::optional<ota_report> ota;
  /// `thing.property.desired.get`: the identifiers asked for (empty: all);
  /// the caller answers with `desired_get_reply`.
  std::optional<std::vector<std::string>> desired_get;
  /// `thing.config.get`: the caller answers with the product's configuration
  /// file (`config_get_reply`, broker/thing/device_mgmt.hpp) when
  /// `reply_topic` is set.
  bool config_get = false;
  /// `thing.property.desired.delete`: identifier and version (0: any).
  std::vector<std::pair<std::string, std::uint64_t>> desired_delete;
  /// `checkFailedData` of a weak-mode post with findings ("" when none).
  std::string check_failed;
  /// A line for the device log when something was refused or tagged ("" else).
  std::string log;
};

/// Handles one uplink message on a mapped topic. `model` may be null (the
/// product has no model: no checks).
[[nodiscard]] uplink_outcome handle_uplink(const topic_info& t, std::string_view payload,
                                           const product_model* model, std::uint64_t now_ms);

/// A desired value as read from the store.
struct desired_value {
  std::string identifier;
  std::string value;  ///< compact JSON
  std::uint64_t version = 0;
};

/// The reply to `thing.property.desired.get`:
/// `data` = `{"<id>":{"value":…,"version":N},…}`.
[[nodiscard]] std::string desired_get_reply(std::string_view id,
                                            const std::vector<desired_value>& values);

}  // namespace iotb::thing
