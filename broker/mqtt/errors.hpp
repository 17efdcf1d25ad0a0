#pragma once
/// @file
/// Decoding errors of the MQTT codec, and their mapping to reason codes.

#include <cstdint>
#include <string_view>

#include "broker/mqtt/types.hpp"

namespace iotb::mqtt {

/// Why a byte sequence is not an acceptable MQTT packet.
enum class errc : std::uint8_t {
  /// Not an error: the input ends before the packet does; read more bytes.
  need_more = 1,
  /// Remaining length is longer than 4 bytes or otherwise not a valid
  /// variable byte integer.
  bad_remaining_length,
  /// The packet is larger than the maximum packet size (checked from the
  /// fixed header, before the body is buffered).
  packet_too_large,
  /// Packet type 0, or a packet type a client must not send.
  bad_packet_type,
  /// Reserved flag bits of the fixed header have the wrong value.
  bad_flags,
  /// The body is shorter or longer than its fields say.
  malformed,
  /// CONNECT protocol name or level is unknown.
  unsupported_version,
  /// A string is not well-formed UTF-8 or contains U+0000.
  invalid_utf8,
  /// QoS 3, or QoS 0 with DUP set.
  invalid_qos,
  /// A topic name is empty (without alias), or has `+`/`#`.
  invalid_topic,
  /// A topic filter is empty or uses a wildcard wrongly.
  invalid_filter,
  /// A property is unknown, not allowed in this packet, duplicated, or has a
  /// value out of range (e.g. receive maximum 0).
  bad_property,
  /// Topic alias 0 (or above the negotiated maximum, checked by the session).
  topic_alias_invalid,
  /// Packet identifier 0 where one is required.
  bad_packet_id,
  /// SUBSCRIBE or UNSUBSCRIBE with no filter.
  empty_subscription,
  /// Other violation of the protocol (e.g. reserved CONNECT flag set, will
  /// flags inconsistent, password without username in 3.1.1).
  protocol_error,
};

/// An error with a fixed explanation for the log line (static storage).
struct decode_error {
  errc code;
  const char* what;  ///< e.g. "QoS 3 in PUBLISH"; never null
};

/// Reason code to send (MQTT 5 DISCONNECT / CONNACK) for a decode error.
[[nodiscard]] reason to_reason(errc e) noexcept;

/// Short name of an error code ("bad_flags").
[[nodiscard]] std::string_view to_string(errc e) noexcept;

}  // namespace iotb::mqtt
