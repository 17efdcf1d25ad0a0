/// @file
/// SUBACK (MQTT 3.1.1 section 3.9, 5.0 section 3.9). Decoded by our own test
/// client and load generator; the broker only encodes it.

#include "broker/mqtt/codec.hpp"
#include "broker/mqtt/properties_codec.hpp"
#include "broker/mqtt/reader.hpp"
#include "broker/mqtt/reason_codes.hpp"
#include "broker/mqtt/writer.hpp"

namespace iotb::mqtt {

namespace {

/// The 3.x SUBACK return code for failure.
constexpr std::uint8_t v3_failure = 0x80;

}  // namespace

expected<suback, decode_error> decode_suback(std::uint8_t flags, bytes body, version v) {
  if (flags != 0)
    return detail::fail(errc::bad_flags, "SUBACK: fixed header flags are not 0");
  detail::reader r{body};
  suback p;
  if (!r.u16(p.packet_id, "SUBACK: packet identifier missing"))
    return r.error();
  if (p.packet_id == 0)
    return detail::fail(errc::bad_packet_id, "SUBACK: packet identifier 0");
  if (v == version::v5 && !detail::decode_properties(r, detail::allowed::ack, p.props))
    return r.error();
  if (r.at_end())
    return detail::fail(errc::malformed, "SUBACK: no return code");
  auto codes = r.rest();
  p.codes.reserve(codes.size());
  for (auto rc : codes) {
    if (v == version::v5) {
      if (!detail::valid_reason(packet_type::suback, rc))
        return detail::fail(errc::protocol_error, "SUBACK: reason code not allowed");
    } else if (rc > 2 && rc != v3_failure) {
      return detail::fail(errc::protocol_error, "SUBACK: unknown MQTT 3 return code");
    }
    p.codes.push_back(static_cast<reason>(rc));
  }
  return p;
}

void encode(const suback& p, version v, buffer& out) {
  detail::encode_packet(out, 0x90, [&p, v](auto& w) {
    w.u16(p.packet_id);
    if (v == version::v5)
      detail::write_properties(w, p.props);
    for (auto code : p.codes) {
      auto rc = static_cast<std::uint8_t>(code);
      if (v != version::v5 && rc > 2)
        rc = v3_failure;  // granted QoS 0/1/2, or failure
      w.u8(rc);
    }
  });
}

}  // namespace iotb::mqtt
