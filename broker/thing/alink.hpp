#pragma once
/// @file
/// Alink JSON (SPEC §3, §4): request parsing, compact replies, and the map
/// from a device's topic to its Alink method.
///
/// Request: `{"id":"123","version":"1.0","params":{…},"method":"…","sys":{"ack":1}}`
/// - `id` a string or a non-negative integer (kept as its decimal text);
/// - `method` optional (the 4.x SDK omits it): the topic decides
///   (`resolve_method`); a payload method that contradicts the topic is
///   ignored, because the topic is what the device was authorised for;
/// - `sys.ack` 0: the device wants no reply.
/// Reply: `{"id":"123","code":200,"data":{},"message":"success","method":"…","version":"1.0"}`,
/// always compact: the 4.x SDK rejects `"code": 200`.
///
/// Pure: no I/O. Payloads are capped (size, nesting) before parsing, so the
/// document handed back is safe to walk recursively. Unit-tested in
/// alink.test.cpp; fuzzed by tests/fuzz/alink_fuzz.cpp.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <rapidjson/document.h>

#include "broker/thing/validate.hpp"
#include "broker/util/expected.hpp"

namespace iotb::thing {

/// Largest Alink payload parsed (the MQTT PUBLISH limit, SPEC §6).
inline constexpr std::size_t max_alink_bytes = 256 * 1024;
/// Deepest nesting accepted in a payload (the deepest model value is 4).
inline constexpr std::size_t max_alink_depth = 16;
/// Longest `id` kept.
inline constexpr std::size_t max_alink_id = 64;

/// A parsed request. Move-only: `params` points into `doc`.
struct alink_request {
  std::string id;
  std::string version;  ///< empty when absent
  std::string method;   ///< empty when absent
  bool ack = true;      ///< false when `sys.ack` is 0
  std::unique_ptr<rapidjson::Document> doc;
  const rapidjson::Value* params = nullptr;  ///< nullptr when absent
};

/// Why a request was refused: the reply's code and message, and the `id`
/// when it could be read (so that the refusal can be answered).
struct alink_error {
  alink_code code;  ///< 6207 (not JSON) or 460
  std::string message;
  std::string id;
};

/// Parses a request payload. Errors: 6207 when it is not a JSON object; 460
/// when over the size or nesting caps, when `id` is missing or malformed, or
/// when a field has the wrong type. `params` may be absent (`thing.config.get`).
[[nodiscard]] expected<alink_request, alink_error> parse_request(std::string_view payload);

/// A reply's fields; `data_json` is inserted verbatim and must be compact
/// JSON (`{}`, a findings object, …).
struct alink_reply {
  std::string_view id;
  alink_code code = alink_code::success;
  std::string_view message = "success";
  std::string_view method;  ///< omitted when empty
  std::string_view version = "1.0";
  std::string_view data_json = "{}";
};

/// The compact reply JSON.
[[nodiscard]] std::string build_reply(const alink_reply& r);

// -- topics ---------------------------------------------------------------------------

/// What a device's uplink topic is for.
enum class topic_kind : std::uint8_t {
  property_post,          ///< /sys/pk/dn/thing/event/property/post
  property_history_post,  ///< …/thing/event/property/history/post
  event_post,             ///< …/thing/event/${id}/post
  property_set_reply,     ///< …/thing/service/property/set_reply (device answers a set)
  service_reply,          ///< …/thing/service/${id}_reply
  deviceinfo_update,      ///< …/thing/deviceinfo/update
  deviceinfo_delete,      ///< …/thing/deviceinfo/delete
  config_get,             ///< …/thing/config/get
  config_push_reply,      ///< …/thing/config/push_reply
  dynamic_tsl_get,        ///< …/thing/dynamicTsl/get
  ota_firmware_get,       ///< …/thing/ota/firmware/get
  desired_get,            ///< …/thing/property/desired/get
  desired_delete,         ///< …/thing/property/desired/delete
  ota_inform,             ///< /ota/device/inform/pk/dn
  ota_progress,           ///< /ota/device/progress/pk/dn
  rrpc_response,          ///< /sys/pk/dn/rrpc/response/${messageId}
  ext_rrpc,               ///< /ext/rrpc/${messageId}/<topic> (the device's answer)
  ntp_request,            ///< /ext/ntp/pk/dn/request
  shadow_update,          ///< /shadow/update/pk/dn
  gateway,                ///< topo, sub-device, pack/post, combine: refused for now (SPEC §4)
};

/// "property_post", ...
[[nodiscard]] const char* kind_name(topic_kind k) noexcept;

/// A recognised topic. The views point into the topic passed to map_topic.
struct topic_info {
  topic_kind kind;
  std::string_view product_key;  ///< empty for ext_rrpc (the topic part names it)
  std::string_view device_name;
  std::string_view identifier;  ///< event/service id; the message id for RRPC
  std::string_view rest;        ///< ext_rrpc: the custom topic after the message id
  /// The Alink method ("thing.event.property.post", "thing.event.alarm.post",
  /// "thing.service.property.set", …); empty where the topic has none (OTA,
  /// RRPC, NTP, shadow).
  std::string method;
  /// Where the broker answers ("…/post_reply"); empty when nothing is sent.
  std::string reply_topic;
};

/// Maps a device's uplink topic; nullopt when it is not a system topic
/// (custom topics, malformed system topics). Pure string work.
[[nodiscard]] std::optional<topic_info> map_topic(std::string_view topic);

/// The method to act on: the topic's when it has one, else the payload's.
/// Empty when neither has one (answer 6300).
[[nodiscard]] std::string_view resolve_method(const alink_request& req, const topic_info& t);

}  // namespace iotb::thing
