/// @file
/// UNSUBACK (MQTT 3.1.1 section 3.11, 5.0 section 3.11). Decoded by our own
/// test client and load generator; the broker only encodes it.

#include "broker/mqtt/codec.hpp"
#include "broker/mqtt/properties_codec.hpp"
#include "broker/mqtt/reader.hpp"
#include "broker/mqtt/reason_codes.hpp"
#include "broker/mqtt/writer.hpp"

namespace iotb::mqtt {

expected<unsuback, decode_error> decode_unsuback(std::uint8_t flags, bytes body, version v) {
  if (flags != 0)
    return detail::fail(errc::bad_flags, "UNSUBACK: fixed header flags are not 0");
  detail::reader r{body};
  unsuback p;
  if (!r.u16(p.packet_id, "UNSUBACK: packet identifier missing"))
    return r.error();
  if (p.packet_id == 0)
    return detail::fail(errc::bad_packet_id, "UNSUBACK: packet identifier 0");
  if (v != version::v5) {
    // MQTT 3.x: the packet identifier is all there is.
    if (!r.expect_end("UNSUBACK: bytes after the packet identifier (MQTT 3.x)"))
      return r.error();
    return p;
  }
  if (!detail::decode_properties(r, detail::allowed::ack, p.props))
    return r.error();
  if (r.at_end())
    return detail::fail(errc::malformed, "UNSUBACK: no reason code");
  auto codes = r.rest();
  p.codes.reserve(codes.size());
  for (auto rc : codes) {
    if (!detail::valid_reason(packet_type::unsuback, rc))
      return detail::fail(errc::protocol_error, "UNSUBACK: reason code not allowed");
    p.codes.push_back(static_cast<reason>(rc));
  }
  return p;
}

void encode(const unsuback& p, version v, buffer& out) {
  detail::encode_packet(out, 0xB0, [&p, v](auto& w) {
    w.u16(p.packet_id);
    if (v != version::v5)
      return;
    detail::write_properties(w, p.props);
    for (auto code : p.codes)
      w.u8(static_cast<std::uint8_t>(code));
  });
}

}  // namespace iotb::mqtt
