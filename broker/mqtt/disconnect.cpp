/// @file
/// DISCONNECT (MQTT 3.1.1 section 3.14, 5.0 section 3.14).

#include "broker/mqtt/codec.hpp"
#include "broker/mqtt/properties_codec.hpp"
#include "broker/mqtt/reader.hpp"
#include "broker/mqtt/reason_codes.hpp"
#include "broker/mqtt/writer.hpp"

namespace iotb::mqtt {

expected<disconnect, decode_error> decode_disconnect(std::uint8_t flags, bytes body, version v) {
  if (flags != 0)
    return detail::fail(errc::bad_flags, "DISCONNECT: fixed header flags are not 0");
  disconnect p;
  if (v != version::v5) {
    if (!body.empty())
      return detail::fail(errc::malformed, "DISCONNECT: remaining length is not 0 (MQTT 3.x)");
    return p;
  }
  // MQTT 5: no body means normal disconnection; the property length may be
  // omitted after the reason code.
  detail::reader r{body};
  if (!r.at_end()) {
    std::uint8_t rc = 0;
    if (!r.u8(rc, "DISCONNECT: reason code missing"))
      return r.error();
    if (!detail::valid_reason(packet_type::disconnect, rc))
      return detail::fail(errc::protocol_error, "DISCONNECT: reason code not allowed");
    p.code = static_cast<reason>(rc);
    if (!r.at_end() && !detail::decode_properties(r, detail::allowed::disconnect, p.props))
      return r.error();
  }
  if (!r.expect_end("DISCONNECT: bytes after the properties"))
    return r.error();
  return p;
}

void encode(const disconnect& p, version v, buffer& out) {
  detail::encode_packet(out, 0xE0, [&p, v](auto& w) {
    if (v != version::v5)
      return;
    bool no_props = detail::no_properties(p.props);
    if (p.code == reason::success && no_props)
      return;
    w.u8(static_cast<std::uint8_t>(p.code));
    if (!no_props)
      detail::write_properties(w, p.props);
  });
}

}  // namespace iotb::mqtt
