#pragma once
/// @file
/// What an application sends a device, checked against the product's
/// thing model before it is sent (SPEC §4): a property set's `params` and
/// a service call's input. Only products in **strict** mode are checked —
/// in weak mode (and without a model) a call goes out as given and the
/// device decides, as device uplink in weak mode is forwarded. Strict
/// refuses, with the Alink code and the platform's wording:
/// - property set: an identifier not in the model (6304), a read-only
///   property (`accessMode` "r": 460), a value of the wrong type or out of
///   range (6306…6324), params not an object or empty (460);
/// - service: a service not in the model (6304), input of the wrong type
///   or out of range, an unknown input parameter.
/// Pure; unit-tested in downlink_check.test.cpp. The admin API answers a
/// refusal 400 (docs/calls.md).

#include <optional>
#include <string>
#include <string_view>

#include "broker/thing/uplink.hpp"
#include "broker/thing/validate.hpp"

namespace iotb::thing {

/// Why a call may not be sent.
struct downlink_problem {
  alink_code code;
  std::string message;  ///< "tsl parse: data type is not int -> Brightness"
};

/// A property set's `params` (compact JSON object) for product model `m`.
[[nodiscard]] std::optional<downlink_problem> check_property_set(const product_model& m,
                                                                 std::string_view params_json);

/// A call of service `service_id` with `params_json` for product model `m`.
[[nodiscard]] std::optional<downlink_problem> check_service_call(const product_model& m,
                                                                 std::string_view service_id,
                                                                 std::string_view params_json);

}  // namespace iotb::thing
