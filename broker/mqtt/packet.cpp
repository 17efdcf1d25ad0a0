/// @file
/// `decode_packet`: dispatch on the packet type to the per-type decoders.

#include <type_traits>
#include <utility>
#include <variant>

#include "broker/mqtt/codec.hpp"
#include "broker/mqtt/reader.hpp"

namespace iotb::mqtt {

namespace {

/// Wraps a per-type result into the packet variant.
template <class T>
expected<packet, decode_error> wrap(expected<T, decode_error>&& r) {
  if (!r)
    return unexpected{r.error()};
  return packet{std::move(*r)};
}

}  // namespace

expected<packet, decode_error> decode_packet(const fixed_header& h, bytes body, version v) {
  if (body.size() != h.remaining_length)
    return detail::fail(errc::malformed, "body size differs from the remaining length");
  switch (h.type) {
    case packet_type::connect:
      return wrap(decode_connect(h.flags, body));
    case packet_type::connack:
      return wrap(decode_connack(h.flags, body, v));
    case packet_type::publish:
      return wrap(decode_publish(h.flags, body, v));
    case packet_type::puback:
    case packet_type::pubrec:
    case packet_type::pubrel:
    case packet_type::pubcomp:
      return wrap(decode_pub_ack(h.type, h.flags, body, v));
    case packet_type::subscribe:
      return wrap(decode_subscribe(h.flags, body, v));
    case packet_type::suback:
      return wrap(decode_suback(h.flags, body, v));
    case packet_type::unsubscribe:
      return wrap(decode_unsubscribe(h.flags, body, v));
    case packet_type::unsuback:
      return wrap(decode_unsuback(h.flags, body, v));
    case packet_type::pingreq:
      return wrap(decode_pingreq(h.flags, body));
    case packet_type::pingresp:
      return wrap(decode_pingresp(h.flags, body));
    case packet_type::disconnect:
      return wrap(decode_disconnect(h.flags, body, v));
    case packet_type::auth:
      return wrap(decode_auth(h.flags, body, v));
  }
  return detail::fail(errc::bad_packet_type, "reserved packet type 0");
}

void encode(const packet& p, version v, buffer& out) {
  std::visit(
      [v, &out](const auto& x) {
        using type = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<type, connect> || std::is_same_v<type, pingreq> ||
                      std::is_same_v<type, pingresp> || std::is_same_v<type, auth>)
          encode(x, out);
        else
          encode(x, v, out);
      },
      p);
}

}  // namespace iotb::mqtt
