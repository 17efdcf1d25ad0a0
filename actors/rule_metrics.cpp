// The rules engine's figures (SPEC §9): each rule's and action's counters
// as the admin API's JSON and as Prometheus text for `/metrics`. Read from
// the shared rule_table without a message to the engine.

#include <cstdint>
#include <string>

#include "actors/rule_engine.hpp"

namespace iotb::actors {

void write_rule_metrics(admin::json_writer& w, const live_rule& r) {
  auto u = [&](const char* k, std::uint64_t v) {
    w.Key(k);
    w.Uint64(v);
  };
  const auto exc = r.counters.exception.load(std::memory_order_relaxed);
  const auto none = r.counters.no_result.load(std::memory_order_relaxed);
  admin::field(w, "state",
               !r.error.empty() ? "error" : (r.def.enabled && r.actor ? "running" : "disabled"));
  if (!r.error.empty())
    admin::field(w, "error", r.error);
  u("matched", r.counters.matched.load(std::memory_order_relaxed));
  u("passed", r.counters.passed.load(std::memory_order_relaxed));
  u("failed", exc + none);
  u("exception", exc);
  u("noResult", none);
  u("errorRecords", r.errors_sent.load(std::memory_order_relaxed));
  w.Key("dropped");
  w.StartObject();
  u("overloaded", r.counters.overloaded.load(std::memory_order_relaxed));
  w.EndObject();
  u("backlog", r.backlog.load(std::memory_order_relaxed));
  auto action = [&](const live_action& a) {
    w.StartObject();
    if (a.index != error_action_index)
      u("index", a.index);
    admin::field(w, "type", a.type);
    if (a.type == "republish") {
      admin::field(w, "state", a.load_error.empty() ? "ok" : "error");
      u("success", a.republished.load(std::memory_order_relaxed));
      u("failed", a.republish_failed.load(std::memory_order_relaxed));
    } else if (!a.runner) {
      admin::field(w, "state", "not_loaded");
      admin::field(w, "error", a.load_error);
      w.Key("dropped");
      w.StartObject();
      u("not_loaded", a.not_loaded.load(std::memory_order_relaxed));
      w.EndObject();
    } else {
      auto s = a.runner->snapshot();
      admin::field(w, "state", "ok");
      u("matched", s.counters.offered);
      u("success", s.counters.success);
      u("failed", s.counters.failed);
      u("retried", s.counters.retried);
      w.Key("dropped");
      w.StartObject();
      for (std::size_t i = 0; i < actions::drop_reasons; ++i)
        u(actions::to_string(static_cast<actions::drop_reason>(i)), s.counters.dropped[i]);
      w.EndObject();
      u("inflight", s.inflight);
      u("queuing", s.queued);
      u("queuedBytes", s.bytes);
    }
    w.EndObject();
  };
  w.Key("actions");
  w.StartArray();
  for (const auto& a : r.actions)
    action(*a);
  w.EndArray();
  if (r.error_action) {
    w.Key("errorAction");
    action(*r.error_action);
  }
}

std::string render_rule_prometheus(const rule_table& table) {
  std::string out;
  auto rules = table.all();
  if (rules.empty())
    return out;
  auto line = [&](const char* name, const std::string& labels, std::uint64_t v) {
    out.append("iotbroker_").append(name).append("{").append(labels).append("} ");
    out.append(std::to_string(v)).push_back('\n');
  };
  auto head = [&](const char* name, const char* type, const char* help) {
    out.append("# HELP iotbroker_").append(name).append(" ").append(help).push_back('\n');
    out.append("# TYPE iotbroker_").append(name).append(" ").append(type).push_back('\n');
  };
  auto rule_label = [](const live_rule& r) { return "rule=\"" + r.def.id + "\""; };
  struct counter_def {
    const char* name;
    const char* help;
    std::uint64_t (*get)(const live_rule&);
  };
  const counter_def counters[] = {
      {"rule_matched_total", "Messages a rule's FROM matched.",
       [](const live_rule& r) { return r.counters.matched.load(std::memory_order_relaxed); }},
      {"rule_passed_total", "Messages for which a rule's WHERE held.",
       [](const live_rule& r) { return r.counters.passed.load(std::memory_order_relaxed); }},
      {"rule_failed_exception_total", "Evaluations that failed with a run-time error.",
       [](const live_rule& r) { return r.counters.exception.load(std::memory_order_relaxed); }},
      {"rule_failed_no_result_total", "Messages for which a rule's WHERE was false.",
       [](const live_rule& r) { return r.counters.no_result.load(std::memory_order_relaxed); }},
      {"rule_dropped_overloaded_total",
       "Matches a rule dropped because its actor had 10,000 messages waiting.",
       [](const live_rule& r) { return r.counters.overloaded.load(std::memory_order_relaxed); }},
  };
  for (const auto& c : counters) {
    head(c.name, "counter", c.help);
    for (const auto& r : rules)
      line(c.name, rule_label(*r), c.get(*r));
  }
  head("rule_action_total", "counter",
       "Records of rule actions by outcome (success, failed, retried, dropped_<reason>).");
  std::string gauges;
  for (const auto& r : rules) {
    auto all = r->actions;
    if (r->error_action)
      all.push_back(r->error_action);
    for (const auto& a : all) {
      auto labels =
          rule_label(*r) + ",action=\"" +
          (a->index == error_action_index ? std::string("error") : std::to_string(a->index)) +
          "\",type=\"" + a->type + "\"";
      if (a->type == "republish") {
        line("rule_action_total", labels + ",outcome=\"success\"",
             a->republished.load(std::memory_order_relaxed));
        line("rule_action_total", labels + ",outcome=\"failed\"",
             a->republish_failed.load(std::memory_order_relaxed));
        continue;
      }
      if (!a->runner) {
        line("rule_action_total", labels + ",outcome=\"dropped_not_loaded\"",
             a->not_loaded.load(std::memory_order_relaxed));
        continue;
      }
      auto s = a->runner->snapshot();
      line("rule_action_total", labels + ",outcome=\"success\"", s.counters.success);
      line("rule_action_total", labels + ",outcome=\"failed\"", s.counters.failed);
      line("rule_action_total", labels + ",outcome=\"retried\"", s.counters.retried);
      for (std::size_t i = 0; i < actions::drop_reasons; ++i)
        line("rule_action_total",
             labels + ",outcome=\"dropped_" +
                 actions::to_string(static_cast<actions::drop_reason>(i)) + "\"",
             s.counters.dropped[i]);
      gauges.append("iotbroker_rule_action_queuing{" + labels + "} " + std::to_string(s.queued) +
                    "\n");
    }
  }
  if (!gauges.empty()) {
    head("rule_action_queuing", "gauge", "Records waiting in a rule action's buffer.");
    out += gauges;
  }
  return out;
}

}  // namespace iotb::actors
