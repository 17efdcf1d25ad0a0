#pragma once
/// @file
/// The pure MQTT codec: bytes → packet value or error; packet → bytes.
/// No I/O, no allocation beyond the returned values, no globals. One decode
/// and one encode function per packet type (see the `*.cpp` files named after
/// each type), plus a dispatching `decode_packet`.
///
/// Thread-safety: every function is reentrant.

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "broker/mqtt/errors.hpp"
#include "broker/mqtt/packet.hpp"
#include "broker/util/expected.hpp"

namespace iotb::mqtt {

/// Raw bytes.
using bytes = std::span<const std::uint8_t>;
/// A growable output buffer; encoders append to it.
using buffer = std::vector<std::uint8_t>;

/// The fixed header of a packet.
struct fixed_header {
  packet_type type;
  std::uint8_t flags;              ///< low nibble of the first byte
  std::uint32_t remaining_length;  ///< body size in bytes
  std::uint8_t size;               ///< bytes taken by the fixed header (2..5)
};

/// Largest remaining length MQTT can express (268,435,455).
inline constexpr std::uint32_t max_remaining_length = 268'435'455;

/// Parses the fixed header at the start of `in`.
/// @returns the header, or `errc::need_more` when `in` is too short,
///          `errc::bad_remaining_length` for a 5th length byte,
///          `errc::packet_too_large` when size + remaining length exceeds
///          `max_packet_size` (so the caller never buffers an oversize body),
///          `errc::bad_packet_type` for type 0.
[[nodiscard]] expected<fixed_header, decode_error> decode_fixed_header(
    bytes in, std::uint32_t max_packet_size = max_remaining_length + 5);

/// A complete packet found at the start of a byte stream.
struct frame {
  fixed_header header;
  bytes body;         ///< exactly `header.remaining_length` bytes
  std::size_t total;  ///< header.size + remaining_length: bytes to consume
};

/// Framing: finds the next complete packet at the start of `in`, which may
/// hold a partial packet or several. Never reads past `in`.
/// @returns the frame; `errc::need_more` when more bytes are needed (the
///          caller keeps `in` and reads more; once the fixed header is
///          complete, `decode_fixed_header` tells how many); or the error of
///          `decode_fixed_header`.
[[nodiscard]] expected<frame, decode_error> next_frame(bytes in, std::uint32_t max_packet_size);

/// Decodes the body of a packet whose fixed header is `h`. `body` holds
/// exactly `h.remaining_length` bytes. `v` is the session's protocol version
/// (ignored for CONNECT, which carries its own). Checks the fixed-header
/// flags, field lengths, UTF-8, QoS, topic/filter syntax, property validity
/// and that nothing trails the packet.
[[nodiscard]] expected<packet, decode_error> decode_packet(const fixed_header& h, bytes body,
                                                           version v);

// Per packet type. `flags` is the fixed header's low nibble.
[[nodiscard]] expected<connect, decode_error> decode_connect(std::uint8_t flags, bytes body);
[[nodiscard]] expected<connack, decode_error> decode_connack(std::uint8_t flags, bytes body,
                                                             version v);
[[nodiscard]] expected<publish, decode_error> decode_publish(std::uint8_t flags, bytes body,
                                                             version v);
[[nodiscard]] expected<pub_ack, decode_error> decode_pub_ack(packet_type t, std::uint8_t flags,
                                                             bytes body, version v);
[[nodiscard]] expected<subscribe, decode_error> decode_subscribe(std::uint8_t flags, bytes body,
                                                                 version v);
[[nodiscard]] expected<suback, decode_error> decode_suback(std::uint8_t flags, bytes body,
                                                           version v);
[[nodiscard]] expected<unsubscribe, decode_error> decode_unsubscribe(std::uint8_t flags, bytes body,
                                                                     version v);
[[nodiscard]] expected<unsuback, decode_error> decode_unsuback(std::uint8_t flags, bytes body,
                                                               version v);
[[nodiscard]] expected<disconnect, decode_error> decode_disconnect(std::uint8_t flags, bytes body,
                                                                   version v);
[[nodiscard]] expected<auth, decode_error> decode_auth(std::uint8_t flags, bytes body, version v);
/// PINGREQ: flags 0 and an empty body.
[[nodiscard]] expected<pingreq, decode_error> decode_pingreq(std::uint8_t flags, bytes body);
/// PINGRESP: flags 0 and an empty body.
[[nodiscard]] expected<pingresp, decode_error> decode_pingresp(std::uint8_t flags, bytes body);

// Encoders append one complete packet (fixed header included) to `out`.
// MQTT 3.x encoders drop properties and map reason codes as the standard
// requires. They do not validate: the broker builds only valid packets.
void encode(const connect& p, buffer& out);
void encode(const connack& p, version v, buffer& out);
void encode(const publish& p, version v, buffer& out);
void encode(const pub_ack& p, version v, buffer& out);
void encode(const subscribe& p, version v, buffer& out);
void encode(const suback& p, version v, buffer& out);
void encode(const unsubscribe& p, version v, buffer& out);
void encode(const unsuback& p, version v, buffer& out);
void encode(const pingreq& p, buffer& out);
void encode(const pingresp& p, buffer& out);
void encode(const disconnect& p, version v, buffer& out);
void encode(const auth& p, buffer& out);
/// Encodes any packet with the overload for its type (`v` is ignored for
/// CONNECT, which carries its own version, and for PINGREQ/PINGRESP/AUTH).
void encode(const packet& p, version v, buffer& out);

/// Encodes a PUBLISH by reference. When `with_payload` is false, everything
/// but the payload is appended (the caller sends the payload from the shared
/// message with a vectored write); the remaining length still counts it.
/// @returns the number of bytes appended.
std::size_t encode(const publish_view& p, version v, buffer& out, bool with_payload = true);

/// Size of the complete encoded packet for `p` (to check a client's maximum
/// packet size before sending).
[[nodiscard]] std::size_t encoded_size(const publish_view& p, version v);

/// True when `s` is well-formed UTF-8 without U+0000 (MQTT 1.5.4).
[[nodiscard]] bool valid_utf8(std::string_view s) noexcept;
/// True when `s` is a valid topic name (non-empty, no wildcards, UTF-8).
[[nodiscard]] bool valid_topic_name(std::string_view s) noexcept;
/// True when `s` is a valid topic filter (`+` whole level, `#` last level),
/// including `$share/<group>/<filter>` with a non-empty group without
/// wildcards.
[[nodiscard]] bool valid_topic_filter(std::string_view s) noexcept;

}  // namespace iotb::mqtt
