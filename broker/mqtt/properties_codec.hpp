#pragma once
/// @file
/// Internal: decoding and encoding of MQTT 5.0 property blocks. Which
/// properties a packet may carry is a bit mask over property identifiers;
/// the decoders reject unknown, disallowed, duplicated and out-of-range
/// properties. Not part of the public API.

#include <cstddef>
#include <cstdint>
#include <optional>

#include "broker/mqtt/properties.hpp"
#include "broker/mqtt/reader.hpp"
#include "broker/mqtt/writer.hpp"

namespace iotb::mqtt::detail {

/// A set of property identifiers (all identifiers are below 64).
using property_mask = std::uint64_t;

/// The mask holding only `id`.
[[nodiscard]] constexpr property_mask mask(property_id id) noexcept {
  return property_mask{1} << static_cast<unsigned>(id);
}

/// Properties allowed per packet type (MQTT 5.0, table 2-4).
namespace allowed {

using enum property_id;

inline constexpr property_mask connect = mask(session_expiry_interval) | mask(receive_maximum) |
                                         mask(maximum_packet_size) | mask(topic_alias_maximum) |
                                         mask(request_response_information) |
                                         mask(request_problem_information) | mask(user_property) |
                                         mask(authentication_method) | mask(authentication_data);

inline constexpr property_mask will =
    mask(payload_format_indicator) | mask(message_expiry_interval) | mask(content_type) |
    mask(response_topic) | mask(correlation_data) | mask(will_delay_interval) | mask(user_property);

inline constexpr property_mask connack =
    mask(session_expiry_interval) | mask(assigned_client_identifier) | mask(server_keep_alive) |
    mask(authentication_method) | mask(authentication_data) | mask(response_information) |
    mask(server_reference) | mask(reason_string) | mask(receive_maximum) |
    mask(topic_alias_maximum) | mask(maximum_qos) | mask(retain_available) | mask(user_property) |
    mask(maximum_packet_size) | mask(wildcard_subscription_available) |
    mask(subscription_identifier_available) | mask(shared_subscription_available);

inline constexpr property_mask publish =
    mask(payload_format_indicator) | mask(message_expiry_interval) | mask(content_type) |
    mask(response_topic) | mask(correlation_data) | mask(subscription_identifier) |
    mask(topic_alias) | mask(user_property);

/// PUBACK, PUBREC, PUBREL, PUBCOMP, SUBACK and UNSUBACK.
inline constexpr property_mask ack = mask(reason_string) | mask(user_property);

inline constexpr property_mask subscribe = mask(subscription_identifier) | mask(user_property);

inline constexpr property_mask unsubscribe = mask(user_property);

inline constexpr property_mask disconnect = mask(session_expiry_interval) | mask(reason_string) |
                                            mask(user_property) | mask(server_reference);

inline constexpr property_mask auth = mask(authentication_method) | mask(authentication_data) |
                                      mask(reason_string) | mask(user_property);

}  // namespace allowed

/// Reads a property block (length, then properties) into `out`. User
/// properties may repeat; any other property may appear once.
/// @returns false with the error recorded in `r`.
bool decode_properties(reader& r, property_mask allowed, properties& out);

/// Reads a PUBLISH or will property block into `out`. Identifiers in
/// `repeatable` (besides user properties) may appear more than once.
bool decode_publish_properties(reader& r, property_mask allowed, property_mask repeatable,
                               publish_properties& out);

// -- encoding -----------------------------------------------------------------

/// Writes the properties of `p` (without the length), in identifier order.
template <class Sink>
void write_property_fields(Sink& w, const properties& p) {
  using enum property_id;
  auto byte = [&w](property_id id, const std::optional<std::uint8_t>& v) {
    if (v) {
      w.u8(static_cast<std::uint8_t>(id));
      w.u8(*v);
    }
  };
  auto two = [&w](property_id id, const std::optional<std::uint16_t>& v) {
    if (v) {
      w.u8(static_cast<std::uint8_t>(id));
      w.u16(*v);
    }
  };
  auto four = [&w](property_id id, const std::optional<std::uint32_t>& v) {
    if (v) {
      w.u8(static_cast<std::uint8_t>(id));
      w.u32(*v);
    }
  };
  auto str = [&w](property_id id, const std::optional<std::string>& v) {
    if (v) {
      w.u8(static_cast<std::uint8_t>(id));
      w.str(*v);
    }
  };
  if (p.subscription_identifier) {
    w.u8(static_cast<std::uint8_t>(subscription_identifier));
    w.varint(*p.subscription_identifier);
  }
  four(session_expiry_interval, p.session_expiry_interval);
  str(assigned_client_identifier, p.assigned_client_identifier);
  two(server_keep_alive, p.server_keep_alive);
  str(authentication_method, p.authentication_method);
  str(authentication_data, p.authentication_data);
  byte(request_problem_information, p.request_problem_information);
  byte(request_response_information, p.request_response_information);
  str(response_information, p.response_information);
  str(server_reference, p.server_reference);
  str(reason_string, p.reason_string);
  two(receive_maximum, p.receive_maximum);
  two(topic_alias_maximum, p.topic_alias_maximum);
  byte(maximum_qos, p.maximum_qos);
  byte(retain_available, p.retain_available);
  for (const auto& [name, value] : p.user_properties) {
    w.u8(static_cast<std::uint8_t>(user_property));
    w.str(name);
    w.str(value);
  }
  four(maximum_packet_size, p.maximum_packet_size);
  byte(wildcard_subscription_available, p.wildcard_subscription_available);
  byte(subscription_identifier_available, p.subscription_identifier_available);
  byte(shared_subscription_available, p.shared_subscription_available);
}

/// Writes a property block: length, then the properties of `p`.
template <class Sink>
void write_properties(Sink& w, const properties& p) {
  counter c;
  write_property_fields(c, p);
  w.varint(static_cast<std::uint32_t>(c.size()));
  write_property_fields(w, p);
}

/// What to write as the properties of a PUBLISH or of a will.
struct publish_props_ref {
  const publish_properties* props = nullptr;  ///< may be null
  std::uint16_t topic_alias = 0;              ///< 0: none (PUBLISH only)
  const std::uint32_t* sub_ids = nullptr;     ///< PUBLISH only
  std::size_t sub_id_count = 0;
  std::optional<std::uint32_t> expiry;  ///< replaces props->message_expiry_interval
  bool will = false;                    ///< will properties: will delay, no alias or sub ids
};

/// Writes the PUBLISH or will properties described by `r` (without length).
/// `props->topic_alias` and `props->subscription_identifiers` are never
/// written: `r.topic_alias` and `r.sub_ids` replace them.
template <class Sink>
void write_publish_property_fields(Sink& w, const publish_props_ref& r) {
  using enum property_id;
  const auto* p = r.props;
  if (p && p->payload_format_indicator) {
    w.u8(static_cast<std::uint8_t>(payload_format_indicator));
    w.u8(*p->payload_format_indicator);
  }
  auto expiry = r.expiry ? r.expiry : (p ? p->message_expiry_interval : std::nullopt);
  if (expiry) {
    w.u8(static_cast<std::uint8_t>(message_expiry_interval));
    w.u32(*expiry);
  }
  if (p && p->content_type) {
    w.u8(static_cast<std::uint8_t>(content_type));
    w.str(*p->content_type);
  }
  if (p && p->response_topic) {
    w.u8(static_cast<std::uint8_t>(response_topic));
    w.str(*p->response_topic);
  }
  if (p && p->correlation_data) {
    w.u8(static_cast<std::uint8_t>(correlation_data));
    w.str(*p->correlation_data);
  }
  if (!r.will) {
    for (std::size_t i = 0; i < r.sub_id_count; ++i) {
      w.u8(static_cast<std::uint8_t>(subscription_identifier));
      w.varint(r.sub_ids[i]);
    }
  }
  if (r.will && p && p->will_delay_interval) {
    w.u8(static_cast<std::uint8_t>(will_delay_interval));
    w.u32(*p->will_delay_interval);
  }
  if (!r.will && r.topic_alias != 0) {
    w.u8(static_cast<std::uint8_t>(topic_alias));
    w.u16(r.topic_alias);
  }
  if (p) {
    for (const auto& [name, value] : p->user_properties) {
      w.u8(static_cast<std::uint8_t>(user_property));
      w.str(name);
      w.str(value);
    }
  }
}

/// Writes a PUBLISH or will property block: length, then the properties.
template <class Sink>
void write_publish_properties(Sink& w, const publish_props_ref& r) {
  counter c;
  write_publish_property_fields(c, r);
  w.varint(static_cast<std::uint32_t>(c.size()));
  write_publish_property_fields(w, r);
}

/// True when `p` holds no property (MQTT 5 short forms omit the block).
[[nodiscard]] inline bool no_properties(const properties& p) noexcept {
  return p == properties{};
}

}  // namespace iotb::mqtt::detail
