/// @file
/// UNSUBSCRIBE (MQTT 3.1.1 section 3.10, 5.0 section 3.10).

#include "broker/mqtt/codec.hpp"
#include "broker/mqtt/properties_codec.hpp"
#include "broker/mqtt/reader.hpp"
#include "broker/mqtt/writer.hpp"

namespace iotb::mqtt {

expected<unsubscribe, decode_error> decode_unsubscribe(std::uint8_t flags, bytes body, version v) {
  if (flags != 0x02)
    return detail::fail(errc::bad_flags, "UNSUBSCRIBE: fixed header flags are not 0b0010");
  detail::reader r{body};
  unsubscribe p;
  if (!r.u16(p.packet_id, "UNSUBSCRIBE: packet identifier missing"))
    return r.error();
  if (p.packet_id == 0)
    return detail::fail(errc::bad_packet_id, "UNSUBSCRIBE: packet identifier 0");
  if (v == version::v5 && !detail::decode_properties(r, detail::allowed::unsubscribe, p.props))
    return r.error();
  if (r.at_end())
    return detail::fail(errc::empty_subscription, "UNSUBSCRIBE: no topic filter");
  while (!r.at_end()) {
    std::string filter;
    if (!r.utf8(filter, "UNSUBSCRIBE: topic filter exceeds the packet",
                "UNSUBSCRIBE: topic filter is not valid UTF-8"))
      return r.error();
    if (!valid_topic_filter(filter))
      return detail::fail(errc::invalid_filter, "UNSUBSCRIBE: invalid topic filter");
    p.filters.push_back(std::move(filter));
  }
  return p;
}

void encode(const unsubscribe& p, version v, buffer& out) {
  detail::encode_packet(out, 0xA2, [&p, v](auto& w) {
    w.u16(p.packet_id);
    if (v == version::v5)
      detail::write_properties(w, p.props);
    for (const auto& f : p.filters)
      w.str(f);
  });
}

}  // namespace iotb::mqtt
