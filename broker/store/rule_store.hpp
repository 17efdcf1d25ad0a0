#pragma once
/// @file
/// The rules engine's rules in the registry environment (SPEC §9): one
/// FlatBuffers `Rule` record (schemas/registry.fbs) per rule id, holding
/// the definition as the admin API takes it — SQL, the actions and the
/// error action as compact JSON — so that the broker compiles and starts
/// every stored rule at start. Like registry.hpp, every function takes the
/// transaction it works in. Errors: corrupt, not_found where named, io.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "broker/store/env.hpp"

namespace iotb::store {

/// A stored rule.
struct rule_record {
  std::string id;
  std::string name;
  std::string description;
  std::string sql;
  bool enabled = true;
  std::string actions;       ///< JSON array of `{"type",…config}` objects
  std::string error_action;  ///< one action object; empty: none
  std::uint64_t created_ms = 0;
  std::uint64_t updated_ms = 0;
};

/// Stores `r` under `r.id` (replacing).
[[nodiscard]] expected<bool, error> put_rule(write_txn& t, const rule_record& r);
/// Errors: not_found, corrupt.
[[nodiscard]] expected<rule_record, error> get_rule(const txn& t, std::string_view id);
/// Every rule, by id.
[[nodiscard]] expected<std::vector<rule_record>, error> list_rules(const txn& t);
/// @returns false when there was no such rule.
bool erase_rule(write_txn& t, std::string_view id);

}  // namespace iotb::store
