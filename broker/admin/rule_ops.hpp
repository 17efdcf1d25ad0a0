#pragma once
/// @file
/// Rule operations of the admin API (SPEC §9, §12: `/api/v1/rules`): the
/// rule body's shape (name, SQL, actions, error action, enabled), storing
/// and listing rules, and their one JSON rendering. The SQL and the
/// actions' configurations are checked by the caller before a change
/// (actors/admin_rules.cpp compiles the SQL and asks the plugins), since
/// that needs the running broker; this file checks only the shape. Like
/// registry_ops, each operation runs in its own transaction.
///
/// Thread-safety: as `store::env`; call off the I/O threads.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "broker/admin/json.hpp"
#include "broker/store/rule_store.hpp"

namespace iotb::admin::ops {

/// Limits of SPEC §6/§9.
struct rule_limits {
  std::size_t max_rules = 1000;
  std::size_t max_actions = 10;
  std::size_t max_sql_bytes = 65536;
  std::size_t max_action_bytes = 16384;  ///< one action object, compact JSON
};

/// One action of a rule: its type (`republish`, or a sink plugin's name)
/// and the rest of its object (compact JSON, `type` removed).
struct action_spec {
  std::string type;
  std::string config;  ///< `{…}`: the action object without `type`
};

/// A rule body as parsed (create: every field; patch: the fields given).
struct rule_body {
  std::optional<std::string> name;
  std::optional<std::string> description;
  std::optional<std::string> sql;
  std::optional<bool> enabled;
  std::optional<std::vector<action_spec>> actions;
  /// Set when the body names `errorAction`: an action, or nullopt (JSON
  /// null: remove it).
  std::optional<std::optional<action_spec>> error_action;
};

/// Reads a rule body: `{"name","description"?,"sql","enabled"?,"actions":[…],"errorAction"?}`.
/// `create`: name, sql and actions are required. Errors: bad_json,
/// bad_field naming the field (an action without a string `type`, more
/// than `max_actions`, a name over 64 bytes, …).
[[nodiscard]] expected<rule_body, api_error> parse_rule_body(std::string_view json, bool create,
                                                             const rule_limits& limits);

/// The actions of a stored rule (its `actions` JSON); empty on a bad record.
[[nodiscard]] std::vector<action_spec> stored_actions(const store::rule_record& r);
/// Its error action, if any.
[[nodiscard]] std::optional<action_spec> stored_error_action(const store::rule_record& r);

/// A new rule with id `id` from a complete body. Errors: invalid (at most
/// `max_rules` rules), exists (the id is taken).
[[nodiscard]] expected<store::rule_record, store::error> create_rule(store::env& e, std::string id,
                                                                     const rule_body& b,
                                                                     const rule_limits& limits,
                                                                     std::uint64_t now_ms);
/// Applies the fields of `b` that are set. Errors: not_found.
[[nodiscard]] expected<store::rule_record, store::error> update_rule(store::env& e,
                                                                     std::string_view id,
                                                                     const rule_body& b,
                                                                     std::uint64_t now_ms);
/// The record `update_rule` would store (for checks before the change).
[[nodiscard]] store::rule_record merged(store::rule_record r, const rule_body& b);
/// Errors: not_found.
[[nodiscard]] expected<bool, store::error> delete_rule(store::env& e, std::string_view id);
[[nodiscard]] expected<store::rule_record, store::error> get_rule(store::env& e,
                                                                  std::string_view id);
[[nodiscard]] expected<std::vector<store::rule_record>, store::error> list_rules(store::env& e);

/// `{"id","name","description","sql","enabled","actions":[…],"errorAction"?,"createdMs","updatedMs"}`
/// written into an open writer (the caller may add fields before closing).
void write_rule_fields(json_writer& w, const store::rule_record& r);

}  // namespace iotb::admin::ops
