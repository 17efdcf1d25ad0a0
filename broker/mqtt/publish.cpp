/// @file
/// PUBLISH (MQTT 3.1.1 section 3.3, 5.0 section 3.3): decoding into an
/// owning `publish`, encoding from a `publish_view` (the broker's hot path).

#include <string_view>

#include "broker/mqtt/codec.hpp"
#include "broker/mqtt/properties_codec.hpp"
#include "broker/mqtt/reader.hpp"
#include "broker/mqtt/writer.hpp"

namespace iotb::mqtt {

namespace {

constexpr std::uint8_t flag_retain = 0x01;
constexpr std::uint8_t flag_dup = 0x08;

/// The first byte of the fixed header.
std::uint8_t first_byte(const publish_view& p) noexcept {
  auto b = static_cast<std::uint8_t>(0x30 | (static_cast<std::uint8_t>(p.q) << 1));
  if (p.dup)
    b |= flag_dup;
  if (p.retain)
    b |= flag_retain;
  return b;
}

/// Writes everything of the body but the payload.
template <class Sink>
void write_head(Sink& w, const publish_view& p, version v) {
  w.str(p.topic);
  if (p.q != qos::at_most_once)
    w.u16(p.packet_id);
  if (v == version::v5) {
    detail::publish_props_ref ref;
    ref.props = p.props;
    ref.topic_alias = p.topic_alias;
    ref.sub_ids = p.sub_ids;
    ref.sub_id_count = p.sub_id_count;
    ref.expiry = p.expiry_override;
    detail::write_publish_properties(w, ref);
  }
}

}  // namespace

expected<publish, decode_error> decode_publish(std::uint8_t flags, bytes body, version v) {
  publish p;
  auto q = static_cast<std::uint8_t>((flags >> 1) & 0x03);
  if (q == 3)
    return detail::fail(errc::invalid_qos, "PUBLISH: QoS 3");
  p.q = static_cast<qos>(q);
  p.dup = (flags & flag_dup) != 0;
  p.retain = (flags & flag_retain) != 0;
  if (q == 0 && p.dup)
    return detail::fail(errc::invalid_qos, "PUBLISH: DUP flag set on a QoS 0 message");
  detail::reader r{body};
  if (!r.utf8(p.topic, "PUBLISH: topic name exceeds the packet",
              "PUBLISH: topic name is not valid UTF-8"))
    return r.error();
  if (q != 0) {
    if (!r.u16(p.packet_id, "PUBLISH: packet identifier missing"))
      return r.error();
    if (p.packet_id == 0)
      return detail::fail(errc::bad_packet_id, "PUBLISH: packet identifier 0 with QoS > 0");
  }
  if (v == version::v5 &&
      !detail::decode_publish_properties(
          r, detail::allowed::publish, detail::mask(property_id::subscription_identifier), p.props))
    return r.error();
  if (p.topic.empty()) {
    if (v != version::v5 || !p.props.topic_alias)
      return detail::fail(errc::invalid_topic, "PUBLISH: empty topic name without topic alias");
  } else if (p.topic.find_first_of("+#") != std::string::npos) {
    return detail::fail(errc::invalid_topic, "PUBLISH: topic name contains a wildcard");
  }
  auto payload = r.rest();
  p.payload.assign(reinterpret_cast<const char*>(payload.data()), payload.size());
  return p;
}

void encode(const publish& p, version v, buffer& out) {
  publish_view view;
  view.topic = p.topic;
  view.payload = p.payload;
  view.q = p.q;
  view.dup = p.dup;
  view.retain = p.retain;
  view.packet_id = p.packet_id;
  view.props = &p.props;
  view.topic_alias = p.props.topic_alias.value_or(0);
  view.sub_ids = p.props.subscription_identifiers.data();
  view.sub_id_count = p.props.subscription_identifiers.size();
  encode(view, v, out);
}

std::size_t encode(const publish_view& p, version v, buffer& out, bool with_payload) {
  if (with_payload) {
    return detail::encode_packet(out, first_byte(p), [&p, v](auto& w) {
      write_head(w, p, v);
      w.raw(p.payload);
    });
  }
  return detail::encode_packet(
      out, first_byte(p), [&p, v](auto& w) { write_head(w, p, v); }, p.payload.size());
}

std::size_t encoded_size(const publish_view& p, version v) {
  detail::counter c;
  write_head(c, p, v);
  auto remaining = c.size() + p.payload.size();
  return 1 + detail::varint_size(static_cast<std::uint32_t>(remaining)) + remaining;
}

}  // namespace iotb::mqtt
