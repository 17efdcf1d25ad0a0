#pragma once
/// @file
/// The admin API endpoints that reach into the running broker (SPEC §12),
/// beside the registry endpoints of broker/admin/server:
///
///   GET    /metrics                        Prometheus text (metrics.md)
///   POST   /api/v1/publish                 publish; device topics count against
///                                          that device's downlink quota (429)
///   POST   /api/v1/products/{pk}/broadcast to /broadcast/${pk}/<suffix> (64 KB,
///                                          one per product per minute)
///   GET    /api/v1/retained, DELETE /api/v1/retained?topic=
///   GET    /api/v1/sessions (?clientId= prefix, ip=, state=online|offline,
///          product=), DELETE /api/v1/sessions/{clientId} (0x98, session dropped)
///   GET    /api/v1/subscriptions (?clientId=, topic=, match=<topic>)
///
/// Handlers run on the admin server's worker thread and use only the
/// context's thread-safe parts (dispatch, the retained store, metrics).

#include <memory>

#include "actors/context.hpp"

namespace iotb::admin {
class server;
}  // namespace iotb::admin

namespace iotb::actors {

/// Adds the routes above to `srv` (before it starts). `metrics_open`: serve
/// `/metrics` without credentials.
void add_broker_routes(admin::server& srv, context_ptr ctx, bool metrics_open);

}  // namespace iotb::actors
