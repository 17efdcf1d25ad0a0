#pragma once
/// @file
/// MQTT 5.0 properties. Two shapes: `publish_properties` (the hot path: only
/// what PUBLISH and will messages may carry) and `properties` (everything
/// else). Absent properties are empty optionals; MQTT 3.x packets have none.

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace iotb::mqtt {

/// Property identifiers (MQTT 5.0, section 2.2.2.2).
enum class property_id : std::uint8_t {
  payload_format_indicator = 0x01,
  message_expiry_interval = 0x02,
  content_type = 0x03,
  response_topic = 0x08,
  correlation_data = 0x09,
  subscription_identifier = 0x0B,
  session_expiry_interval = 0x11,
  assigned_client_identifier = 0x12,
  server_keep_alive = 0x13,
  authentication_method = 0x15,
  authentication_data = 0x16,
  request_problem_information = 0x17,
  will_delay_interval = 0x18,
  request_response_information = 0x19,
  response_information = 0x1A,
  server_reference = 0x1C,
  reason_string = 0x1F,
  receive_maximum = 0x21,
  topic_alias_maximum = 0x22,
  topic_alias = 0x23,
  maximum_qos = 0x24,
  retain_available = 0x25,
  user_property = 0x26,
  maximum_packet_size = 0x27,
  wildcard_subscription_available = 0x28,
  subscription_identifier_available = 0x29,
  shared_subscription_available = 0x2A,
};

/// A user property (name, value), passed through unchanged.
using user_property = std::pair<std::string, std::string>;

/// Properties a PUBLISH packet (or a CONNECT's will) may carry.
struct publish_properties {
  std::optional<std::uint8_t> payload_format_indicator;  ///< 0 bytes, 1 UTF-8
  std::optional<std::uint32_t> message_expiry_interval;  ///< seconds
  std::optional<std::uint16_t> topic_alias;              ///< PUBLISH only
  std::optional<std::string> response_topic;
  std::optional<std::string> correlation_data;  ///< binary data
  std::optional<std::string> content_type;
  std::optional<std::uint32_t> will_delay_interval;     ///< will properties only
  std::vector<std::uint32_t> subscription_identifiers;  ///< server → client only
  std::vector<user_property> user_properties;

  /// True when no property is set (the common case; lets encoders skip work).
  [[nodiscard]] bool empty() const noexcept {
    return !payload_format_indicator && !message_expiry_interval && !topic_alias &&
           !response_topic && !correlation_data && !content_type && !will_delay_interval &&
           subscription_identifiers.empty() && user_properties.empty();
  }
  bool operator==(const publish_properties&) const = default;
};

/// A Session Expiry Interval of 0xFFFFFFFF: the session never expires
/// (MQTT 5 3.1.2.11.2).
inline constexpr std::uint32_t session_expiry_never = 0xFFFFFFFF;

/// Properties of every packet other than PUBLISH. Which ones are allowed
/// depends on the packet type; the decoder rejects the others with
/// `errc::bad_property`.
struct properties {
  std::optional<std::uint32_t> session_expiry_interval;
  std::optional<std::string> assigned_client_identifier;
  std::optional<std::uint16_t> server_keep_alive;
  std::optional<std::string> authentication_method;
  std::optional<std::string> authentication_data;
  std::optional<std::uint8_t> request_problem_information;
  std::optional<std::uint8_t> request_response_information;
  std::optional<std::string> response_information;
  std::optional<std::string> server_reference;
  std::optional<std::string> reason_string;
  std::optional<std::uint16_t> receive_maximum;
  std::optional<std::uint16_t> topic_alias_maximum;
  std::optional<std::uint8_t> maximum_qos;
  std::optional<std::uint8_t> retain_available;
  std::optional<std::uint32_t> maximum_packet_size;
  std::optional<std::uint8_t> wildcard_subscription_available;
  std::optional<std::uint8_t> subscription_identifier_available;
  std::optional<std::uint8_t> shared_subscription_available;
  std::optional<std::uint32_t> subscription_identifier;  ///< SUBSCRIBE only
  std::vector<user_property> user_properties;
  bool operator==(const properties&) const = default;
};

}  // namespace iotb::mqtt
