// `iotbroker rule create|list|show|enable|disable|delete|test` (SPEC §9):
// the rules of a running broker through its admin API (docs/rules.md).
// They print the API's JSON answer and exit 0 on HTTP 2xx, 1 otherwise, 2
// on a usage error. Credentials as for the call commands (call_cmds.cpp).

#include <fstream>
#include <sstream>

#include <rapidjson/document.h>

#include "broker/cli/json_out.hpp"
#include "broker/cli/registry_cmds.hpp"

namespace iotb::cli {

namespace {

constexpr const char* rule_usage =
    "rule create --name N (--sql SQL | --sql-file F) --actions '[{\"type\":…}]' "
    "[--error-action '{…}'] [--description D] [--disabled]\n"
    "       rule list | show --id ID | enable --id ID | disable --id ID | delete --id ID\n"
    "       rule test (--sql SQL | --sql-file F) --topic T --payload P\n"
    "       each with [--admin http://HOST:PORT] [--token T | --user U --password-stdin]";

std::optional<std::string> sql_of(const args& a) {
  if (auto s = a.get("sql"))
    return *s;
  if (auto f = a.get("sql-file")) {
    std::ifstream in(*f);
    if (!in)
      return std::nullopt;
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  return std::nullopt;
}

/// Writes `key` with the JSON text `text` (which must parse as `want`).
bool raw_json(json_writer& w, const char* key, const std::string& text, bool array) {
  rapidjson::Document d;
  d.Parse(text.c_str());
  if (d.HasParseError() || (array ? !d.IsArray() : !d.IsObject()))
    return false;
  w.Key(key);
  d.Accept(w);
  return true;
}

}  // namespace

int rule_cmd(const args& a) {
  const auto& w = a.words();
  if (w.size() < 2)
    return usage(rule_usage);
  const auto& sub = w[1];
  auto id = a.get("id");
  if (sub == "list")
    return api_send(a, "GET", "/api/v1/rules", "");
  if ((sub == "show" || sub == "enable" || sub == "disable" || sub == "delete") && !id)
    return usage(rule_usage);
  if (sub == "show")
    return api_send(a, "GET", "/api/v1/rules/" + *id, "");
  if (sub == "delete")
    return api_send(a, "DELETE", "/api/v1/rules/" + *id, "");
  if (sub == "enable" || sub == "disable")
    return api_send(a, "PATCH", "/api/v1/rules/" + *id,
                    sub == "enable" ? R"({"enabled":true})" : R"({"enabled":false})");
  rapidjson::StringBuffer sb;
  json_writer jw(sb);
  jw.StartObject();
  auto sql = sql_of(a);
  if (!sql)
    return usage(std::string("--sql SQL or --sql-file F (readable) is required\n") + rule_usage);
  field(jw, "sql", *sql);
  if (sub == "test") {
    auto topic = a.get("topic");
    if (!topic)
      return usage(rule_usage);
    field(jw, "topic", *topic);
    field(jw, "payload", a.get("payload").value_or(""));
    jw.EndObject();
    return api_send(a, "POST", "/api/v1/rules/test", sb.GetString());
  }
  if (sub != "create")
    return usage(rule_usage);
  auto name = a.get("name");
  auto actions = a.get("actions");
  if (!name || !actions)
    return usage(rule_usage);
  field(jw, "name", *name);
  if (auto d = a.get("description"))
    field(jw, "description", *d);
  if (!raw_json(jw, "actions", *actions, true))
    return usage("--actions: a JSON array of action objects");
  if (auto e = a.get("error-action"))
    if (!raw_json(jw, "errorAction", *e, false))
      return usage("--error-action: a JSON object");
  if (a.has("disabled")) {
    jw.Key("enabled");
    jw.Bool(false);
  }
  jw.EndObject();
  return api_send(a, "POST", "/api/v1/rules", sb.GetString());
}

}  // namespace iotb::cli
