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

#include <cstddef>
#include <memory>
#include <optional>
#include <string>

#include "actors/context.hpp"

namespace iotb::admin {
class server;
class json_body;
}  // namespace iotb::admin

namespace iotb::actors {

struct admin_quotas;

/// The payload of a body: "payload" (text) or "payloadBase64" (decoded),
/// at most `max` bytes; empty when neither is given. On a problem it
/// records it in `b` (reported by `b.finish()`) and returns nullopt.
[[nodiscard]] std::optional<std::string> read_payload(admin::json_body& b, std::size_t max);

/// Adds the routes above to `srv` (before it starts). `metrics_open`: serve
/// `/metrics` without credentials. `quotas`: the downlink and broadcast
/// buckets (admin_quotas.hpp), shared with the call routes.
void add_broker_routes(admin::server& srv, context_ptr ctx, bool metrics_open,
                       std::shared_ptr<admin_quotas> quotas);

}  // namespace iotb::actors
