#include "broker/admin/rule_ops.hpp"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "broker/admin/ops_detail.hpp"

namespace iotb::admin::ops {

using detail::change;
using detail::look;

namespace {

constexpr std::size_t max_name = 64;
constexpr std::size_t max_description = 256;
constexpr std::size_t max_type = 32;

std::string compact(const rapidjson::Value& v) {
  rapidjson::StringBuffer sb;
  rapidjson::Writer<rapidjson::StringBuffer> w(sb);
  v.Accept(w);
  return {sb.GetString(), sb.GetSize()};
}

bool valid_type(std::string_view t) {
  if (t.empty() || t.size() > max_type)
    return false;
  for (char c : t)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
      return false;
  return true;
}

/// One action object → spec; `where` names it in an error.
expected<action_spec, std::string> read_action(const rapidjson::Value& v, const std::string& where,
                                               const rule_limits& limits) {
  if (!v.IsObject())
    return unexpected{where + ": must be an object with a \"type\""};
  auto t = v.FindMember("type");
  if (t == v.MemberEnd() || !t->value.IsString())
    return unexpected{where + ".type: required (a string: republish or a sink plugin's name)"};
  std::string type(t->value.GetString(), t->value.GetStringLength());
  if (!valid_type(type))
    return unexpected{where + ".type: 1.." + std::to_string(max_type) + " of [a-z0-9_-]"};
  rapidjson::Document rest;
  rest.SetObject();
  for (const auto& m : v.GetObject())
    if (std::string_view(m.name.GetString(), m.name.GetStringLength()) != "type")
      rest.AddMember(rapidjson::Value(m.name, rest.GetAllocator()),
                     rapidjson::Value(m.value, rest.GetAllocator()), rest.GetAllocator());
  auto config = compact(rest);
  if (config.size() > limits.max_action_bytes)
    return unexpected{where + ": more than " + std::to_string(limits.max_action_bytes) + " bytes"};
  return action_spec{std::move(type), std::move(config)};
}

/// An action spec back to its object (`type` first).
void write_action(json_writer& w, const action_spec& a) {
  rapidjson::Document d;
  d.Parse(a.config.data(), a.config.size());
  w.StartObject();
  field(w, "type", a.type);
  if (!d.HasParseError() && d.IsObject())
    for (const auto& m : d.GetObject()) {
      w.Key(m.name.GetString(), m.name.GetStringLength());
      m.value.Accept(w);
    }
  w.EndObject();
}

std::string actions_json(const std::vector<action_spec>& actions) {
  rapidjson::StringBuffer sb;
  json_writer w(sb);
  w.StartArray();
  for (const auto& a : actions)
    write_action(w, a);
  w.EndArray();
  return {sb.GetString(), sb.GetSize()};
}

std::string action_json(const action_spec& a) {
  rapidjson::StringBuffer sb;
  json_writer w(sb);
  write_action(w, a);
  return {sb.GetString(), sb.GetSize()};
}

}  // namespace

expected<rule_body, api_error> parse_rule_body(std::string_view json, bool create,
                                               const rule_limits& limits) {
  auto b = json_body::parse(json);
  if (!b)
    return unexpected{b.error()};
  rule_body out;
  out.name = b->string("name", create, max_name);
  if (out.name && out.name->empty())
    b->fail("name: must not be empty");
  out.description = b->string("description", false, max_description);
  out.sql = b->string("sql", create, limits.max_sql_bytes);
  if (out.sql && out.sql->empty())
    b->fail("sql: must not be empty");
  out.enabled = b->boolean("enabled");
  if (const auto* a = b->raw("actions")) {
    if (!a->IsArray()) {
      b->fail("actions: must be an array of action objects");
    } else if (a->Size() > limits.max_actions) {
      b->fail("actions: at most " + std::to_string(limits.max_actions) + " per rule");
    } else {
      std::vector<action_spec> list;
      for (rapidjson::SizeType i = 0; i < a->Size(); ++i) {
        auto s = read_action((*a)[i], "actions[" + std::to_string(i) + "]", limits);
        if (!s) {
          b->fail(s.error());
          break;
        }
        list.push_back(std::move(*s));
      }
      out.actions = std::move(list);
    }
  } else if (create) {
    b->fail("actions: required (an array, may be empty)");
  }
  const bool named = b->has("errorAction");
  if (const auto* e = b->raw("errorAction"); named) {
    if (!e || e->IsNull()) {
      out.error_action.emplace(std::nullopt);
    } else {
      auto s = read_action(*e, "errorAction", limits);
      if (!s)
        b->fail(s.error());
      else
        out.error_action.emplace(std::move(*s));
    }
  }
  if (auto e = b->finish())
    return unexpected{*e};
  return out;
}

std::vector<action_spec> stored_actions(const store::rule_record& r) {
  std::vector<action_spec> out;
  rapidjson::Document d;
  d.Parse(r.actions.data(), r.actions.size());
  if (d.HasParseError() || !d.IsArray())
    return out;
  rule_limits unlimited;
  unlimited.max_action_bytes = SIZE_MAX;
  for (const auto& v : d.GetArray())
    if (auto s = read_action(v, "action", unlimited))
      out.push_back(std::move(*s));
  return out;
}

std::optional<action_spec> stored_error_action(const store::rule_record& r) {
  if (r.error_action.empty())
    return std::nullopt;
  rapidjson::Document d;
  d.Parse(r.error_action.data(), r.error_action.size());
  if (d.HasParseError())
    return std::nullopt;
  rule_limits unlimited;
  unlimited.max_action_bytes = SIZE_MAX;
  auto s = read_action(d, "errorAction", unlimited);
  if (!s)
    return std::nullopt;
  return std::move(*s);
}

store::rule_record merged(store::rule_record r, const rule_body& b) {
  if (b.name)
    r.name = *b.name;
  if (b.description)
    r.description = *b.description;
  if (b.sql)
    r.sql = *b.sql;
  if (b.enabled)
    r.enabled = *b.enabled;
  if (b.actions)
    r.actions = actions_json(*b.actions);
  if (b.error_action)
    r.error_action = *b.error_action ? action_json(**b.error_action) : std::string{};
  return r;
}

expected<store::rule_record, store::error> create_rule(store::env& e, std::string id,
                                                       const rule_body& b,
                                                       const rule_limits& limits,
                                                       std::uint64_t now_ms) {
  store::rule_record r;
  r.id = std::move(id);
  r.actions = "[]";
  r = merged(std::move(r), b);
  r.created_ms = now_ms;
  r.updated_ms = now_ms;
  return change(e, [&](store::write_txn& t) -> expected<store::rule_record, store::error> {
    if (store::get_rule(t, r.id))
      return unexpected{store::error{store::errc::exists, "rule " + r.id + " exists"}};
    auto all = store::list_rules(t);
    if (!all)
      return unexpected{all.error()};
    if (all->size() >= limits.max_rules)
      return unexpected{
          store::error{store::errc::invalid,
                       "at most " + std::to_string(limits.max_rules) + " rules (--max-rules)"}};
    if (auto ok = store::put_rule(t, r); !ok)
      return unexpected{ok.error()};
    return r;
  });
}

expected<store::rule_record, store::error> update_rule(store::env& e, std::string_view id,
                                                       const rule_body& b, std::uint64_t now_ms) {
  return change(e, [&](store::write_txn& t) -> expected<store::rule_record, store::error> {
    auto cur = store::get_rule(t, id);
    if (!cur)
      return unexpected{cur.error()};
    auto r = merged(std::move(*cur), b);
    r.updated_ms = now_ms;
    if (auto ok = store::put_rule(t, r); !ok)
      return unexpected{ok.error()};
    return r;
  });
}

expected<bool, store::error> delete_rule(store::env& e, std::string_view id) {
  return change(e, [&](store::write_txn& t) -> expected<bool, store::error> {
    if (!store::erase_rule(t, id))
      return unexpected{store::error{store::errc::not_found, "no rule " + std::string(id)}};
    return true;
  });
}

expected<store::rule_record, store::error> get_rule(store::env& e, std::string_view id) {
  return look(e, [&](store::read_txn& t) { return store::get_rule(t, id); });
}

expected<std::vector<store::rule_record>, store::error> list_rules(store::env& e) {
  return look(e, [&](store::read_txn& t) { return store::list_rules(t); });
}

void write_rule_fields(json_writer& w, const store::rule_record& r) {
  field(w, "id", r.id);
  field(w, "name", r.name);
  field(w, "description", r.description);
  field(w, "sql", r.sql);
  w.Key("enabled");
  w.Bool(r.enabled);
  w.Key("actions");
  w.StartArray();
  for (const auto& a : stored_actions(r))
    write_action(w, a);
  w.EndArray();
  if (auto ea = stored_error_action(r)) {
    w.Key("errorAction");
    write_action(w, *ea);
  }
  w.Key("createdMs");
  w.Uint64(r.created_ms);
  w.Key("updatedMs");
  w.Uint64(r.updated_ms);
}

}  // namespace iotb::admin::ops
