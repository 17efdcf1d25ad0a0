#pragma once
/// @file
/// The device-calls actor: owns every pending server → device call (RRPC,
/// property set, service invoke; SPEC §4, §8) — no mutex, one owner. The
/// admin API sends it a `call_msg` carrying a completion callback; the
/// actor publishes the request, and completes the call with the device's
/// answer (which it receives as an internal subscriber, like the NTP
/// responder), with TIMEOUT from its own `delayed_send`, or at once with
/// OFFLINE/UNKNOWN. The logic is `call_book` (call_book.hpp); this file is
/// the actor around it. Internal subscriber keys: `internal_key_base + 10`.
///
/// Its subscriptions (the device answers it consumes; applications
/// subscribed to the same topics still get them):
/// `/sys/+/+/rrpc/response/+`, `/sys/+/+/thing/service/+` (`${id}_reply`),
/// `/sys/+/+/thing/service/property/set_reply`, and `/ext/rrpc/#` (the
/// extended form, whose answers travel on the request's topic: the actor
/// skips the requests it published itself by their origin).
///
/// The admin routes (`add_call_routes`, admin_calls.cpp):
///
///   POST /api/v1/products/{pk}/devices/{dn}/rrpc
///   POST /api/v1/products/{pk}/devices/{dn}/properties/set
///   POST /api/v1/products/{pk}/devices/{dn}/services/{id}
///
/// Answers and statuses: docs/calls.md.

#include <memory>

#include <caf/actor_system.hpp>

#include "actors/call_book.hpp"
#include "actors/context.hpp"
#include "actors/dispatch.hpp"

namespace iotb::admin {
class server;
}  // namespace iotb::admin

namespace iotb::actors {

struct admin_quotas;

/// The actor's subscriber key (the origin of the requests it publishes).
inline constexpr std::uint64_t device_calls_key = internal_key_base + 10;

/// Spawns the actor, which subscribes itself. `cfg` carries the seams
/// (offline property set, service callType) and the limits.
[[nodiscard]] calls_actor spawn_device_calls(caf::actor_system& sys, context_ptr ctx,
                                             call_config cfg);

/// Adds the call routes above to `srv` (before it starts). Every call
/// takes one token of the device's downlink quota (`quotas`, shared with
/// `/api/v1/publish`).
void add_call_routes(admin::server& srv, const context_ptr& ctx, const calls_actor& calls,
                     const std::shared_ptr<admin_quotas>& quotas);

}  // namespace iotb::actors
