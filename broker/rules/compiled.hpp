#pragma once
/// @file
/// What `program::compile` makes of a statement (`program_impl`), and the
/// parser entry point. Internal to broker/rules.

#include <string>
#include <string_view>
#include <vector>

#include "broker/rules/nodes.hpp"
#include "broker/rules/program.hpp"

namespace iotb::rules {

/// One SELECT item.
struct select_item {
  detail::node_ptr expr;
  std::string name;     ///< output name (alias or derived)
  std::string key;      ///< `,"name":` as JSON, made once (the first item skips the comma)
  bool spread = false;  ///< an unaliased thingPropertyFlatMap(): its members join the output
};

class program_impl {
 public:
  std::string sql;
  std::string topic;
  bool star = false;        ///< SELECT * (the payload's members first)
  bool open = false;        ///< output keys not known before run time
  bool needs_json = false;  ///< reads the payload as JSON
  std::vector<select_item> items;
  std::vector<const detail::node*> exprs;  ///< items[i].expr.get(), for alias slots
  detail::node_ptr where;                  ///< may be null
  std::vector<std::string> names;          ///< output_names()
};

namespace detail {

/// Parses and checks a whole statement.
[[nodiscard]] expected<std::shared_ptr<program_impl>, sql_error> parse_statement(
    std::string_view sql);

}  // namespace detail

}  // namespace iotb::rules
