/// @file
/// Decoding of MQTT 5.0 property blocks (encoding is in properties_codec.hpp
/// as templates over the output sink).

#include <string>
#include <utility>

#include "broker/mqtt/properties_codec.hpp"

namespace iotb::mqtt::detail {

namespace {

/// Wire type of a property value.
enum class kind { unknown, byte, two, four, varint, utf8, binary, pair };

constexpr kind kind_of(std::uint32_t id) noexcept {
  using enum property_id;
  switch (static_cast<property_id>(id)) {
    case payload_format_indicator:
    case request_problem_information:
    case request_response_information:
    case maximum_qos:
    case retain_available:
    case wildcard_subscription_available:
    case subscription_identifier_available:
    case shared_subscription_available:
      return kind::byte;
    case server_keep_alive:
    case receive_maximum:
    case topic_alias_maximum:
    case topic_alias:
      return kind::two;
    case message_expiry_interval:
    case session_expiry_interval:
    case will_delay_interval:
    case maximum_packet_size:
      return kind::four;
    case subscription_identifier:
      return kind::varint;
    case content_type:
    case response_topic:
    case assigned_client_identifier:
    case authentication_method:
    case response_information:
    case server_reference:
    case reason_string:
      return kind::utf8;
    case correlation_data:
    case authentication_data:
      return kind::binary;
    case user_property:
      return kind::pair;
  }
  return kind::unknown;
}

/// One decoded property value.
struct value {
  std::uint32_t num = 0;
  std::string str;
  std::string str2;  ///< user property value
};

/// Reads the value of property `id` and checks its range.
bool read_value(reader& p, property_id id, value& v) {
  constexpr const char* truncated = "property value exceeds the property block";
  constexpr const char* bad_utf8 = "property string is not valid UTF-8";
  switch (kind_of(static_cast<std::uint32_t>(id))) {
    case kind::byte: {
      std::uint8_t b = 0;
      if (!p.u8(b, truncated))
        return false;
      v.num = b;
      if (b > 1) {
        switch (id) {
          case property_id::payload_format_indicator:
            return p.fail(errc::bad_property, "payload format indicator is neither 0 nor 1");
          case property_id::request_problem_information:
            return p.fail(errc::bad_property, "request problem information is neither 0 nor 1");
          case property_id::request_response_information:
            return p.fail(errc::bad_property, "request response information is neither 0 nor 1");
          case property_id::maximum_qos:
            return p.fail(errc::bad_property, "maximum QoS is neither 0 nor 1");
          default:
            return p.fail(errc::bad_property, "availability flag property is neither 0 nor 1");
        }
      }
      return true;
    }
    case kind::two: {
      std::uint16_t x = 0;
      if (!p.u16(x, truncated))
        return false;
      v.num = x;
      if (x == 0 && id == property_id::topic_alias)
        return p.fail(errc::topic_alias_invalid, "topic alias is 0");
      if (x == 0 && id == property_id::receive_maximum)
        return p.fail(errc::bad_property, "receive maximum is 0");
      return true;
    }
    case kind::four:
      if (!p.u32(v.num, truncated))
        return false;
      if (v.num == 0 && id == property_id::maximum_packet_size)
        return p.fail(errc::bad_property, "maximum packet size is 0");
      return true;
    case kind::varint:
      if (!p.varint(v.num, truncated))
        return false;
      if (v.num == 0)
        return p.fail(errc::bad_property, "subscription identifier is 0");
      return true;
    case kind::utf8:
      if (!p.utf8(v.str, truncated, bad_utf8))
        return false;
      if (id == property_id::response_topic && !valid_topic_name(v.str))
        return p.fail(errc::invalid_topic, "response topic is not a valid topic name");
      return true;
    case kind::binary:
      return p.binary(v.str, truncated);
    case kind::pair:
      return p.utf8(v.str, truncated, "user property name is not valid UTF-8") &&
             p.utf8(v.str2, truncated, "user property value is not valid UTF-8");
    case kind::unknown:
      break;
  }
  return p.fail(errc::bad_property, "unknown property identifier");
}

/// The loop shared by both property shapes: `store(out, id, value)` puts an
/// accepted value into its field.
template <class Props, class Store>
bool decode_block(reader& r, property_mask allowed, property_mask repeatable, Props& out,
                  Store store) {
  std::uint32_t len = 0;
  if (!r.varint(len, "property length exceeds the packet"))
    return false;
  if (len > r.remaining())
    return r.fail(errc::malformed, "property length exceeds the packet");
  reader p{r.take(len)};
  repeatable |= mask(property_id::user_property);
  property_mask seen = 0;
  while (!p.at_end()) {
    std::uint32_t id = 0;
    if (!p.varint(id, "property identifier exceeds the property block"))
      return r.fail(p.last_error());
    if (id >= 64 || kind_of(id) == kind::unknown)
      return r.fail(errc::bad_property, "unknown property identifier");
    auto bit = property_mask{1} << id;
    if ((allowed & bit) == 0)
      return r.fail(errc::bad_property, "property not allowed in this packet");
    if ((seen & bit) != 0 && (repeatable & bit) == 0)
      return r.fail(errc::bad_property, "property appears more than once");
    seen |= bit;
    value v;
    if (!read_value(p, static_cast<property_id>(id), v))
      return r.fail(p.last_error());
    store(out, static_cast<property_id>(id), std::move(v));
  }
  return true;
}

void store_property(properties& out, property_id id, value&& v) {
  auto u8 = [&v] { return static_cast<std::uint8_t>(v.num); };
  auto u16 = [&v] { return static_cast<std::uint16_t>(v.num); };
  switch (id) {
    case property_id::subscription_identifier:
      out.subscription_identifier = v.num;
      break;
    case property_id::session_expiry_interval:
      out.session_expiry_interval = v.num;
      break;
    case property_id::assigned_client_identifier:
      out.assigned_client_identifier = std::move(v.str);
      break;
    case property_id::server_keep_alive:
      out.server_keep_alive = u16();
      break;
    case property_id::authentication_method:
      out.authentication_method = std::move(v.str);
      break;
    case property_id::authentication_data:
      out.authentication_data = std::move(v.str);
      break;
    case property_id::request_problem_information:
      out.request_problem_information = u8();
      break;
    case property_id::request_response_information:
      out.request_response_information = u8();
      break;
    case property_id::response_information:
      out.response_information = std::move(v.str);
      break;
    case property_id::server_reference:
      out.server_reference = std::move(v.str);
      break;
    case property_id::reason_string:
      out.reason_string = std::move(v.str);
      break;
    case property_id::receive_maximum:
      out.receive_maximum = u16();
      break;
    case property_id::topic_alias_maximum:
      out.topic_alias_maximum = u16();
      break;
    case property_id::maximum_qos:
      out.maximum_qos = u8();
      break;
    case property_id::retain_available:
      out.retain_available = u8();
      break;
    case property_id::user_property:
      out.user_properties.emplace_back(std::move(v.str), std::move(v.str2));
      break;
    case property_id::maximum_packet_size:
      out.maximum_packet_size = v.num;
      break;
    case property_id::wildcard_subscription_available:
      out.wildcard_subscription_available = u8();
      break;
    case property_id::subscription_identifier_available:
      out.subscription_identifier_available = u8();
      break;
    case property_id::shared_subscription_available:
      out.shared_subscription_available = u8();
      break;
    default:
      break;  // not in any mask that reaches this function
  }
}

void store_publish_property(publish_properties& out, property_id id, value&& v) {
  switch (id) {
    case property_id::payload_format_indicator:
      out.payload_format_indicator = static_cast<std::uint8_t>(v.num);
      break;
    case property_id::message_expiry_interval:
      out.message_expiry_interval = v.num;
      break;
    case property_id::topic_alias:
      out.topic_alias = static_cast<std::uint16_t>(v.num);
      break;
    case property_id::response_topic:
      out.response_topic = std::move(v.str);
      break;
    case property_id::correlation_data:
      out.correlation_data = std::move(v.str);
      break;
    case property_id::content_type:
      out.content_type = std::move(v.str);
      break;
    case property_id::will_delay_interval:
      out.will_delay_interval = v.num;
      break;
    case property_id::subscription_identifier:
      out.subscription_identifiers.push_back(v.num);
      break;
    case property_id::user_property:
      out.user_properties.emplace_back(std::move(v.str), std::move(v.str2));
      break;
    default:
      break;  // not in any mask that reaches this function
  }
}

}  // namespace

bool decode_properties(reader& r, property_mask allowed, properties& out) {
  return decode_block(r, allowed, 0, out, store_property);
}

bool decode_publish_properties(reader& r, property_mask allowed, property_mask repeatable,
                               publish_properties& out) {
  return decode_block(r, allowed, repeatable, out, store_publish_property);
}

}  // namespace iotb::mqtt::detail
