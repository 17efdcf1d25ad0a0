/// @file
/// Decode errors: names and the reason code a broker sends for each.

#include "broker/mqtt/errors.hpp"

namespace iotb::mqtt {

reason to_reason(errc e) noexcept {
  switch (e) {
    case errc::need_more:
      return reason::unspecified_error;  // not an error; never sent
    case errc::bad_remaining_length:
    case errc::bad_flags:
    case errc::malformed:
    case errc::invalid_utf8:
    case errc::invalid_qos:
    case errc::bad_packet_type:
      return reason::malformed_packet;
    case errc::packet_too_large:
      return reason::packet_too_large;
    case errc::unsupported_version:
      return reason::unsupported_protocol_version;
    case errc::invalid_topic:
      return reason::topic_name_invalid;
    case errc::invalid_filter:
      return reason::topic_filter_invalid;
    case errc::topic_alias_invalid:
      return reason::topic_alias_invalid;
    case errc::bad_property:
    case errc::bad_packet_id:
    case errc::empty_subscription:
    case errc::protocol_error:
      return reason::protocol_error;
  }
  return reason::unspecified_error;
}

std::string_view to_string(errc e) noexcept {
  switch (e) {
    case errc::need_more:
      return "need_more";
    case errc::bad_remaining_length:
      return "bad_remaining_length";
    case errc::packet_too_large:
      return "packet_too_large";
    case errc::bad_packet_type:
      return "bad_packet_type";
    case errc::bad_flags:
      return "bad_flags";
    case errc::malformed:
      return "malformed";
    case errc::unsupported_version:
      return "unsupported_version";
    case errc::invalid_utf8:
      return "invalid_utf8";
    case errc::invalid_qos:
      return "invalid_qos";
    case errc::invalid_topic:
      return "invalid_topic";
    case errc::invalid_filter:
      return "invalid_filter";
    case errc::bad_property:
      return "bad_property";
    case errc::topic_alias_invalid:
      return "topic_alias_invalid";
    case errc::bad_packet_id:
      return "bad_packet_id";
    case errc::empty_subscription:
      return "empty_subscription";
    case errc::protocol_error:
      return "protocol_error";
  }
  return "unknown";
}

}  // namespace iotb::mqtt
