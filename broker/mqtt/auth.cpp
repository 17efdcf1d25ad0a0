/// @file
/// AUTH (MQTT 5.0 section 3.15; no such packet in 3.x).

#include "broker/mqtt/codec.hpp"
#include "broker/mqtt/properties_codec.hpp"
#include "broker/mqtt/reader.hpp"
#include "broker/mqtt/reason_codes.hpp"
#include "broker/mqtt/writer.hpp"

namespace iotb::mqtt {

expected<auth, decode_error> decode_auth(std::uint8_t flags, bytes body, version v) {
  if (v != version::v5)
    return detail::fail(errc::bad_packet_type, "AUTH before MQTT 5");
  if (flags != 0)
    return detail::fail(errc::bad_flags, "AUTH: fixed header flags are not 0");
  auth p;
  // No body means success without properties; the property length may be
  // omitted after the reason code.
  detail::reader r{body};
  if (!r.at_end()) {
    std::uint8_t rc = 0;
    if (!r.u8(rc, "AUTH: reason code missing"))
      return r.error();
    if (!detail::valid_reason(packet_type::auth, rc))
      return detail::fail(errc::protocol_error, "AUTH: reason code not allowed");
    p.code = static_cast<reason>(rc);
    if (!r.at_end() && !detail::decode_properties(r, detail::allowed::auth, p.props))
      return r.error();
    if (p.props.authentication_data && !p.props.authentication_method)
      return detail::fail(errc::protocol_error,
                          "AUTH: authentication data without authentication method");
  }
  if (!r.expect_end("AUTH: bytes after the properties"))
    return r.error();
  return p;
}

void encode(const auth& p, buffer& out) {
  detail::encode_packet(out, 0xF0, [&p](auto& w) {
    bool no_props = detail::no_properties(p.props);
    if (p.code == reason::success && no_props)
      return;
    w.u8(static_cast<std::uint8_t>(p.code));
    if (!no_props)
      detail::write_properties(w, p.props);
  });
}

}  // namespace iotb::mqtt
