/// @file
/// PINGREQ and PINGRESP (MQTT 3.1.1 sections 3.12-3.13, 5.0 sections
/// 3.12-3.13): a fixed header and nothing else.

#include "broker/mqtt/codec.hpp"
#include "broker/mqtt/reader.hpp"

namespace iotb::mqtt {

expected<pingreq, decode_error> decode_pingreq(std::uint8_t flags, bytes body) {
  if (flags != 0)
    return detail::fail(errc::bad_flags, "PINGREQ: fixed header flags are not 0");
  if (!body.empty())
    return detail::fail(errc::malformed, "PINGREQ: remaining length is not 0");
  return pingreq{};
}

expected<pingresp, decode_error> decode_pingresp(std::uint8_t flags, bytes body) {
  if (flags != 0)
    return detail::fail(errc::bad_flags, "PINGRESP: fixed header flags are not 0");
  if (!body.empty())
    return detail::fail(errc::malformed, "PINGRESP: remaining length is not 0");
  return pingresp{};
}

void encode(const pingreq&, buffer& out) {
  out.push_back(0xC0);
  out.push_back(0x00);
}

void encode(const pingresp&, buffer& out) {
  out.push_back(0xD0);
  out.push_back(0x00);
}

}  // namespace iotb::mqtt
