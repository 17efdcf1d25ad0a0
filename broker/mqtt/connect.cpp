/// @file
/// CONNECT (MQTT 3.1 section 3.1, 3.1.1 section 3.1, 5.0 section 3.1).

#include <string>
#include <string_view>

#include "broker/mqtt/codec.hpp"
#include "broker/mqtt/properties_codec.hpp"
#include "broker/mqtt/reader.hpp"
#include "broker/mqtt/writer.hpp"

namespace iotb::mqtt {

namespace {

// Connect flags (3.1.2.3).
constexpr std::uint8_t flag_reserved = 0x01;
constexpr std::uint8_t flag_clean_start = 0x02;
constexpr std::uint8_t flag_will = 0x04;
constexpr std::uint8_t flag_will_retain = 0x20;
constexpr std::uint8_t flag_password = 0x40;
constexpr std::uint8_t flag_username = 0x80;

constexpr std::string_view name_mqtt = "MQTT";
constexpr std::string_view name_mqisdp = "MQIsdp";

}  // namespace

expected<connect, decode_error> decode_connect(std::uint8_t flags, bytes body) {
  if (flags != 0)
    return detail::fail(errc::bad_flags, "CONNECT: fixed header flags are not 0");
  detail::reader r{body};
  connect c;
  // Protocol name and level. The name is compared as bytes: an unknown name
  // is an unsupported protocol, whatever its encoding.
  std::string name;
  std::uint8_t level = 0;
  if (!r.binary(name, "CONNECT: protocol name exceeds the packet") ||
      !r.u8(level, "CONNECT: protocol level missing"))
    return r.error();
  if (name == name_mqtt && level == 4)
    c.ver = version::v311;
  else if (name == name_mqtt && level == 5)
    c.ver = version::v5;
  else if (name == name_mqisdp && level == 3)
    c.ver = version::v31;
  else
    return detail::fail(errc::unsupported_version,
                        "CONNECT: unknown protocol name or protocol level");
  // Connect flags.
  std::uint8_t cf = 0;
  if (!r.u8(cf, "CONNECT: connect flags missing") ||
      !r.u16(c.keep_alive, "CONNECT: keep alive missing"))
    return r.error();
  if ((cf & flag_reserved) != 0)
    return detail::fail(errc::protocol_error, "CONNECT: reserved connect flag is set");
  c.clean_start = (cf & flag_clean_start) != 0;
  bool has_will = (cf & flag_will) != 0;
  auto will_qos = static_cast<std::uint8_t>((cf >> 3) & 0x03);
  bool will_retain = (cf & flag_will_retain) != 0;
  bool has_password = (cf & flag_password) != 0;
  bool has_username = (cf & flag_username) != 0;
  if (!has_will && (will_qos != 0 || will_retain))
    return detail::fail(errc::protocol_error,
                        "CONNECT: will QoS or will retain set without the will flag");
  if (will_qos == 3)
    return detail::fail(errc::invalid_qos, "CONNECT: will QoS 3");
  if (c.ver != version::v5 && has_password && !has_username)
    return detail::fail(errc::protocol_error,
                        "CONNECT: password flag without user name flag (MQTT 3.x)");
  // Properties.
  if (c.ver == version::v5) {
    if (!detail::decode_properties(r, detail::allowed::connect, c.props))
      return r.error();
    if (c.props.authentication_data && !c.props.authentication_method)
      return detail::fail(errc::protocol_error,
                          "CONNECT: authentication data without authentication method");
  }
  // Payload.
  if (!r.utf8(c.client_id, "CONNECT: client identifier exceeds the packet",
              "CONNECT: client identifier is not valid UTF-8"))
    return r.error();
  if (has_will) {
    will w;
    w.q = static_cast<qos>(will_qos);
    w.retain = will_retain;
    if (c.ver == version::v5 &&
        !detail::decode_publish_properties(r, detail::allowed::will, 0, w.props))
      return r.error();
    if (!r.utf8(w.topic, "CONNECT: will topic exceeds the packet",
                "CONNECT: will topic is not valid UTF-8") ||
        !r.binary(w.payload, "CONNECT: will payload exceeds the packet"))
      return r.error();
    if (!valid_topic_name(w.topic))
      return detail::fail(errc::invalid_topic, "CONNECT: will topic is not a valid topic name");
    c.will_msg = std::move(w);
  }
  if (has_username) {
    c.username.emplace();
    if (!r.utf8(*c.username, "CONNECT: user name exceeds the packet",
                "CONNECT: user name is not valid UTF-8"))
      return r.error();
  }
  if (has_password) {
    c.password.emplace();
    if (!r.binary(*c.password, "CONNECT: password exceeds the packet"))
      return r.error();
  }
  if (!r.expect_end("CONNECT: bytes after the payload"))
    return r.error();
  return c;
}

void encode(const connect& p, buffer& out) {
  detail::encode_packet(out, 0x10, [&p](auto& w) {
    switch (p.ver) {
      case version::v31:
        w.str(name_mqisdp);
        break;
      default:
        w.str(name_mqtt);
        break;
    }
    w.u8(static_cast<std::uint8_t>(p.ver));
    std::uint8_t cf = 0;
    if (p.clean_start)
      cf |= flag_clean_start;
    if (p.will_msg) {
      cf |= flag_will;
      cf |= static_cast<std::uint8_t>(static_cast<std::uint8_t>(p.will_msg->q) << 3);
      if (p.will_msg->retain)
        cf |= flag_will_retain;
    }
    if (p.password)
      cf |= flag_password;
    if (p.username)
      cf |= flag_username;
    w.u8(cf);
    w.u16(p.keep_alive);
    if (p.ver == version::v5)
      detail::write_properties(w, p.props);
    w.str(p.client_id);
    if (p.will_msg) {
      if (p.ver == version::v5) {
        detail::publish_props_ref ref;
        ref.props = &p.will_msg->props;
        ref.will = true;
        detail::write_publish_properties(w, ref);
      }
      w.str(p.will_msg->topic);
      w.str(p.will_msg->payload);
    }
    if (p.username)
      w.str(*p.username);
    if (p.password)
      w.str(*p.password);
  });
}

}  // namespace iotb::mqtt
