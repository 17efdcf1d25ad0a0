// The admin API's rules (SPEC §9, §12):
//
//   GET    /api/v1/rules                 every rule with its state and counters
//   POST   /api/v1/rules                 create (201); the SQL compiled and the
//                                        actions checked first (400 names the line
//                                        and column, or the action)
//   GET    /api/v1/rules/{id}            one rule with its metrics
//   PATCH  /api/v1/rules/{id}            change any field ({"enabled":false} …)
//   DELETE /api/v1/rules/{id}            204
//   GET    /api/v1/rules/{id}/metrics    the counters of the rule and its actions
//   POST   /api/v1/rules/test            evaluate SQL on a sample, no side effects
//   GET    /api/v1/plugins               the sink plugins (and the files that failed)
//
// A change is stored first, then the engine applies it (the rule's actor
// and sinks restarted); the answer waits for that, so a rule created with
// 201 is running.

#include <caf/send.hpp>

#include "actors/admin_api.hpp"
#include "actors/rule_engine.hpp"
#include "broker/actions/device_topic.hpp"
#include "broker/admin/registry_json.hpp"
#include "broker/admin/server.hpp"
#include "broker/router/topic_match.hpp"
#include "broker/util/clock.hpp"

namespace iotb::actors {

namespace {

using admin::api_call;
using admin::api_errc;
using admin::api_error;
using call_ptr = std::shared_ptr<api_call>;

struct rules_env {
  context_ptr ctx;
  rules_actor engine;
  std::shared_ptr<rule_table> table;
  std::shared_ptr<plugins::plugin_registry> plugins;
  admin::ops::rule_limits limits;
};

std::string rule_json(const store::rule_record& r, const live_rule* live) {
  return admin::render([&](admin::json_writer& w) {
    w.StartObject();
    admin::ops::write_rule_fields(w, r);
    if (live) {
      w.Key("metrics");
      w.StartObject();
      write_rule_metrics(w, *live);
      w.EndObject();
    }
    w.EndObject();
  });
}

/// Tells the engine about rule `id` and answers `status` with the rule
/// once it applied the change.
void applied(const rules_env& env, const call_ptr& call, const std::string& id, unsigned status) {
  auto table = env.table;
  auto registry = env.ctx->registry;
  caf::anon_send(env.engine, rule_change_msg{id, [call, table, registry, id, status] {
                                               if (status == 204)
                                                 return call->reply(204, {});
                                               auto r = admin::ops::get_rule(*registry, id);
                                               if (!r)
                                                 return call->fail(r.error());
                                               auto live = table->find(id);
                                               call->reply(status, rule_json(*r, live.get()));
                                             }});
}

void handle_list(const rules_env& env, const call_ptr& call) {
  auto all = admin::ops::list_rules(*env.ctx->registry);
  if (!all)
    return call->fail(all.error());
  call->reply(200, admin::list_body(all->size(), [&](admin::json_writer& w) {
                for (const auto& r : *all) {
                  w.StartObject();
                  admin::ops::write_rule_fields(w, r);
                  if (auto live = env.table->find(r.id)) {
                    w.Key("metrics");
                    w.StartObject();
                    write_rule_metrics(w, *live);
                    w.EndObject();
                  }
                  w.EndObject();
                }
              }));
}

void handle_create(const rules_env& env, const call_ptr& call) {
  auto b = admin::ops::parse_rule_body(call->req.body(), true, env.limits);
  if (!b)
    return call->fail(b.error());
  auto id = "r" + std::to_string(env.ctx->ids.next() % 100'000'000'000ull);
  auto probe = admin::ops::merged(store::rule_record{}, *b);
  if (auto e = check_rule(probe, env.plugins.get()))
    return call->fail(*e);
  auto r = admin::ops::create_rule(*env.ctx->registry, id, *b, env.limits, clock::wall_ms());
  if (!r)
    return call->fail(r.error());
  call->audit_target = id;
  applied(env, call, id, 201);
}

void handle_get(const rules_env& env, const call_ptr& call, bool metrics_only) {
  std::string id(call->path.value("id"));
  auto r = admin::ops::get_rule(*env.ctx->registry, id);
  if (!r)
    return call->fail(r.error());
  auto live = env.table->find(id);
  if (!metrics_only)
    return call->reply(200, rule_json(*r, live.get()));
  call->reply(200, admin::render([&](admin::json_writer& w) {
                w.StartObject();
                admin::field(w, "id", id);
                if (live)
                  write_rule_metrics(w, *live);
                else
                  admin::field(w, "state", "stopped");
                w.EndObject();
              }));
}

void handle_patch(const rules_env& env, const call_ptr& call) {
  std::string id(call->path.value("id"));
  auto b = admin::ops::parse_rule_body(call->req.body(), false, env.limits);
  if (!b)
    return call->fail(b.error());
  auto cur = admin::ops::get_rule(*env.ctx->registry, id);
  if (!cur)
    return call->fail(cur.error());
  if (b->sql || b->actions || b->error_action)
    if (auto e = check_rule(admin::ops::merged(*cur, *b), env.plugins.get()))
      return call->fail(*e);
  auto r = admin::ops::update_rule(*env.ctx->registry, id, *b, clock::wall_ms());
  if (!r)
    return call->fail(r.error());
  applied(env, call, id, 200);
}

void handle_delete(const rules_env& env, const call_ptr& call) {
  std::string id(call->path.value("id"));
  if (auto ok = admin::ops::delete_rule(*env.ctx->registry, id); !ok)
    return call->fail(ok.error());
  applied(env, call, id, 204);
}

/// `{"sql","topic","payload"|"payloadBase64","clientId"?,"qos"?}` →
/// `{"matched","fromMatched","output"?,"error"?}`.
void handle_test(const rules_env& env, const call_ptr& call) {
  auto b = admin::json_body::parse(call->req.body());
  if (!b)
    return call->fail(b.error());
  auto sql = b->string("sql", true, env.limits.max_sql_bytes);
  auto topic = b->string("topic", true, 65535);
  auto payload = read_payload(*b, env.ctx->cfg.max_packet_size);
  auto client_id = b->string("clientId", false, 256);
  auto q = b->uint("qos", 0, 2);
  if (auto e = b->finish())
    return call->fail(*e);
  auto prog = rules::program::compile(*sql);
  if (!prog) {
    const auto& e = prog.error();
    return call->fail(api_error{api_errc::bad_field, "sql: line " + std::to_string(e.line) +
                                                         ", column " + std::to_string(e.column) +
                                                         ": " + e.message});
  }
  rules::message_context mc;
  mc.topic = *topic;
  mc.payload = *payload;
  if (client_id)
    mc.client_id = *client_id;
  if (auto dev = actions::device_of(*topic)) {
    mc.product_key = dev->first;
    mc.device_name = dev->second;
  }
  mc.message_id = env.ctx->ids.next();
  mc.qos = static_cast<std::uint8_t>(q.value_or(0));
  mc.timestamp_ms = static_cast<std::int64_t>(clock::wall_ms());
  const bool from = router::topic_matches(prog->topic_filter(), *topic);
  auto res = prog->evaluate(mc);
  call->reply(200, admin::render([&](admin::json_writer& w) {
                w.StartObject();
                w.Key("matched");
                w.Bool(from && res.status == rules::eval_status::passed);
                w.Key("fromMatched");
                w.Bool(from);
                admin::field(
                    w, "result",
                    res.status == rules::eval_status::passed
                        ? "passed"
                        : (res.status == rules::eval_status::filtered ? "no_result" : "exception"));
                if (res.status == rules::eval_status::passed) {
                  w.Key("output");
                  w.RawValue(res.output.data(), res.output.size(), rapidjson::kObjectType);
                }
                if (!res.error.empty())
                  admin::field(w, "error", res.error);
                w.EndObject();
              }));
}

}  // namespace

void add_rule_routes(admin::server& srv, const context_ptr& ctx, const rules_actor& engine,
                     const std::shared_ptr<rule_table>& table,
                     const std::shared_ptr<plugins::plugin_registry>& plugins) {
  using admin::access;
  using admin::method;
  auto env = std::make_shared<rules_env>();
  env->ctx = ctx;
  env->engine = engine;
  env->table = table;
  env->plugins = plugins;
  env->limits.max_rules = ctx->cfg.max_rules;
  srv.route(method::get, "/api/v1/rules", access::read,
            [env](const call_ptr& c) { handle_list(*env, c); });
  srv.route(method::post, "/api/v1/rules", access::admin,
            [env](const call_ptr& c) { handle_create(*env, c); });
  srv.route(method::post, "/api/v1/rules/test", access::read,
            [env](const call_ptr& c) { handle_test(*env, c); });
  srv.route(method::get, "/api/v1/rules/{id}", access::read,
            [env](const call_ptr& c) { handle_get(*env, c, false); });
  srv.route(method::get, "/api/v1/rules/{id}/metrics", access::read,
            [env](const call_ptr& c) { handle_get(*env, c, true); });
  srv.route(method::patch, "/api/v1/rules/{id}", access::admin,
            [env](const call_ptr& c) { handle_patch(*env, c); });
  srv.route(method::del, "/api/v1/rules/{id}", access::admin,
            [env](const call_ptr& c) { handle_delete(*env, c); });
}

}  // namespace iotb::actors
