/// @file
/// SUBSCRIBE (MQTT 3.1.1 section 3.8, 5.0 section 3.8).

#include <string_view>

#include "broker/mqtt/codec.hpp"
#include "broker/mqtt/properties_codec.hpp"
#include "broker/mqtt/reader.hpp"
#include "broker/mqtt/writer.hpp"

namespace iotb::mqtt {

namespace {

// Subscription options (3.8.3.1).
constexpr std::uint8_t opt_qos = 0x03;
constexpr std::uint8_t opt_no_local = 0x04;
constexpr std::uint8_t opt_retain_as_published = 0x08;
constexpr std::uint8_t opt_retain_handling = 0x30;
constexpr std::uint8_t opt_reserved_v5 = 0xC0;
constexpr std::uint8_t opt_reserved_v3 = 0xFC;

}  // namespace

expected<subscribe, decode_error> decode_subscribe(std::uint8_t flags, bytes body, version v) {
  if (flags != 0x02)
    return detail::fail(errc::bad_flags, "SUBSCRIBE: fixed header flags are not 0b0010");
  detail::reader r{body};
  subscribe p;
  if (!r.u16(p.packet_id, "SUBSCRIBE: packet identifier missing"))
    return r.error();
  if (p.packet_id == 0)
    return detail::fail(errc::bad_packet_id, "SUBSCRIBE: packet identifier 0");
  if (v == version::v5 && !detail::decode_properties(r, detail::allowed::subscribe, p.props))
    return r.error();
  if (r.at_end())
    return detail::fail(errc::empty_subscription, "SUBSCRIBE: no topic filter");
  while (!r.at_end()) {
    subscription_request s;
    std::uint8_t o = 0;
    if (!r.utf8(s.filter, "SUBSCRIBE: topic filter exceeds the packet",
                "SUBSCRIBE: topic filter is not valid UTF-8"))
      return r.error();
    if (!valid_topic_filter(s.filter))
      return detail::fail(errc::invalid_filter, "SUBSCRIBE: invalid topic filter");
    if (!r.u8(o, "SUBSCRIBE: subscription options missing"))
      return r.error();
    if ((o & opt_qos) == 3)
      return detail::fail(errc::invalid_qos, "SUBSCRIBE: maximum QoS 3");
    if ((o & (v == version::v5 ? opt_reserved_v5 : opt_reserved_v3)) != 0)
      return detail::fail(errc::malformed, "SUBSCRIBE: reserved subscription option bits set");
    s.opts.max_qos = static_cast<qos>(o & opt_qos);
    if (v == version::v5) {
      s.opts.no_local = (o & opt_no_local) != 0;
      s.opts.retain_as_published = (o & opt_retain_as_published) != 0;
      s.opts.retain_handling = static_cast<std::uint8_t>((o & opt_retain_handling) >> 4);
      if (s.opts.retain_handling == 3)
        return detail::fail(errc::protocol_error, "SUBSCRIBE: retain handling 3");
      if (s.opts.no_local && std::string_view{s.filter}.starts_with("$share/"))
        return detail::fail(errc::protocol_error,
                            "SUBSCRIBE: no local set on a shared subscription");
    }
    p.filters.push_back(std::move(s));
  }
  return p;
}

void encode(const subscribe& p, version v, buffer& out) {
  detail::encode_packet(out, 0x82, [&p, v](auto& w) {
    w.u16(p.packet_id);
    if (v == version::v5)
      detail::write_properties(w, p.props);
    for (const auto& s : p.filters) {
      w.str(s.filter);
      auto o = static_cast<std::uint8_t>(s.opts.max_qos);
      if (v == version::v5) {
        if (s.opts.no_local)
          o |= opt_no_local;
        if (s.opts.retain_as_published)
          o |= opt_retain_as_published;
        o |= static_cast<std::uint8_t>((s.opts.retain_handling & 0x03) << 4);
      }
      w.u8(o);
    }
  });
}

}  // namespace iotb::mqtt
