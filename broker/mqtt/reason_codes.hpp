#pragma once
/// @file
/// Internal: which MQTT 5.0 reason codes each packet type may carry
/// (sections 3.2.2.2, 3.4.2.1, 3.5.2.1, 3.6.2.1, 3.7.2.1, 3.9.3, 3.11.3,
/// 3.14.2.1, 3.15.2.1). Not part of the public API.

#include <algorithm>
#include <cstdint>
#include <initializer_list>

#include "broker/mqtt/types.hpp"

namespace iotb::mqtt::detail {

/// True when `code` is a reason code that packets of type `t` may carry.
[[nodiscard]] inline bool valid_reason(packet_type t, std::uint8_t code) noexcept {
  auto in = [code](std::initializer_list<std::uint8_t> codes) {
    return std::find(codes.begin(), codes.end(), code) != codes.end();
  };
  switch (t) {
    case packet_type::connack:
      return in({0x00, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89,
                 0x8A, 0x8C, 0x90, 0x95, 0x97, 0x99, 0x9A, 0x9B, 0x9C, 0x9D, 0x9F});
    case packet_type::puback:
    case packet_type::pubrec:
      return in({0x00, 0x10, 0x80, 0x83, 0x87, 0x90, 0x91, 0x97, 0x99});
    case packet_type::pubrel:
    case packet_type::pubcomp:
      return in({0x00, 0x92});
    case packet_type::suback:
      return in({0x00, 0x01, 0x02, 0x80, 0x83, 0x87, 0x8F, 0x91, 0x97, 0x9E, 0xA1, 0xA2});
    case packet_type::unsuback:
      return in({0x00, 0x11, 0x80, 0x83, 0x87, 0x8F, 0x91});
    case packet_type::disconnect:
      return in({0x00, 0x04, 0x80, 0x81, 0x82, 0x83, 0x87, 0x89, 0x8B, 0x8D,
                 0x8E, 0x8F, 0x90, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99,
                 0x9A, 0x9B, 0x9C, 0x9D, 0x9E, 0x9F, 0xA0, 0xA1, 0xA2});
    case packet_type::auth:
      return in({0x00, 0x18, 0x19});
    default:
      return false;
  }
}

}  // namespace iotb::mqtt::detail
