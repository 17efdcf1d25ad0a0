#pragma once
/// @file
/// Delivers a device's desired property values when it comes back online
/// (SPEC §4: "set while the device is offline are cached and delivered
/// when it reconnects"). An internal subscriber of the broker's own
/// `/as/mqtt/status/+/+` notifications: when one says `online` and the
/// device has desired values (kept by a property set while it was offline,
/// actors/thing_calls.hpp), the courier sends them as one
/// `thing.service.property.set` call through the device-calls actor, once
/// the device is subscribed to `…/thing/service/property/set` (checked
/// after `courier_delays`, then given up quietly: the device can still
/// fetch them with `thing.property.desired.get`).
///
/// When the device answers the set with code 200, the values it was sent
/// are deleted from the desired cache (each only if no newer set replaced
/// it meanwhile); any other outcome keeps them for the next reconnect or a
/// `desired.get`. Both outcomes are device-log lines.

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include <caf/typed_event_based_actor.hpp>

#include "actors/context.hpp"
#include "actors/dispatch.hpp"
#include "broker/thing/uplink.hpp"

namespace iotb::actors {

/// The courier's router key (internal subscribers: ntp +1, thing +2,
/// shadow +3, calls +10).
inline constexpr std::uint64_t desired_courier_key = internal_key_base + 4;

/// When the courier checks for the device's subscription after it came
/// online (from the online notification).
inline constexpr std::chrono::milliseconds courier_delays[] = {std::chrono::milliseconds{500},
                                                               std::chrono::milliseconds{2000},
                                                               std::chrono::milliseconds{5000}};

using courier_try_atom = caf::atom_constant<caf::atom("dtry")>;

/// Deliveries (online notifications) and `(courier_try_atom, pk, dn,
/// attempt)` (to itself: look for the subscription and send).
using courier_actor = subscriber_actor::extend<
    caf::reacts_to<courier_try_atom, std::string, std::string, std::int32_t>>;

/// Spawns with `system.spawn(desired_courier, ctx, calls)`; subscribes at once.
courier_actor::behavior_type desired_courier(courier_actor::pointer self, context_ptr ctx,
                                             calls_actor calls);

/// The `params` object of a property set carrying `values` (compact JSON;
/// values are already compact JSON texts). Pure; unit-tested.
[[nodiscard]] std::string desired_params_json(const std::vector<thing::desired_value>& values);

}  // namespace iotb::actors
