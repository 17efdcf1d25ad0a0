#include "actors/rule_engine.hpp"

#include <algorithm>
#include <thread>

#include <rapidjson/document.h>
#include <caf/send.hpp>

#include "broker/actions/device_topic.hpp"
#include "broker/log/log.hpp"
#include "broker/mqtt/codec.hpp"
#include "broker/tls/digest.hpp"
#include "broker/util/clock.hpp"

namespace iotb::actors {

// -- rule_table -------------------------------------------------------------------------

void rule_table::put(std::shared_ptr<live_rule> r) {
  std::lock_guard lk(mu_);
  auto id = r->def.id;
  rules_[id] = std::move(r);
}

std::shared_ptr<live_rule> rule_table::take(const std::string& id) {
  std::lock_guard lk(mu_);
  auto it = rules_.find(id);
  if (it == rules_.end())
    return nullptr;
  auto r = std::move(it->second);
  rules_.erase(it);
  return r;
}

std::shared_ptr<live_rule> rule_table::find(const std::string& id) const {
  std::lock_guard lk(mu_);
  auto it = rules_.find(id);
  return it == rules_.end() ? nullptr : it->second;
}

std::vector<std::shared_ptr<live_rule>> rule_table::all() const {
  std::lock_guard lk(mu_);
  std::vector<std::shared_ptr<live_rule>> out;
  out.reserve(rules_.size());
  for (const auto& [id, r] : rules_)
    out.push_back(r);
  return out;
}

namespace {

using admin::api_errc;
using admin::api_error;
using admin::ops::action_spec;

/// A sink plugin's instance as an action's sink.
class plugin_sink final : public actions::sink {
 public:
  plugin_sink(plugins::sink_instance inst, std::string rule)
      : inst_(std::move(inst)), rule_(std::move(rule)) {}

  std::vector<actions::status> deliver(std::span<const actions::record> batch) override {
    std::vector<plugins::record> recs;
    recs.reserve(batch.size());
    for (const auto& r : batch) {
      plugins::record p;
      p.output = r.output;
      p.topic = r.topic;
      p.product_key = r.product_key;
      p.device_name = r.device_name;
      p.rule = rule_;
      p.message_id = r.message_id;
      p.timestamp_ms = r.timestamp_ms;
      recs.push_back(p);
    }
    auto got = inst_.deliver(recs);
    std::vector<actions::status> out;
    out.reserve(got.size());
    for (auto& s : got) {
      actions::status a;
      a.delay = s.delay;
      a.error = std::move(s.error);
      switch (s.status) {
        case plugins::delivery_status::ok:
          a.what = actions::outcome::ok;
          break;
        case plugins::delivery_status::retry:
          a.what = actions::outcome::retry;
          break;
        case plugins::delivery_status::drop:
          a.what = actions::outcome::drop;
          break;
        case plugins::delivery_status::throttle:
          a.what = actions::outcome::throttle;
          break;
      }
      out.push_back(std::move(a));
    }
    return out;
  }

  void flush() override {
    if (auto e = inst_.flush())
      IOTB_LOG(warn, "rules") << "rule " << rule_ << ": sink flush failed: " << *e;
  }

 private:
  plugins::sink_instance inst_;
  std::string rule_;
};

/// The republish action's settings: `{"topic","payload"?,"qos"?,"retain"?}`.
std::optional<std::string> read_republish(const std::string& config, live_action* into) {
  rapidjson::Document d;
  d.Parse(config.data(), config.size());
  if (d.HasParseError() || !d.IsObject())
    return "republish: the action must be an object";
  for (const auto& m : d.GetObject()) {
    std::string_view k(m.name.GetString(), m.name.GetStringLength());
    if (k != "topic" && k != "payload" && k != "qos" && k != "retain")
      return "republish: unknown field " + std::string(k) + " (topic, payload, qos, retain)";
  }
  auto t = d.FindMember("topic");
  if (t == d.MemberEnd() || !t->value.IsString() || t->value.GetStringLength() == 0)
    return std::string("republish.topic: required, a topic template (\"alerts/${deviceName}\")");
  std::string topic(t->value.GetString(), t->value.GetStringLength());
  if (topic.find_first_of("+#") != std::string::npos)
    return std::string("republish.topic: no wildcards");
  std::string payload;
  if (auto p = d.FindMember("payload"); p != d.MemberEnd()) {
    if (!p->value.IsString())
      return std::string("republish.payload: a template string");
    payload.assign(p->value.GetString(), p->value.GetStringLength());
  }
  int q = 0;
  if (auto p = d.FindMember("qos"); p != d.MemberEnd()) {
    if (!p->value.IsInt() || p->value.GetInt() < 0 || p->value.GetInt() > 1)
      return std::string("republish.qos: 0 or 1");
    q = p->value.GetInt();
  }
  bool retain = false;
  if (auto p = d.FindMember("retain"); p != d.MemberEnd()) {
    if (!p->value.IsBool())
      return std::string("republish.retain: true or false");
    retain = p->value.GetBool();
  }
  if (into) {
    into->topic_template = std::move(topic);
    into->payload_template = std::move(payload);
    into->q = static_cast<mqtt::qos>(q);
    into->retain = retain;
  }
  return std::nullopt;
}

std::string action_name(std::size_t index) {
  return index == error_action_index ? std::string("errorAction")
                                     : "action " + std::to_string(index);
}

/// Publishes `payload` on `topic` as the rule.
bool republish(broker_context& ctx, const live_rule& r, live_action& a, const std::string& output,
               const rules::message_context& mc) {
  auto topic = rules::render_template(a.topic_template, output, mc);
  if (!mqtt::valid_topic_name(topic) || topic.find_first_of("+#") != std::string::npos) {
    a.republish_failed.fetch_add(1, std::memory_order_relaxed);
    IOTB_LOG_LIMITED(warn, "rules")
        << "rule " << r.def.id << ": republish topic '" << topic << "' is not a valid topic name";
    return false;
  }
  auto payload =
      a.payload_template.empty() ? output : rules::render_template(a.payload_template, output, mc);
  publisher from;
  from.key = r.key;
  dispatch(ctx,
           make_message(std::move(topic), std::move(payload), a.q, a.retain, ctx.ids.next(), r.key),
           from);
  a.republished.fetch_add(1, std::memory_order_relaxed);
  return true;
}

/// Runs action `a` of `r` on one output.
void run_action(broker_context& ctx, const live_rule& r, live_action& a, const std::string& output,
                const rules::message_context& mc, std::string_view payload) {
  if (a.type == "republish") {
    if (a.load_error.empty())
      republish(ctx, r, a, output, mc);
    else
      a.republish_failed.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  if (!a.runner) {
    a.not_loaded.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  actions::record rec;
  rec.output = output;
  rec.topic = std::string(mc.topic);
  rec.payload = std::string(payload);
  rec.product_key = std::string(mc.product_key);
  rec.device_name = std::string(mc.device_name);
  rec.message_id = mc.message_id;
  rec.timestamp_ms = mc.timestamp_ms;
  a.runner->offer(std::move(rec));
}

/// The error record of SPEC §9 for a record that failed for good.
std::string error_record(const live_rule& r, const live_action& a, const actions::failure& f) {
  rapidjson::StringBuffer sb;
  admin::json_writer w(sb);
  w.StartObject();
  admin::field(w, "rule", r.def.id);
  admin::field(w, "ruleName", r.def.name);
  w.Key("action");
  w.Uint64(a.index);
  admin::field(w, "actionType", a.type);
  admin::field(w, "messageId", std::to_string(f.rec.message_id));
  admin::field(w, "topic", f.rec.topic);
  admin::field(w, "error", f.error);
  w.Key("attempts");
  w.Uint(f.attempts);
  admin::field(w, "payloadBase64", tls::base64_encode(f.rec.payload));
  w.EndObject();
  return {sb.GetString(), sb.GetSize()};
}

/// Builds action `spec` of rule `r` (sinks: an instance and its runner).
std::shared_ptr<live_action> make_action(const context_ptr& ctx, const rule_engine_config& cfg,
                                         const std::shared_ptr<live_rule>& r,
                                         const action_spec& spec, std::size_t index) {
  auto a = std::make_shared<live_action>();
  a->index = index;
  a->type = spec.type;
  if (spec.type == "republish") {
    if (auto e = read_republish(spec.config, a.get()))
      a->load_error = *e;
    return a;
  }
  if (!cfg.plugins) {
    a->load_error = "no sink plugins are loaded";
    return a;
  }
  plugins::create_options opts;
  opts.instance_name = "rule " + r->def.id + " " + action_name(index);
  auto inst = cfg.plugins->create(spec.type, spec.config, opts);
  if (!inst) {
    a->load_error = inst.error();
    IOTB_LOG(warn, "rules") << "rule " << r->def.id << " " << action_name(index) << " ("
                            << spec.type << ") not loaded: " << inst.error();
    return a;
  }
  // Failures go to the rule's error action (not for the error action's own).
  std::weak_ptr<live_rule> weak = r;
  std::weak_ptr<live_action> self_weak = a;
  actions::sink_runner::failure_handler on_failure;
  if (index != error_action_index)
    on_failure = [ctx, weak, self_weak](actions::failure f) {
      auto rule = weak.lock();
      auto act = self_weak.lock();
      if (!rule || !act)
        return;
      IOTB_LOG_LIMITED(warn, "rules") << "rule " << rule->def.id << " " << action_name(act->index)
                                      << " (" << act->type << "): message " << f.rec.message_id
                                      << " failed after " << f.attempts << " attempts: " << f.error;
      auto ea = rule->error_action;
      if (!ea)
        return;
      rule->errors_sent.fetch_add(1, std::memory_order_relaxed);
      auto json = error_record(*rule, *act, f);
      rules::message_context mc;
      mc.topic = f.rec.topic;
      mc.payload = f.rec.payload;
      mc.product_key = f.rec.product_key;
      mc.device_name = f.rec.device_name;
      mc.message_id = f.rec.message_id;
      mc.timestamp_ms = f.rec.timestamp_ms;
      run_action(*ctx, *rule, *ea, json, mc, f.rec.payload);
    };
  a->runner = std::make_unique<actions::sink_runner>(
      spec.type, std::make_unique<plugin_sink>(std::move(*inst), r->def.id), cfg.queue,
      std::move(on_failure));
  return a;
}

// -- the rule actor ---------------------------------------------------------------------

/// Evaluates rule `r` on `m` and runs its actions on the output.
void process(broker_context& ctx, live_rule& r, const message& m, std::string_view client_id) {
  rules::message_context mc;
  mc.topic = m.topic;
  mc.payload = m.payload;
  mc.client_id = client_id;
  if (auto dev = actions::device_of(m.topic)) {
    mc.product_key = dev->first;
    mc.device_name = dev->second;
  }
  mc.message_id = m.id;
  mc.qos = static_cast<std::uint8_t>(m.q);
  mc.timestamp_ms = static_cast<std::int64_t>(clock::wall_ms());
  auto res = r.program->evaluate(mc);
  switch (res.status) {
    case rules::eval_status::filtered:
      r.counters.no_result.fetch_add(1, std::memory_order_relaxed);
      return;
    case rules::eval_status::failed:
      r.counters.exception.fetch_add(1, std::memory_order_relaxed);
      IOTB_LOG_LIMITED(info, "rules")
          << "rule " << r.def.id << ": message " << m.id << ": " << res.error;
      return;
    case rules::eval_status::passed:
      break;
  }
  r.counters.passed.fetch_add(1, std::memory_order_relaxed);
  for (const auto& a : r.actions)
    run_action(ctx, r, *a, res.output, mc, m.payload);
}

rule_input_actor::behavior_type rule_actor(context_ptr ctx, std::shared_ptr<live_rule> r) {
  return {
      [ctx, r](const rule_input_msg& d) {
        process(*ctx, *r, *d.msg, d.client_id ? std::string_view(*d.client_id) : "");
        r->backlog.fetch_sub(1, std::memory_order_relaxed);
      },
  };
}

// -- the engine -------------------------------------------------------------------------

struct engine_state {
  context_ptr ctx;
  rule_engine_config cfg;
  std::uint64_t next_key = rule_key_base;
};

/// Builds and, when enabled and valid, starts rule `def`.
std::shared_ptr<live_rule> start_rule(caf::local_actor* self, engine_state& st,
                                      store::rule_record def) {
  auto r = std::make_shared<live_rule>();
  r->def = std::move(def);
  r->key = st.next_key++;
  auto prog = rules::program::compile(r->def.sql);
  if (!prog) {
    r->error = "sql: " + rules::to_string(prog.error());
    IOTB_LOG(warn, "rules") << "rule " << r->def.id << " not started: " << r->error;
    return r;
  }
  r->program = std::make_shared<const rules::program>(std::move(*prog));
  if (!r->def.enabled)
    return r;
  auto specs = admin::ops::stored_actions(r->def);
  for (std::size_t i = 0; i < specs.size(); ++i)
    r->actions.push_back(make_action(st.ctx, st.cfg, r, specs[i], i));
  if (auto ea = admin::ops::stored_error_action(r->def))
    r->error_action = make_action(st.ctx, st.cfg, r, *ea, error_action_index);
  r->ctx = st.ctx.get();
  r->inline_eval = std::none_of(r->actions.begin(), r->actions.end(),
                                [](const auto& a) { return a->type == "republish"; });
  r->input = self->spawn(rule_actor, st.ctx, r);
  r->actor = caf::actor_cast<caf::actor>(r->input);
  subscribe_internal(*st.ctx, subscriber_actor{}, r->key, r->program->topic_filter(),
                     mqtt::qos::at_least_once, r.get());
  IOTB_LOG(info, "rules") << "rule " << r->def.id << " (" << r->def.name << ") started: FROM \""
                          << r->program->topic_filter() << "\", " << r->actions.size()
                          << " actions";
  return r;
}

/// Stops a rule: its subscription, its actor, and (off the engine's
/// thread, since a sink may take its drain time) its sinks.
void stop_rule(engine_state& st, const std::shared_ptr<live_rule>& r) {
  if (!r)
    return;
  if (r->actor) {
    st.ctx->subs.erase(r->program->topic_filter(), r->key);
    caf::anon_send_exit(r->actor, caf::exit_reason::user_shutdown);
  }
  std::vector<std::unique_ptr<actions::sink_runner>> runners;
  for (auto& a : r->actions)
    if (a->runner)
      runners.push_back(std::move(a->runner));
  if (r->error_action && r->error_action->runner)
    runners.push_back(std::move(r->error_action->runner));
  if (!runners.empty())
    std::thread([runners = std::move(runners)]() mutable { runners.clear(); }).detach();
}

}  // namespace

void live_rule::offer(const message_ptr& m, std::string_view client_id) {
  counters.matched.fetch_add(1, std::memory_order_relaxed);
  if (inline_eval) {  // sinks only: no dispatch from here, so no hop either
    process(*ctx, *this, *m, client_id);
    return;
  }
  if (backlog.fetch_add(1, std::memory_order_relaxed) >= rule_backlog_limit) {
    backlog.fetch_sub(1, std::memory_order_relaxed);
    counters.overloaded.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  caf::anon_send(
      input, rule_input_msg{
                 m, client_id.empty() ? nullptr : std::make_shared<const std::string>(client_id)});
}

namespace {

/// The engine's behaviour. (Its state comes as a spawn argument: CAF 0.17
/// spawning a lambda with no arguments binds a reference to null, which
/// UBSan reports.)
rules_actor::behavior_type engine(rules_actor::pointer self, std::shared_ptr<engine_state> st) {
  if (st->ctx->registry)
    if (auto all = admin::ops::list_rules(*st->ctx->registry)) {
      for (auto& def : *all)
        st->cfg.table->put(start_rule(self, *st, std::move(def)));
    } else {
      IOTB_LOG(error, "rules") << "cannot read the rules: " << all.error().what;
    }
  self->attach_functor([st] {
    for (auto& r : st->cfg.table->all())
      stop_rule(*st, st->cfg.table->take(r->def.id));
  });
  return {
      [self, st](const rule_change_msg& m) {
        stop_rule(*st, st->cfg.table->take(m.id));
        if (st->ctx->registry)
          if (auto def = admin::ops::get_rule(*st->ctx->registry, m.id))
            st->cfg.table->put(start_rule(self, *st, std::move(*def)));
        if (m.done)
          m.done();
      },
  };
}

}  // namespace

rules_actor spawn_rule_engine(caf::actor_system& sys, context_ptr ctx, rule_engine_config cfg) {
  auto st = std::make_shared<engine_state>();
  st->ctx = std::move(ctx);
  st->cfg = std::move(cfg);
  return sys.spawn(engine, std::move(st));
}

std::optional<api_error> check_rule(const store::rule_record& r,
                                    const plugins::plugin_registry* plugins) {
  auto prog = rules::program::compile(r.sql);
  if (!prog) {
    const auto& e = prog.error();
    return api_error{api_errc::bad_field, "sql: line " + std::to_string(e.line) + ", column " +
                                              std::to_string(e.column) + ": " + e.message};
  }
  auto check = [&](const action_spec& a, const std::string& where) -> std::optional<api_error> {
    if (a.type == "republish") {
      if (auto e = read_republish(a.config, nullptr))
        return api_error{api_errc::bad_field, where + ": " + *e};
      return std::nullopt;
    }
    if (!plugins || !plugins->find(a.type)) {
      std::string loaded;
      if (plugins)
        for (const auto& p : plugins->plugins())
          loaded += (loaded.empty() ? "" : ", ") + p.name;
      return api_error{api_errc::bad_field, where + ".type: no sink plugin named '" + a.type +
                                                "' (republish" +
                                                (loaded.empty() ? "" : ", " + loaded) + ")"};
    }
    // The plugin's own check of its configuration; a temporary failure
    // (a database that is down) does not refuse the rule.
    auto inst = plugins->create(a.type, a.config);
    if (!inst && inst.error().find("bad configuration") != std::string::npos)
      return api_error{api_errc::bad_field, where + ": " + inst.error()};
    return std::nullopt;
  };
  auto specs = admin::ops::stored_actions(r);
  for (std::size_t i = 0; i < specs.size(); ++i)
    if (auto e = check(specs[i], "actions[" + std::to_string(i) + "]"))
      return e;
  if (auto ea = admin::ops::stored_error_action(r))
    if (auto e = check(*ea, "errorAction"))
      return e;
  return std::nullopt;
}

}  // namespace iotb::actors
