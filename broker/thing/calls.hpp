#pragma once
/// @file
/// Server → device calls (SPEC §3, §4, §8), the pure part: the topics the
/// broker publishes a call on, the topics a device answers on, and the
/// Alink JSON of a request and of a device's reply. No I/O; unit-tested in
/// calls.test.cpp. The actor that owns the pending calls is
/// actors/device_calls (docs/calls.md).
///
/// Topics:
/// - RRPC: `/sys/${pk}/${dn}/rrpc/request/${messageId}`, answered on
///   `/sys/${pk}/${dn}/rrpc/response/${messageId}`;
/// - RRPC, extended form (devices with `ext=3`, or a call naming a topic):
///   `/ext/rrpc/${messageId}<topic>`, where `<topic>` is one of the
///   device's own topics (`/sys/${pk}/${dn}/…` or `/${pk}/${dn}/…`),
///   answered on the same topic;
/// - property set: `/sys/${pk}/${dn}/thing/service/property/set`, answered
///   on `…/set_reply`;
/// - service invoke: `/sys/${pk}/${dn}/thing/service/${serviceId}`,
///   answered on `…/${serviceId}_reply`.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "broker/util/expected.hpp"

namespace iotb::thing {

/// The kinds of server → device calls (the `kind` label of
/// `iotbroker_device_calls_total`).
enum class call_kind : std::uint8_t {
  rrpc,          ///< RRPC with an opaque payload (SPEC §8)
  property_set,  ///< thing.service.property.set
  service,       ///< thing.service.${serviceId}, sync (over RRPC) or async
};
inline constexpr std::size_t call_kinds = 3;

/// How a call ended (the `result` label; the RRPC API's `result` in upper case).
enum class call_status : std::uint8_t {
  success,  ///< the device answered
  timeout,  ///< no answer within the call's timeout
  offline,  ///< the device had no online session
  unknown,  ///< anything else went wrong (the result says what)
  sent,     ///< an async service was published; its reply is logged when it comes
  queued,   ///< a property set to an offline device was kept for later delivery
};
inline constexpr std::size_t call_statuses = 6;

/// Why a device's answer completed no call (the `reason` label of
/// `iotbroker_call_answers_dropped_total`).
enum class answer_drop : std::uint8_t {
  unknown_id,    ///< no pending call has this message id (never sent, expired, answered)
  wrong_device,  ///< the call went to another device than the topic names
  wrong_sender,  ///< not published by the called device's own session
  bad_reply,     ///< not an Alink reply (property set, sync service)
};
inline constexpr std::size_t answer_drops = 4;

/// "rrpc", "property_set", "service".
[[nodiscard]] const char* to_string(call_kind k) noexcept;
/// "success", "timeout", "offline", "unknown", "sent", "queued".
[[nodiscard]] const char* to_string(call_status s) noexcept;
/// "unknown_id", "wrong_device", "wrong_sender", "bad_reply".
[[nodiscard]] const char* to_string(answer_drop d) noexcept;

/// `/sys/${pk}/${dn}/rrpc/request/${messageId}`.
[[nodiscard]] std::string rrpc_request_topic(std::string_view pk, std::string_view dn,
                                             std::string_view message_id);
/// `/ext/rrpc/${messageId}` followed by `inner` (a topic starting with '/').
[[nodiscard]] std::string ext_rrpc_topic(std::string_view message_id, std::string_view inner);
/// The topic a raw RRPC to an `ext=3` device is embedded in when the caller
/// names none: the device's default custom downlink topic
/// `/${pk}/${dn}/user/get` (every product has it, SPEC §3).
[[nodiscard]] std::string default_rrpc_inner_topic(std::string_view pk, std::string_view dn);
/// `/sys/${pk}/${dn}/thing/service/property/set`.
[[nodiscard]] std::string property_set_topic(std::string_view pk, std::string_view dn);
/// `/sys/${pk}/${dn}/thing/service/${serviceId}`.
[[nodiscard]] std::string service_topic(std::string_view pk, std::string_view dn,
                                        std::string_view service_id);

/// True when `inner` may carry an extended-form RRPC to device pk/dn: a
/// valid topic name under `/sys/${pk}/${dn}/` or `/${pk}/${dn}/` with at
/// least one level after the device name.
[[nodiscard]] bool own_rrpc_inner_topic(std::string_view inner, std::string_view pk,
                                        std::string_view dn) noexcept;

/// What a device's PUBLISH answers, recognised from its topic.
enum class answer_kind : std::uint8_t {
  rrpc_response,       ///< /sys/pk/dn/rrpc/response/${messageId}
  ext_rrpc,            ///< /ext/rrpc/${messageId}/[sys/]pk/dn/… (requests look the same)
  property_set_reply,  ///< /sys/pk/dn/thing/service/property/set_reply
  service_reply,       ///< /sys/pk/dn/thing/service/${serviceId}_reply
};

/// A recognised answer topic; the views point into the topic parsed.
struct answer_topic {
  answer_kind kind = answer_kind::rrpc_response;
  std::string_view product_key;
  std::string_view device_name;
  /// RRPC kinds: the message id from the topic (decimal text as sent;
  /// `parse_message_id` reads it). Replies carry theirs in the payload.
  std::string_view message_id;
  std::string_view service_id;  ///< service_reply
};

/// Recognises `topic`; nullopt for every other topic (requests the broker
/// sends, other device traffic, malformed topics). Pure string work.
[[nodiscard]] std::optional<answer_topic> parse_answer_topic(std::string_view topic);

/// The message id the broker put in a call: 1..20 decimal digits that fit
/// 64 bits, no sign or leading zero; nullopt otherwise.
[[nodiscard]] std::optional<std::uint64_t> parse_message_id(std::string_view s) noexcept;

/// The compact Alink request of a call:
/// `{"id":"<id>","version":"1.0","params":<params_json>,"method":"<method>"}`.
/// `params_json` is inserted verbatim and must be compact JSON.
[[nodiscard]] std::string build_call_request(std::string_view id, std::string_view method,
                                             std::string_view params_json);

/// A device's Alink reply: `{"id","code","data"?,"message"?}`.
struct alink_answer {
  std::string id;
  int code = 0;
  std::string data_json = "{}";  ///< compact; `{}` when absent
  std::string message;
};

/// Parses a device's reply. Errors (a text): not a JSON object, over the
/// Alink caps (alink.hpp), `id` missing or not a string/non-negative
/// integer, `code` missing or not an integer.
[[nodiscard]] expected<alink_answer, std::string> parse_alink_answer(std::string_view payload);

}  // namespace iotb::thing
