/// @file
/// PUBACK, PUBREC, PUBREL and PUBCOMP (MQTT 3.1.1 sections 3.4-3.7, 5.0
/// sections 3.4-3.7): one layout, so one decoder and one encoder.

#include "broker/mqtt/codec.hpp"
#include "broker/mqtt/properties_codec.hpp"
#include "broker/mqtt/reader.hpp"
#include "broker/mqtt/reason_codes.hpp"
#include "broker/mqtt/writer.hpp"

namespace iotb::mqtt {

namespace {

/// PUBREL has the fixed header flags 0b0010, the others 0.
constexpr std::uint8_t expected_flags(packet_type t) noexcept {
  return t == packet_type::pubrel ? 0x02 : 0x00;
}

}  // namespace

expected<pub_ack, decode_error> decode_pub_ack(packet_type t, std::uint8_t flags, bytes body,
                                               version v) {
  if (t != packet_type::puback && t != packet_type::pubrec && t != packet_type::pubrel &&
      t != packet_type::pubcomp)
    return detail::fail(errc::bad_packet_type, "decode_pub_ack: not a publish acknowledgement");
  if (flags != expected_flags(t))
    return detail::fail(errc::bad_flags,
                        t == packet_type::pubrel
                            ? "PUBREL: fixed header flags are not 0b0010"
                            : "PUBACK/PUBREC/PUBCOMP: fixed header flags are not 0");
  detail::reader r{body};
  pub_ack p;
  p.type = t;
  if (!r.u16(p.packet_id, "publish acknowledgement: packet identifier missing"))
    return r.error();
  if (p.packet_id == 0)
    return detail::fail(errc::bad_packet_id, "publish acknowledgement: packet identifier 0");
  // MQTT 5: the reason code is omitted for success without properties, and
  // the property length is omitted when there are no properties.
  if (v == version::v5 && !r.at_end()) {
    std::uint8_t rc = 0;
    if (!r.u8(rc, "publish acknowledgement: reason code missing"))
      return r.error();
    if (!detail::valid_reason(t, rc))
      return detail::fail(errc::protocol_error, "publish acknowledgement: reason code not allowed");
    p.code = static_cast<reason>(rc);
    if (!r.at_end() && !detail::decode_properties(r, detail::allowed::ack, p.props))
      return r.error();
  }
  if (!r.expect_end("publish acknowledgement: unexpected bytes at the end"))
    return r.error();
  return p;
}

void encode(const pub_ack& p, version v, buffer& out) {
  auto first =
      static_cast<std::uint8_t>((static_cast<std::uint8_t>(p.type) << 4) | expected_flags(p.type));
  detail::encode_packet(out, first, [&p, v](auto& w) {
    w.u16(p.packet_id);
    if (v != version::v5)
      return;
    bool no_props = detail::no_properties(p.props);
    if (p.code == reason::success && no_props)
      return;  // short form: remaining length 2
    w.u8(static_cast<std::uint8_t>(p.code));
    if (!no_props)
      detail::write_properties(w, p.props);
  });
}

}  // namespace iotb::mqtt
