#pragma once
/// @file
/// The rules engine (SPEC §9) as actors. Every enabled rule is an actor
/// that subscribes through the router like any session (an internal
/// subscriber of its FROM filter, no-local), evaluates its compiled SQL
/// (broker/rules/program.hpp) on each matching message and runs its
/// actions: `republish` at once (a broker-originated PUBLISH whose topic
/// and payload are templates over the rule's output), and every other
/// action type through a sink plugin (broker/plugins) behind a
/// `actions::sink_runner` — a bounded buffer and a thread of its own, so a
/// sink that is down, hangs or is slow delays only itself. Records that
/// fail for good (after retries 1 s, 3 s, 10 s, or a DROP) become error
/// records for the rule's error action:
/// `{"rule","ruleName","action","actionType","messageId","topic","error","attempts","payloadBase64"}`.
///
/// The **engine** actor owns the rules: it starts every stored rule at
/// start and applies each change the admin API made to the store
/// (`rule_change_msg`: the rule is read again, its old actor and sinks are
/// stopped, a new one started if it still exists and is enabled). The
/// `rule_table` (shared with the admin routes) holds each running rule's
/// counters and actions' figures, read without a message.
///
/// Rule router keys: `rule_key_base + n` (internal subscribers).
/// Documented in docs/rules.md ("Rules in the broker").

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <caf/typed_event_based_actor.hpp>

#include "actors/context.hpp"
#include "actors/dispatch.hpp"
#include "broker/actions/sink_runner.hpp"
#include "broker/admin/rule_ops.hpp"
#include "broker/plugins/registry.hpp"
#include "broker/rules/program.hpp"

namespace iotb::admin {
class server;
}  // namespace iotb::admin

namespace iotb::actors {

/// Router keys of rule actors: internal, above the fixed ones.
inline constexpr std::uint64_t rule_key_base = internal_key_base + (std::uint64_t{1} << 32);

/// Messages a rule's actor may have waiting; beyond, new matches are
/// dropped and counted (`overloaded`), so a rule slower than its traffic
/// holds bounded memory (a sink's own buffer is bounded apart).
inline constexpr std::uint32_t rule_backlog_limit = 10'000;

/// A matching message on its way to a rule's actor, with its publisher's
/// client id (null for the broker's own messages).
struct rule_input_msg {
  message_ptr msg;
  std::shared_ptr<const std::string> client_id;
};

using rule_input_actor = caf::typed_actor<caf::reacts_to<rule_input_msg>>;

/// One rule's counters (SPEC §9): matched by FROM; passed (WHERE held);
/// failed = exception (a run-time error) + no_result (WHERE false);
/// overloaded: matched but dropped, the actor's backlog being full.
struct rule_counters {
  std::atomic<std::uint64_t> matched{0};
  std::atomic<std::uint64_t> overloaded{0};
  std::atomic<std::uint64_t> passed{0};
  std::atomic<std::uint64_t> exception{0};
  std::atomic<std::uint64_t> no_result{0};
};

/// `live_action::index` of a rule's error action.
inline constexpr std::size_t error_action_index = SIZE_MAX;

/// One action of a running rule.
struct live_action {
  std::size_t index = 0;  ///< in the rule's actions; error_action_index: the error action
  std::string type;       ///< "republish" or a sink plugin's name
  // republish
  std::string topic_template;
  std::string payload_template;  ///< empty: the rule's output
  mqtt::qos q = mqtt::qos::at_most_once;
  bool retain = false;
  std::atomic<std::uint64_t> republished{0};
  std::atomic<std::uint64_t> republish_failed{0};
  // sinks
  std::unique_ptr<actions::sink_runner> runner;  ///< null when the sink is not loaded
  std::string load_error;                        ///< why it is not
  std::atomic<std::uint64_t> not_loaded{0};
};

/// A running (or refused) rule. It subscribes as a direct internal
/// subscriber: `offer`, on the publisher's thread, counts the match; a
/// rule whose actions are all sinks evaluates it there and offers the
/// output to the sinks' buffers (no hop: the rule scales with the
/// publishers' threads, as EMQX runs rules in the publisher's process);
/// a rule that republishes sends it to its actor (dispatching from inside
/// a dispatch is not allowed), unless the actor's backlog is full.
struct live_rule final : direct_subscriber {
  void offer(const message_ptr& m, std::string_view client_id) override;

  store::rule_record def;
  std::shared_ptr<const rules::program> program;  ///< null when the SQL does not compile
  std::string error;                              ///< why the rule does not run
  std::uint64_t key = 0;
  rule_counters counters;
  std::vector<std::shared_ptr<live_action>> actions;
  std::shared_ptr<live_action> error_action;
  caf::actor actor;
  rule_input_actor input;         ///< the same actor; set before the subscription
  broker_context* ctx = nullptr;  ///< outlives every rule (the engine stops them)
  bool inline_eval = false;       ///< no republish action: `offer` runs the rule
  std::atomic<std::uint32_t> backlog{0};
  std::atomic<std::uint64_t> errors_sent{0};
};

/// The running rules by id; the engine writes it, the admin routes read
/// it. Thread-safe.
class rule_table {
 public:
  void put(std::shared_ptr<live_rule> r);
  std::shared_ptr<live_rule> take(const std::string& id);
  [[nodiscard]] std::shared_ptr<live_rule> find(const std::string& id) const;
  [[nodiscard]] std::vector<std::shared_ptr<live_rule>> all() const;

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<live_rule>> rules_;
};

/// A rule the admin API changed in the store (created, updated, deleted);
/// `done` runs on the engine's thread once it applied it.
struct rule_change_msg {
  std::string id;
  std::function<void()> done;
};

using rules_actor = caf::typed_actor<caf::reacts_to<rule_change_msg>>;

/// What the engine needs.
struct rule_engine_config {
  std::shared_ptr<plugins::plugin_registry> plugins;  ///< may be null: only republish
  std::shared_ptr<rule_table> table;
  actions::queue_limits queue;  ///< each sink action's buffer
};

/// Spawns the engine, which starts every stored enabled rule.
[[nodiscard]] rules_actor spawn_rule_engine(caf::actor_system& sys, context_ptr ctx,
                                            rule_engine_config cfg);

/// Compiles `sql` and checks the actions (a republish topic template, a
/// sink plugin that exists and accepts the configuration): the admin API's
/// check before storing a rule. @returns the problem, or nullopt.
[[nodiscard]] std::optional<admin::api_error> check_rule(const store::rule_record& r,
                                                         const plugins::plugin_registry* plugins);

/// Every rule's and action's counters as Prometheus text (appended to
/// `/metrics`; empty without rules).
[[nodiscard]] std::string render_rule_prometheus(const rule_table& table);

/// The admin routes of rules (admin_rules.cpp; SPEC §12).
void add_rule_routes(admin::server& srv, const context_ptr& ctx, const rules_actor& engine,
                     const std::shared_ptr<rule_table>& table,
                     const std::shared_ptr<plugins::plugin_registry>& plugins);

/// `{"matched","passed","failed","exception","noResult","actions":[{"index","type","state",…}]}`.
void write_rule_metrics(admin::json_writer& w, const live_rule& r);

}  // namespace iotb::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(iotb::actors::rule_change_msg)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(iotb::actors::rule_input_msg)
