#pragma once
/// @file
/// Admin routes for remote configuration and OTA upgrades (SPEC §3 topics;
/// broker/thing/device_mgmt.hpp has the messages, docs/thing-model.md the
/// reference):
///
///   GET/PUT /api/v1/products/{pk}/config            the product's configuration file (PUT: raw
///   body ≤ 64 KiB) GET     /api/v1/products/{pk}/config/file       its content POST
///   /api/v1/products/{pk}/config/push       `thing.config.push` to the product's online devices
///   POST    /api/v1/products/{pk}/devices/{dn}/ota/upgrade   ask a device to upgrade
///   GET     /files/config/{pk}/{configId}?expires=&signature=   the download link devices get (no
///   token)
///
/// Every message sent to a device takes a token of its downlink quota
/// (`admin_quotas`, shared with publish and the calls). Handlers run on the
/// admin server's worker thread.

#include <memory>

#include "actors/context.hpp"

namespace iotb::admin {
class server;
}  // namespace iotb::admin

namespace iotb::actors {

struct admin_quotas;

/// Adds the routes above to `srv` (before it starts). Needs `ctx->registry`.
void add_device_mgmt_routes(admin::server& srv, const context_ptr& ctx,
                            const std::shared_ptr<admin_quotas>& quotas);

}  // namespace iotb::actors
