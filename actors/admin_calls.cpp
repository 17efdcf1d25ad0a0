// The admin API's server → device calls (SPEC §8, §12): RRPC, property set
// and service invoke. The handlers check the caller, the body, the device
// and the downlink quota, then hand the call to the device-calls actor
// (device_calls.hpp), whose completion answers the HTTP call (from the
// actor's thread: `api_call::reply` may be called from any thread).
// Statuses and bodies: `answer_of`, the one table (docs/calls.md).

#include <functional>
#include <mutex>

#include <caf/send.hpp>

#include "actors/admin_api.hpp"
#include "actors/admin_quotas.hpp"
#include "actors/device_calls.hpp"
#include "actors/model_cache.hpp"
#include "broker/admin/registry_ops.hpp"
#include "broker/admin/server.hpp"
#include "broker/thing/downlink_check.hpp"
#include "broker/thing/tsl.hpp"
#include "broker/tls/digest.hpp"

namespace iotb::actors {

namespace {

using admin::api_call;
using admin::api_errc;
using admin::api_error;
using admin::json_body;
using call_ptr = std::shared_ptr<api_call>;

/// Largest `params` object of a property set or service call (the Alink cap).
constexpr std::size_t max_params_bytes = std::size_t{256} * 1024;
/// Longest topic an RRPC may name (SPEC §3: a device topic's limit).
constexpr std::size_t max_rrpc_topic = 128;

/// The result names of the API: "SUCCESS", "TIMEOUT", …
const char* result_name(call_status s) {
  switch (s) {
    case call_status::success:
      return "SUCCESS";
    case call_status::timeout:
      return "TIMEOUT";
    case call_status::offline:
      return "OFFLINE";
    case call_status::unknown:
      return "UNKNOWN";
    case call_status::sent:
      return "SENT";
    case call_status::queued:
      return "QUEUED";
  }
  return "UNKNOWN";
}

/// An HTTP answer.
struct http_answer {
  unsigned status = 200;
  std::string body;
};

/// The one table from a call's result to its HTTP answer. RRPC always
/// answers 200 with its `result` (as the platform's RRpc API); property set
/// and service answer 200 with the device's reply, 202 when sent (async) or
/// queued (offline, desired), 409 `offline`, 504 `timeout`, 502
/// `device_error` (UNKNOWN after the call started), 503 `unavailable`
/// (UNKNOWN before: too many calls in progress).
http_answer answer_of(call_kind kind, const call_result& r) {
  rapidjson::StringBuffer sb;
  admin::json_writer w(sb);
  unsigned status = 200;
  w.StartObject();
  if (kind != call_kind::rrpc) {
    const char* slug = nullptr;
    switch (r.status) {
      case call_status::success:
        break;
      case call_status::sent:
      case call_status::queued:
        status = 202;
        break;
      case call_status::offline:
        status = 409;
        slug = "offline";
        break;
      case call_status::timeout:
        status = 504;
        slug = "timeout";
        break;
      case call_status::unknown:
        status = r.message_id != 0 ? 502 : 503;
        slug = r.message_id != 0 ? "device_error" : "unavailable";
        break;
    }
    if (slug) {
      admin::field(w, "code", slug);
      admin::field(w, "message", r.why.empty() ? std::string(result_name(r.status)) : r.why);
    }
  } else if (!r.why.empty() && r.status != call_status::success) {
    admin::field(w, "message", r.why);
  }
  admin::field(w, "result", result_name(r.status));
  if (r.message_id != 0)
    admin::field(w, "messageId", std::to_string(r.message_id));
  if (kind == call_kind::rrpc) {
    if (r.status == call_status::success)
      admin::field(w, "payloadBase64", tls::base64_encode(r.payload));
  } else if (r.reply) {
    w.Key("code");
    w.Int(r.reply->code);
    w.Key("data");
    w.RawValue(r.reply->data_json.data(), r.reply->data_json.size(), rapidjson::kObjectType);
    admin::field(w, "message", r.reply->message);
  } else if (!r.payload.empty()) {
    admin::field(w, "payloadBase64", tls::base64_encode(r.payload));  // an unreadable answer
  }
  w.EndObject();
  return {status, std::string(sb.GetString(), sb.GetSize())};
}

/// The products' thing models for the strict-mode checks of what a call
/// sends (broker/thing/downlink_check.hpp); the admin server's threads
/// share it.
struct call_models {
  explicit call_models(broker_context& ctx) : cache(ctx) {}
  std::shared_ptr<const thing::product_model> get(const std::string& pk) {
    std::lock_guard lk(mu);
    return cache.share(pk);
  }
  std::mutex mu;
  model_cache cache;
};

/// A strict product's refusal of what a call would send.
using model_check =
    std::function<std::optional<thing::downlink_problem>(const thing::product_model&)>;

/// The checks every call shares: the caller's products, the device, the
/// product's thing model in strict mode (`check`, when given), the
/// downlink quota. @returns false after failing the call.
bool admit(broker_context& ctx, admin_quotas& q, const call_ptr& call, const std::string& pk,
           const std::string& dn, call_models* models = nullptr, const model_check& check = {}) {
  if (call->who && !call->who->may_change(pk)) {
    call->fail(api_error{api_errc::forbidden, "not one of your products"});
    return false;
  }
  if (ctx.registry) {
    auto d = admin::ops::get_device(*ctx.registry, pk, dn);
    if (!d) {
      call->fail(d.error());
      return false;
    }
  }
  if (models && check)
    if (auto m = models->get(pk))
      if (auto p = check(*m)) {
        call->fail(api_error{api_errc::bad_field, "params: " + p->message + " (Alink code " +
                                                      std::to_string(static_cast<int>(p->code)) +
                                                      "; the product checks strictly)"});
        return false;
      }
  if (auto e = q.take_downlink(ctx, pk, dn)) {
    call->fail(*e);
    return false;
  }
  return true;
}

/// The `params` object as compact JSON (`{}` when absent and not required).
std::optional<std::string> read_params(json_body& b, bool required) {
  const auto* v = b.raw("params");
  if (!v) {
    if (required)
      b.fail("params: required (an object)");
    return required ? std::nullopt : std::optional<std::string>("{}");
  }
  if (!v->IsObject()) {
    b.fail("params: must be an object");
    return std::nullopt;
  }
  rapidjson::StringBuffer sb;
  rapidjson::Writer<rapidjson::StringBuffer> w(sb);
  v->Accept(w);
  if (sb.GetSize() > max_params_bytes) {
    b.fail("params: more than " + std::to_string(max_params_bytes) + " bytes");
    return std::nullopt;
  }
  return std::string(sb.GetString(), sb.GetSize());
}

std::chrono::milliseconds read_timeout(json_body& b, const call_config& limits) {
  auto ms = b.uint("timeoutMs", 1, static_cast<std::uint64_t>(limits.max_timeout.count()));
  return std::chrono::milliseconds{ms.value_or(0)};
}

/// Sends `req` to the actor; its completion answers `call`.
void start(const calls_actor& calls, const call_ptr& call, call_request req) {
  auto kind = req.kind;
  req.done = [call, kind](const call_result& r) {
    auto a = answer_of(kind, r);
    call->reply(a.status, std::move(a.body));
  };
  caf::anon_send(calls, call_msg{std::make_shared<call_request>(std::move(req))});
}

void handle_rrpc(broker_context& ctx, admin_quotas& q, const calls_actor& calls,
                 const call_ptr& call) {
  call_request req;
  req.kind = call_kind::rrpc;
  req.product_key = std::string(call->path.value("pk"));
  req.device_name = std::string(call->path.value("dn"));
  auto b = json_body::parse(call->req.body());
  if (!b)
    return call->fail(b.error());
  auto payload = read_payload(*b, ctx.cfg.max_packet_size);
  req.timeout = read_timeout(*b, call_config{});
  auto topic = b->string("topic", false, max_rrpc_topic);
  if (auto e = b->finish())
    return call->fail(*e);
  if (topic && !thing::own_rrpc_inner_topic(*topic, req.product_key, req.device_name))
    return call->fail(api_error{api_errc::bad_field,
                                "topic: must be one of the device's own topics "
                                "(/${pk}/${dn}/… or /sys/${pk}/${dn}/…)"});
  if (!admit(ctx, q, call, req.product_key, req.device_name))
    return;
  req.payload = std::move(*payload);
  req.topic = topic.value_or(std::string{});
  start(calls, call, std::move(req));
}

void handle_property_set(broker_context& ctx, admin_quotas& q, call_models& models,
                         const calls_actor& calls, const call_ptr& call) {
  call_request req;
  req.kind = call_kind::property_set;
  req.product_key = std::string(call->path.value("pk"));
  req.device_name = std::string(call->path.value("dn"));
  auto b = json_body::parse(call->req.body());
  if (!b)
    return call->fail(b.error());
  auto params = read_params(*b, true);
  req.timeout = read_timeout(*b, call_config{});
  if (auto e = b->finish())
    return call->fail(*e);
  if (!admit(ctx, q, call, req.product_key, req.device_name, &models,
             [&](const thing::product_model& m) { return thing::check_property_set(m, *params); }))
    return;
  req.payload = std::move(*params);
  start(calls, call, std::move(req));
}

void handle_service(broker_context& ctx, admin_quotas& q, call_models& models,
                    const calls_actor& calls, const call_ptr& call) {
  call_request req;
  req.kind = call_kind::service;
  req.product_key = std::string(call->path.value("pk"));
  req.device_name = std::string(call->path.value("dn"));
  req.service_id = std::string(call->path.value("id"));
  if (!thing::valid_identifier(req.service_id) || thing::reserved_identifier(req.service_id))
    return call->fail(api_error{api_errc::bad_request,
                                "service id: 1..50 of [A-Za-z0-9_], not starting with a digit, "
                                "not a reserved name (set a property with properties/set)"});
  auto b = json_body::parse(call->req.body(), true);
  if (!b)
    return call->fail(b.error());
  auto params = read_params(*b, false);
  req.sync = b->boolean("sync");
  req.timeout = read_timeout(*b, call_config{});
  if (auto e = b->finish())
    return call->fail(*e);
  if (!admit(ctx, q, call, req.product_key, req.device_name, &models,
             [&](const thing::product_model& m) {
               return thing::check_service_call(m, req.service_id, *params);
             }))
    return;
  req.payload = std::move(*params);
  start(calls, call, std::move(req));
}

}  // namespace

void add_call_routes(admin::server& srv, const context_ptr& ctx, const calls_actor& calls,
                     const std::shared_ptr<admin_quotas>& quotas) {
  using admin::access;
  using admin::method;
  srv.route(method::post, "/api/v1/products/{pk}/devices/{dn}/rrpc", access::change,
            [ctx, quotas, calls](const call_ptr& c) { handle_rrpc(*ctx, *quotas, calls, c); });
  auto models = std::make_shared<call_models>(*ctx);
  srv.route(method::post, "/api/v1/products/{pk}/devices/{dn}/properties/set", access::change,
            [ctx, quotas, models, calls](const call_ptr& c) {
              handle_property_set(*ctx, *quotas, *models, calls, c);
            });
  srv.route(method::post, "/api/v1/products/{pk}/devices/{dn}/services/{id}", access::change,
            [ctx, quotas, models, calls](const call_ptr& c) {
              handle_service(*ctx, *quotas, *models, calls, c);
            });
}

}  // namespace iotb::actors
