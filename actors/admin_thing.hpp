#pragma once
/// @file
/// The thing-model endpoints of the admin API (SPEC §12):
///
///   GET/PUT /api/v1/products/{pk}/thing-model          the TSL JSON (PUT ?checkMode=weak|strict)
///   GET/PUT /api/v1/products/{pk}/thing-model/check-mode  {"checkMode":"weak|strict"}
///   GET     /api/v1/products/{pk}/devices/{dn}/properties  latest values, or with
///           ?identifier=&from=&to=&limit= one property's history
///   GET     /api/v1/products/{pk}/devices/{dn}/ota     the last OTA inform/progress
///   GET     /api/v1/products/{pk}/devices/{dn}/events  (?identifier=&from=&to=&limit=)
///
/// A change bumps the context's `thing_models` generation so that the
/// thing handler uses the new model at once. Handlers run on the admin
/// server's worker thread.

#include "actors/context.hpp"

namespace iotb::admin {
class server;
}  // namespace iotb::admin

namespace iotb::actors {

/// Adds the routes above to `srv` (before it starts). Needs `ctx->registry`.
void add_thing_routes(admin::server& srv, context_ptr ctx);

}  // namespace iotb::actors
