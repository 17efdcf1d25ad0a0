// The admin API's device shadow (SPEC §5, §12):
//
//   GET   /api/v1/products/{pk}/devices/{dn}/shadow   the document
//   PATCH /api/v1/products/{pk}/devices/{dn}/shadow   {"state":{"desired":{…}},"version":N}
//
// The handlers check the caller and the device (and, for a PATCH, which may
// push `control`, the downlink quota), then hand the request to the
// device's shadow actor through the shadow service; the actor answers
// after its write committed (docs/api.md, docs/thing-model.md).

#include <caf/send.hpp>

#include "actors/admin_quotas.hpp"
#include "actors/shadow_service.hpp"
#include "broker/admin/registry_ops.hpp"
#include "broker/admin/server.hpp"

namespace iotb::actors {

namespace {

using admin::api_call;
using admin::api_errc;
using admin::api_error;
using call_ptr = std::shared_ptr<api_call>;

/// Largest PATCH body (the shadow's own request limit, 64 KiB).
constexpr std::size_t max_patch_bytes = std::size_t{64} * 1024;

void handle(broker_context& ctx, admin_quotas* q, const shadow_service_actor& shadows,
            const call_ptr& call, shadow_op op) {
  auto req = std::make_shared<shadow_request>();
  req->op = op;
  req->product_key = std::string(call->path.value("pk"));
  req->device_name = std::string(call->path.value("dn"));
  if (op == shadow_op::patch) {
    if (call->who && !call->who->may_change(req->product_key))
      return call->fail(api_error{api_errc::forbidden, "not one of your products"});
  } else if (call->who && !call->who->may_see(req->product_key)) {
    return call->fail(api_error{api_errc::forbidden, "not one of your products"});
  }
  if (ctx.registry)
    if (auto d = admin::ops::get_device(*ctx.registry, req->product_key, req->device_name); !d)
      return call->fail(d.error());
  if (op == shadow_op::patch) {
    const auto& body = call->req.body();
    if (body.size() > max_patch_bytes)
      return call->fail(api_error{api_errc::too_large, "a shadow update is at most 64 KiB"});
    if (q)
      if (auto e = q->take_downlink(ctx, req->product_key, req->device_name))
        return call->fail(*e);
    req->payload = body;
  }
  req->done = [call](unsigned status, std::string body) { call->reply(status, std::move(body)); };
  caf::anon_send(shadows, shadow_msg{std::move(req)});
}

}  // namespace

void add_shadow_routes(admin::server& srv, const context_ptr& ctx,
                       const shadow_service_actor& shadows,
                       const std::shared_ptr<admin_quotas>& quotas) {
  using admin::access;
  using admin::method;
  srv.route(
      method::get, "/api/v1/products/{pk}/devices/{dn}/shadow", access::read,
      [ctx, shadows](const call_ptr& c) { handle(*ctx, nullptr, shadows, c, shadow_op::get); });
  srv.route(method::patch, "/api/v1/products/{pk}/devices/{dn}/shadow", access::change,
            [ctx, quotas, shadows](const call_ptr& c) {
              handle(*ctx, quotas.get(), shadows, c, shadow_op::patch);
            });
}

}  // namespace iotb::actors
