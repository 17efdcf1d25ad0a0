#include "actors/admin_device_mgmt.hpp"

#include <algorithm>

#include "actors/admin_quotas.hpp"
#include "actors/dispatch.hpp"
#include "broker/admin/json.hpp"
#include "broker/admin/registry_json.hpp"
#include "broker/admin/server.hpp"
#include "broker/admin/thing_ops.hpp"
#include "broker/log/log.hpp"
#include "broker/util/clock.hpp"

namespace iotb::actors {

namespace {

using admin::api_call;
using admin::api_errc;
using admin::api_error;
using call_ptr = std::shared_ptr<api_call>;
namespace ops = admin::ops;

/// Publishes a broker-originated message to a device (QoS 1).
void send_to_device(broker_context& ctx, std::string topic, std::string payload, std::uint64_t id) {
  publisher from;
  dispatch(
      ctx,
      make_message(std::move(topic), std::move(payload), mqtt::qos::at_least_once, false, id, 0),
      from);
}

/// True when one of the device's connected sessions subscribes to `topic`.
bool device_listens(broker_context& ctx, std::string_view pk, std::string_view dn,
                    const std::string& topic) {
  std::vector<std::uint64_t> keys;
  for (const auto& s : ctx.directory.device_sessions(pk, dn))
    keys.push_back(s.key);
  bool found = false;
  if (!keys.empty())
    ctx.subs.match(topic, [&](const sub_entry& e) {
      found = found || std::find(keys.begin(), keys.end(), e.session) != keys.end();
    });
  return found;
}

void put_config(broker_context& ctx, const call_ptr& c) {
  auto pk = c->path.value("pk");
  auto r = ops::set_product_config(*ctx.registry, pk, c->req.body(), clock::wall_ms());
  if (!r)
    return c->fail(r.error());
  c->audit_detail =
      "configId " + r->config_id + ", " + std::to_string(r->content.size()) + " bytes";
  c->reply(200, ops::render_config(*r));
}

void get_config(broker_context& ctx, const call_ptr& c) {
  auto r = ops::get_product_config(*ctx.registry, c->path.value("pk"));
  if (!r)
    return c->fail(r.error());
  c->reply(200, ops::render_config(*r));
}

void send_file(const call_ptr& c, std::string content, const std::string& etag) {
  admin::response r{boost::beast::http::status::ok, 11};
  r.set(boost::beast::http::field::content_type, "application/octet-stream");
  r.set(boost::beast::http::field::cache_control, "no-store");
  r.set(boost::beast::http::field::etag, "\"" + etag + "\"");
  r.body() = std::move(content);
  c->res.send(std::move(r));
}

void get_config_file(broker_context& ctx, const call_ptr& c) {
  auto r = ops::get_product_config(*ctx.registry, c->path.value("pk"));
  if (!r)
    return c->fail(r.error());
  send_file(c, std::move(r->content), r->sign);
}

/// The download link a device got: no token, the link's signature instead.
void download_config(broker_context& ctx, const call_ptr& c) {
  auto pk = c->path.value("pk");
  auto id = c->path.value("configId");
  if (ctx.files_key.empty() ||
      !thing::config_link_valid(ctx.files_key, pk, id, c->query.value("expires"),
                                c->query.value("signature"), clock::wall_ms() / 1000)) {
    IOTB_LOG_LIMITED(warn, "admin") << "configuration file link refused for " << pk << " from "
                                    << c->address << ": bad or expired signature";
    return c->fail(api_error{api_errc::forbidden, "the link is invalid or has expired"});
  }
  auto r = ops::get_product_config(*ctx.registry, pk);
  if (!r || r->config_id != id)
    return c->fail(
        api_error{api_errc::not_found, "the configuration file was replaced or removed"});
  send_file(c, std::move(r->content), r->sign);
}

void push_config(broker_context& ctx, admin_quotas& q, const call_ptr& c) {
  std::string pk(c->path.value("pk"));
  auto r = ops::get_product_config(*ctx.registry, pk);
  if (!r)
    return c->fail(r.error());
  if (ctx.files_base.empty())
    return c->fail(api_error{api_errc::bad_request, "no admin listener to serve the file from"});
  auto meta = thing::describe_config(r->content);
  auto data = thing::config_data_json(
      meta, thing::config_file_url(ctx.files_base, ctx.files_key, pk, meta.config_id,
                                   clock::wall_ms() / 1000 + thing::config_link_seconds));
  session_directory::filter f;
  f.product_key = pk;
  f.connected = true;
  auto [sessions, total] = ctx.directory.list(f, 0, std::size_t{1} << 30);
  std::size_t sent = 0;
  std::size_t throttled = 0;
  std::string last;
  for (const auto& s : sessions) {
    if (s.device_name.empty() || s.device_name == last)
      continue;
    last = s.device_name;
    auto topic = thing::config_push_topic(pk, s.device_name);
    if (!device_listens(ctx, pk, s.device_name, topic))
      continue;
    if (q.take_downlink(ctx, pk, s.device_name)) {
      ++throttled;
      continue;
    }
    auto id = ctx.ids.next();
    send_to_device(ctx, std::move(topic), thing::config_push_request(std::to_string(id), data), id);
    ctx.device_log(
        pk, s.device_name, store::log_kind::thing,
        "configuration " + meta.config_id + " pushed (message " + std::to_string(id) + ")", {});
    ++sent;
  }
  c->audit_detail = "configId " + meta.config_id + " to " + std::to_string(sent) + " devices";
  c->reply(200, admin::render([&](admin::json_writer& w) {
             w.StartObject();
             w.Key("configId");
             w.String(meta.config_id.c_str());
             w.Key("devices");
             w.Uint64(sent);
             w.Key("throttled");
             w.Uint64(throttled);
             w.EndObject();
           }));
}

void ota_upgrade(broker_context& ctx, admin_quotas& q, const call_ptr& c) {
  std::string pk(c->path.value("pk"));
  std::string dn(c->path.value("dn"));
  auto u = thing::parse_ota_upgrade(c->req.body());
  if (!u)
    return c->fail(api_error{api_errc::bad_request, u.error()});
  if (auto e = q.take_downlink(ctx, pk, dn))
    return c->fail(*e);
  auto id = ctx.ids.next();
  auto data = thing::ota_upgrade_data(*u);
  auto stored = ops::set_ota_target(*ctx.registry, pk, dn, *u, data, id, clock::wall_ms());
  if (!stored)
    return c->fail(stored.error());
  auto topic = thing::ota_upgrade_topic(pk, dn);
  const bool now = device_listens(ctx, pk, dn, topic);
  if (now)
    send_to_device(ctx, std::move(topic), thing::ota_upgrade_message(id, data), id);
  ctx.device_log(pk, dn, store::log_kind::thing,
                 "OTA upgrade to " + u->version + (now ? " pushed" : " asked for") + " (message " +
                     std::to_string(id) + ")" +
                     (now ? "" : "; it is pushed when the device informs its version"),
                 {});
  c->audit_detail = "version " + u->version;
  c->reply(now ? 200 : 202, admin::render([&](admin::json_writer& w) {
             w.StartObject();
             w.Key("messageId");
             w.String(std::to_string(id).c_str());
             w.Key("version");
             w.String(u->version.c_str());
             w.Key("sent");
             w.Bool(now);
             w.EndObject();
           }));
}

}  // namespace

void add_device_mgmt_routes(admin::server& srv, const context_ptr& ctx,
                            const std::shared_ptr<admin_quotas>& quotas) {
  using admin::access;
  using admin::method;
  srv.route(method::put, "/api/v1/products/{pk}/config", access::change,
            [ctx](const call_ptr& c) { put_config(*ctx, c); });
  srv.route(method::get, "/api/v1/products/{pk}/config", access::read,
            [ctx](const call_ptr& c) { get_config(*ctx, c); });
  srv.route(method::get, "/api/v1/products/{pk}/config/file", access::read,
            [ctx](const call_ptr& c) { get_config_file(*ctx, c); });
  srv.route(method::post, "/api/v1/products/{pk}/config/push", access::change,
            [ctx, quotas](const call_ptr& c) { push_config(*ctx, *quotas, c); });
  srv.route(method::post, "/api/v1/products/{pk}/devices/{dn}/ota/upgrade", access::change,
            [ctx, quotas](const call_ptr& c) { ota_upgrade(*ctx, *quotas, c); });
  srv.route(method::get, "/files/config/{pk}/{configId}", access::open,
            [ctx](const call_ptr& c) { download_config(*ctx, c); });
}

}  // namespace iotb::actors
