#pragma once
/// @file
/// MQTT control packets as plain values. The codec (codec.hpp) turns bytes
/// into these and back; nothing here does I/O.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "broker/mqtt/properties.hpp"
#include "broker/mqtt/types.hpp"

namespace iotb::mqtt {

/// The will message carried by CONNECT.
struct will {
  std::string topic;
  std::string payload;
  qos q = qos::at_most_once;
  bool retain = false;
  publish_properties props;  ///< will properties (MQTT 5)
  bool operator==(const will&) const = default;
};

/// CONNECT.
struct connect {
  version ver = version::v311;
  bool clean_start = true;       ///< "clean session" in 3.x
  std::uint16_t keep_alive = 0;  ///< seconds; 0 disables
  std::string client_id;
  std::optional<std::string> username;
  std::optional<std::string> password;  ///< binary data
  std::optional<will> will_msg;
  properties props;
  bool operator==(const connect&) const = default;
};

/// CONNACK. `code` is an MQTT 5 reason; for 3.x the encoder maps it with
/// `to_v3_connack`.
struct connack {
  bool session_present = false;
  reason code = reason::success;
  properties props;
  bool operator==(const connack&) const = default;
};

/// PUBLISH as decoded from a client. Owns its topic and payload.
struct publish {
  std::string topic;  ///< may be empty in MQTT 5 when a topic alias is used
  std::string payload;
  qos q = qos::at_most_once;
  bool dup = false;
  bool retain = false;
  std::uint16_t packet_id = 0;  ///< 0 for QoS 0
  publish_properties props;
  bool operator==(const publish&) const = default;
};

/// A PUBLISH to encode, by reference: lets the broker encode one shared
/// message for many subscribers without copying topic or payload.
struct publish_view {
  std::string_view topic;  ///< empty when only `topic_alias` is sent
  std::string_view payload;
  qos q = qos::at_most_once;
  bool dup = false;
  bool retain = false;
  std::uint16_t packet_id = 0;
  const publish_properties* props = nullptr;  ///< may be null (no properties)
  std::uint16_t topic_alias = 0;              ///< 0: none; overrides props->topic_alias
  const std::uint32_t* sub_ids = nullptr;     ///< subscription identifiers to send
  std::size_t sub_id_count = 0;
  /// Message expiry to send instead of props->message_expiry_interval (the
  /// remaining lifetime); nullopt keeps the property as is.
  std::optional<std::uint32_t> expiry_override;
};

/// PUBACK, PUBREC, PUBREL or PUBCOMP (they share one layout).
struct pub_ack {
  packet_type type = packet_type::puback;
  std::uint16_t packet_id = 0;
  reason code = reason::success;
  properties props;
  bool operator==(const pub_ack&) const = default;
};

/// Subscription options byte of SUBSCRIBE.
struct subscribe_options {
  qos max_qos = qos::at_most_once;
  bool no_local = false;
  bool retain_as_published = false;
  std::uint8_t retain_handling = 0;  ///< 0 send, 1 send if new, 2 don't send
  bool operator==(const subscribe_options&) const = default;
};

/// One topic filter of SUBSCRIBE.
struct subscription_request {
  std::string filter;
  subscribe_options opts;
  bool operator==(const subscription_request&) const = default;
};

/// SUBSCRIBE.
struct subscribe {
  std::uint16_t packet_id = 0;
  std::vector<subscription_request> filters;
  properties props;
  bool operator==(const subscribe&) const = default;
};

/// SUBACK: one reason per requested filter (granted QoS or failure). The 3.x
/// encoder writes 0x80 for every code >= 0x80.
struct suback {
  std::uint16_t packet_id = 0;
  std::vector<reason> codes;
  properties props;
  bool operator==(const suback&) const = default;
};

/// UNSUBSCRIBE.
struct unsubscribe {
  std::uint16_t packet_id = 0;
  std::vector<std::string> filters;
  properties props;
  bool operator==(const unsubscribe&) const = default;
};

/// UNSUBACK (reason codes only in MQTT 5).
struct unsuback {
  std::uint16_t packet_id = 0;
  std::vector<reason> codes;
  properties props;
  bool operator==(const unsuback&) const = default;
};

/// PINGREQ.
struct pingreq {
  bool operator==(const pingreq&) const = default;
};

/// PINGRESP.
struct pingresp {
  bool operator==(const pingresp&) const = default;
};

/// DISCONNECT (reason and properties only in MQTT 5).
struct disconnect {
  reason code = reason::success;
  properties props;
  bool operator==(const disconnect&) const = default;
};

/// AUTH (MQTT 5 only).
struct auth {
  reason code = reason::success;
  properties props;
  bool operator==(const auth&) const = default;
};

/// Any control packet.
using packet = std::variant<connect, connack, publish, pub_ack, subscribe, suback, unsubscribe,
                            unsuback, pingreq, pingresp, disconnect, auth>;

/// The MQTT packet type of `p` (the variant index is not the type: one
/// `pub_ack` alternative carries four types).
[[nodiscard]] inline packet_type type_of(const packet& p) noexcept {
  constexpr packet_type by_index[] = {
      packet_type::connect,     packet_type::connack,    packet_type::publish,
      packet_type::puback,      packet_type::subscribe,  packet_type::suback,
      packet_type::unsubscribe, packet_type::unsuback,   packet_type::pingreq,
      packet_type::pingresp,    packet_type::disconnect, packet_type::auth};
  if (const auto* a = std::get_if<pub_ack>(&p))
    return a->type;
  return by_index[p.index()];
}

}  // namespace iotb::mqtt
