#pragma once
/// @file
/// The device-calls actor's two seams (`call_config`, actors/call_book.hpp)
/// filled from the thing store:
///
/// - **A property set to an offline device** is kept as *desired* values
///   (SPEC §4): one writer job stores each `params` member with
///   `store::put_desired` (its version counts the sets) and a device-log
///   line; the call then ends `queued` (the API's 202 `QUEUED`), or
///   `unknown` when the device does not exist or the store refused. The
///   device gets the values when it reconnects (actors/desired_courier.hpp)
///   or asks for them (`thing.property.desired.get`).
/// - **Whether a service is sync** comes from the product's thing model
///   (`services[].callType`), read through a `model_cache` owned by the
///   calls actor (the seam runs on its thread only; a read transaction
///   never waits for the writer).

#include "actors/call_book.hpp"
#include "actors/context.hpp"

namespace iotb::actors {

/// A `call_config` with both seams set (limits at their defaults).
[[nodiscard]] call_config thing_call_config(const context_ptr& ctx);

/// Stores `req`'s params as desired values and completes `done` from the
/// writer thread (the offline seam; exposed for tests).
void keep_desired(const context_ptr& ctx, const offline_property_set& req, call_done done);

}  // namespace iotb::actors
