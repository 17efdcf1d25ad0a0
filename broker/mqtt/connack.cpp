/// @file
/// CONNACK (MQTT 3.1.1 section 3.2, 5.0 section 3.2). Decoded by our own
/// test client and load generator; the broker only encodes it.

#include "broker/mqtt/codec.hpp"
#include "broker/mqtt/properties_codec.hpp"
#include "broker/mqtt/reader.hpp"
#include "broker/mqtt/reason_codes.hpp"
#include "broker/mqtt/writer.hpp"

namespace iotb::mqtt {

namespace {

/// The MQTT 5 reason for a 3.x return code (the inverse of to_v3_connack
/// for the canonical reasons).
reason from_v3_connack(std::uint8_t rc) noexcept {
  switch (static_cast<connack_v3>(rc)) {
    case connack_v3::accepted:
      return reason::success;
    case connack_v3::unacceptable_protocol_version:
      return reason::unsupported_protocol_version;
    case connack_v3::identifier_rejected:
      return reason::client_identifier_not_valid;
    case connack_v3::server_unavailable:
      return reason::server_unavailable;
    case connack_v3::bad_username_or_password:
      return reason::bad_user_name_or_password;
    case connack_v3::not_authorized:
      return reason::not_authorized;
  }
  return reason::unspecified_error;
}

}  // namespace

expected<connack, decode_error> decode_connack(std::uint8_t flags, bytes body, version v) {
  if (flags != 0)
    return detail::fail(errc::bad_flags, "CONNACK: fixed header flags are not 0");
  detail::reader r{body};
  connack p;
  std::uint8_t ack_flags = 0;
  std::uint8_t rc = 0;
  if (!r.u8(ack_flags, "CONNACK: acknowledge flags missing") ||
      !r.u8(rc, "CONNACK: return code missing"))
    return r.error();
  if ((ack_flags & 0xFE) != 0)
    return detail::fail(errc::malformed, "CONNACK: reserved acknowledge flags are set");
  p.session_present = (ack_flags & 0x01) != 0;
  if (v == version::v5) {
    if (!detail::valid_reason(packet_type::connack, rc))
      return detail::fail(errc::protocol_error, "CONNACK: reason code not allowed");
    p.code = static_cast<reason>(rc);
    if (!detail::decode_properties(r, detail::allowed::connack, p.props))
      return r.error();
  } else {
    if (rc > static_cast<std::uint8_t>(connack_v3::not_authorized))
      return detail::fail(errc::protocol_error, "CONNACK: unknown MQTT 3 return code");
    p.code = from_v3_connack(rc);
  }
  if (!r.expect_end("CONNACK: bytes after the properties"))
    return r.error();
  return p;
}

void encode(const connack& p, version v, buffer& out) {
  detail::encode_packet(out, 0x20, [&p, v](auto& w) {
    w.u8(p.session_present ? 0x01 : 0x00);
    if (v == version::v5) {
      w.u8(static_cast<std::uint8_t>(p.code));
      detail::write_properties(w, p.props);
    } else {
      w.u8(static_cast<std::uint8_t>(to_v3_connack(p.code)));
    }
  });
}

}  // namespace iotb::mqtt
