// The thing-model endpoints of the admin API (SPEC §12), declared in
// admin_thing.hpp. The operations and their JSON are shared with the CLI
// (broker/admin/thing_ops.hpp).

#include "actors/admin_thing.hpp"

#include <charconv>

#include "broker/admin/server.hpp"
#include "broker/admin/thing_ops.hpp"

namespace iotb::actors {

namespace {

using admin::api_call;
using admin::api_errc;
using admin::api_error;
using call_ptr = std::shared_ptr<api_call>;
namespace ops = admin::ops;

/// A non-negative integer query parameter (`dflt` when absent).
std::optional<std::uint64_t> query_uint(const call_ptr& c, const char* name, std::uint64_t dflt) {
  auto v = c->query.get(name);
  if (!v)
    return dflt;
  std::uint64_t out = 0;
  auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), out);
  if (ec != std::errc{} || p != v->data() + v->size())
    return std::nullopt;
  return out;
}

void get_model(store::env& env, const call_ptr& c) {
  auto tsl = ops::export_thing_model(env, c->path.value("pk"));
  if (!tsl)
    return c->fail(tsl.error());
  c->reply(200, std::move(*tsl));
}

void put_model(broker_context& ctx, store::env& env, const call_ptr& c) {
  std::optional<thing::check_mode> mode;
  if (auto m = c->query.get("checkMode")) {
    mode = ops::parse_check_mode(*m);
    if (!mode)
      return c->fail(api_error{api_errc::bad_request, "checkMode: weak or strict"});
  }
  auto info = ops::import_thing_model(env, c->path.value("pk"), c->req.body(), mode);
  if (!info)
    return c->fail(info.error());
  ctx.thing_models.fetch_add(1, std::memory_order_release);
  c->audit_detail = std::to_string(info->properties) + " properties, " +
                    std::to_string(info->events) + " events, " + std::to_string(info->services) +
                    " services";
  c->reply(200, ops::render_info(*info));
}

void get_mode(store::env& env, const call_ptr& c) {
  auto info = ops::get_thing_model_info(env, c->path.value("pk"));
  if (!info)
    return c->fail(info.error());
  c->reply(200, ops::render_info(*info));
}

void put_mode(broker_context& ctx, store::env& env, const call_ptr& c) {
  auto b = admin::json_body::parse(c->req.body());
  if (!b)
    return c->fail(b.error());
  auto name = b->string("checkMode", true, 16);
  if (auto e = b->finish())
    return c->fail(*e);
  auto mode = ops::parse_check_mode(*name);
  if (!mode)
    return c->fail(api_error{api_errc::bad_field, "checkMode: weak or strict"});
  auto info = ops::set_check_mode(env, c->path.value("pk"), *mode);
  if (!info)
    return c->fail(info.error());
  ctx.thing_models.fetch_add(1, std::memory_order_release);
  c->audit_detail = *name;
  c->reply(200, ops::render_info(*info));
}

/// Latest values, or one property's history with `?identifier=`.
void get_properties(store::env& env, const call_ptr& c) {
  auto pk = c->path.value("pk");
  auto dn = c->path.value("dn");
  auto id = c->query.get("identifier");
  if (!id) {
    if (c->query.get("from") || c->query.get("to"))
      return c->fail(api_error{api_errc::bad_request, "from and to need identifier"});
    auto body = ops::render_properties(env, pk, dn);
    if (!body)
      return c->fail(body.error());
    return c->reply(200, std::move(*body));
  }
  auto from = query_uint(c, "from", 0);
  auto to = query_uint(c, "to", ~std::uint64_t{0});
  auto limit = query_uint(c, "limit", 1000);
  if (!from || !to || !limit || *limit == 0 || *limit > 10'000)
    return c->fail(
        api_error{api_errc::bad_request, "from and to are UTC milliseconds; limit is 1..10000"});
  auto body = ops::render_history(env, pk, dn, *id, *from, *to, *limit);
  if (!body)
    return c->fail(body.error());
  c->reply(200, std::move(*body));
}

void get_events(store::env& env, const call_ptr& c) {
  auto from = query_uint(c, "from", 0);
  auto to = query_uint(c, "to", ~std::uint64_t{0});
  auto limit = query_uint(c, "limit", 1000);
  if (!from || !to || !limit || *limit == 0 || *limit > 10'000)
    return c->fail(
        api_error{api_errc::bad_request, "from and to are UTC milliseconds; limit is 1..10000"});
  auto body = ops::render_events(env, c->path.value("pk"), c->path.value("dn"),
                                 c->query.value("identifier"), *from, *to, *limit);
  if (!body)
    return c->fail(body.error());
  c->reply(200, std::move(*body));
}

void get_ota(store::env& env, const call_ptr& c) {
  auto body = ops::render_ota(env, c->path.value("pk"), c->path.value("dn"));
  if (!body)
    return c->fail(body.error());
  c->reply(200, std::move(*body));
}

}  // namespace

void add_thing_routes(admin::server& srv, context_ptr ctx) {
  using admin::access;
  using admin::method;
  auto env = ctx->registry;
  srv.route(method::get, "/api/v1/products/{pk}/thing-model", access::read,
            [env](const call_ptr& c) { get_model(*env, c); });
  srv.route(method::put, "/api/v1/products/{pk}/thing-model", access::change,
            [ctx, env](const call_ptr& c) { put_model(*ctx, *env, c); });
  srv.route(method::get, "/api/v1/products/{pk}/thing-model/check-mode", access::read,
            [env](const call_ptr& c) { get_mode(*env, c); });
  srv.route(method::put, "/api/v1/products/{pk}/thing-model/check-mode", access::change,
            [ctx, env](const call_ptr& c) { put_mode(*ctx, *env, c); });
  srv.route(method::get, "/api/v1/products/{pk}/devices/{dn}/properties", access::read,
            [env](const call_ptr& c) { get_properties(*env, c); });
  srv.route(method::get, "/api/v1/products/{pk}/devices/{dn}/events", access::read,
            [env](const call_ptr& c) { get_events(*env, c); });
  srv.route(method::get, "/api/v1/products/{pk}/devices/{dn}/ota", access::read,
            [env](const call_ptr& c) { get_ota(*env, c); });
}

}  // namespace iotb::actors
