// `iotbroker rrpc | property set | service invoke | shadow get|update`
// (SPEC §5, §8): server → device calls and the device shadow through a
// running broker's admin API (docs/calls.md, docs/thing-model.md). They
// print the API's JSON answer on stdout and exit 0 when the call succeeded
// (HTTP 2xx and no TIMEOUT/OFFLINE/UNKNOWN result), 1 otherwise, 2 on a
// usage error.
//
// Credentials, first found: --token T; $IOTB_TOKEN; --user U with
// --password P or --password-stdin (a login); the initial admin password
// in <data-dir>/initial-admin-password (a local broker's first start).

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>

#include <rapidjson/document.h>

#include "broker/cli/http_client.hpp"
#include "broker/cli/json_out.hpp"
#include "broker/cli/registry_cmds.hpp"

namespace iotb::cli {

namespace {

constexpr auto call_timeout = std::chrono::seconds{30};  // > the 8 s cap of a call

/// The bearer token to call with (logging in when credentials are given).
expected<std::string, std::string> token_for(const admin_endpoint& ep, const args& a) {
  if (auto t = a.get("token"))
    return *t;
  if (const char* env = std::getenv("IOTB_TOKEN"); env && *env)
    return std::string(env);
  std::string user;
  std::string password;
  if (auto u = a.get("user")) {
    user = *u;
    if (a.has("password-stdin")) {
      if (!std::getline(std::cin, password))
        return unexpected{std::string("--password-stdin: no line on stdin")};
      while (!password.empty() && (password.back() == '\r' || password.back() == '\n'))
        password.pop_back();
    } else if (auto p = a.get("password")) {
      password = *p;
    } else {
      return unexpected{std::string("--user needs --password P or --password-stdin")};
    }
  } else {
    std::ifstream f(a.get("data-dir").value_or("./data") + "/initial-admin-password");
    if (!f || !std::getline(f, password))
      return unexpected{std::string(
          "no credentials: give --token T (or $IOTB_TOKEN) or --user U --password-stdin")};
    user = "admin";
  }
  rapidjson::StringBuffer sb;
  json_writer w(sb);
  w.StartObject();
  field(w, "username", user);
  field(w, "password", password);
  w.EndObject();
  auto r = http_request(ep, "POST", "/api/v1/login", sb.GetString(), {}, call_timeout);
  if (!r)
    return unexpected{r.error()};
  rapidjson::Document d;
  d.Parse(r->body.c_str());
  if (r->status != 200 || !d.IsObject() || !d.HasMember("token") || !d["token"].IsString())
    return unexpected{"login as " + user + " failed (HTTP " + std::to_string(r->status) +
                      "): " + r->body};
  return std::string(d["token"].GetString());
}

/// Sends `body` to `path` with `method` and prints the answer; @returns
/// the exit code.
}  // namespace

int api_send(const args& a, const char* method, const std::string& path, const std::string& body) {
  auto ep = admin_endpoint::parse(a.get("admin").value_or(
      std::getenv("IOTB_ADMIN") ? std::getenv("IOTB_ADMIN") : "http://127.0.0.1:18083"));
  if (!ep)
    return usage(ep.error());
  auto token = token_for(*ep, a);
  if (!token)
    return fail("unauthorized", token.error());
  auto r = http_request(*ep, method, path, body, *token, call_timeout);
  if (!r)
    return fail("unavailable", r.error());
  std::puts(r->body.c_str());
  if (r->status < 200 || r->status >= 300)
    return 1;
  rapidjson::Document d;
  d.Parse(r->body.c_str());
  if (d.IsObject() && d.HasMember("result") && d["result"].IsString()) {
    std::string_view result = d["result"].GetString();
    if (result == "TIMEOUT" || result == "OFFLINE" || result == "UNKNOWN")
      return 1;
  }
  return 0;
}

namespace {

int post(const args& a, const std::string& path, const std::string& body) {
  return api_send(a, "POST", path, body);
}

/// `/api/v1/products/{pk}/devices/{dn}` from --product and --device.
std::optional<std::string> device_path(const args& a) {
  auto pk = a.get("product");
  auto dn = a.get("device");
  if (!pk || !dn)
    return std::nullopt;
  // Product keys and device names are path-safe except for the few
  // characters a device name may hold ('@', ':' are allowed in a path).
  return "/api/v1/products/" + *pk + "/devices/" + *dn;
}

/// Writes `"params":<--params JSON>` (an object; `{}` when absent).
bool write_params(json_writer& w, const args& a, std::string& problem) {
  auto text = a.get("params").value_or("{}");
  rapidjson::Document d;
  d.Parse(text.c_str());
  if (d.HasParseError() || !d.IsObject()) {
    problem = "--params: give a JSON object, e.g. '{\"on\":1}'";
    return false;
  }
  w.Key("params");
  d.Accept(w);
  return true;
}

void write_timeout(json_writer& w, const args& a) {
  if (auto t = a.get("timeout-ms")) {
    w.Key("timeoutMs");
    w.Uint64(std::strtoull(t->c_str(), nullptr, 10));
  }
}

constexpr const char* common_usage =
    " --product PK --device DN [--timeout-ms N] [--admin http://HOST:PORT]"
    " [--token T | --user U --password-stdin]";

int rrpc_cmd(const args& a) {
  auto path = device_path(a);
  auto text = a.get("payload");
  auto b64 = a.get("payload-base64");
  if (!path || (text && b64))
    return usage(std::string("rrpc") + common_usage +
                 " (--payload TEXT | --payload-base64 B64) [--topic /PK/DN/…]");
  rapidjson::StringBuffer sb;
  json_writer w(sb);
  w.StartObject();
  if (b64)
    field(w, "payloadBase64", *b64);
  else
    field(w, "payload", text.value_or(""));
  if (auto t = a.get("topic"))
    field(w, "topic", *t);
  write_timeout(w, a);
  w.EndObject();
  return post(a, *path + "/rrpc", sb.GetString());
}

int property_cmd(const args& a) {
  auto path = device_path(a);
  if (a.words().size() < 2 || a.words()[1] != "set" || !path || !a.get("params"))
    return usage(std::string("property set") + common_usage + " --params '{\"id\":value}'");
  rapidjson::StringBuffer sb;
  json_writer w(sb);
  w.StartObject();
  std::string problem;
  if (!write_params(w, a, problem))
    return usage(problem);
  write_timeout(w, a);
  w.EndObject();
  return post(a, *path + "/properties/set", sb.GetString());
}

int service_cmd(const args& a) {
  auto path = device_path(a);
  auto id = a.get("service");
  if (a.words().size() < 2 || a.words()[1] != "invoke" || !path || !id ||
      (a.has("sync") && a.has("async")))
    return usage(std::string("service invoke") + common_usage +
                 " --service ID [--params '{…}'] [--sync | --async]");
  rapidjson::StringBuffer sb;
  json_writer w(sb);
  w.StartObject();
  std::string problem;
  if (!write_params(w, a, problem))
    return usage(problem);
  if (a.has("sync") || a.has("async")) {
    w.Key("sync");
    w.Bool(a.has("sync"));
  }
  write_timeout(w, a);
  w.EndObject();
  return post(a, *path + "/services/" + *id, sb.GetString());
}

int shadow_cmd(const args& a) {
  auto path = device_path(a);
  const auto& w = a.words();
  const bool get = w.size() >= 2 && w[1] == "get";
  const bool update = w.size() >= 2 && w[1] == "update";
  if (!path || (!get && !update) || (update && !a.get("desired")))
    return usage(std::string("shadow get") + common_usage + "\n       shadow update" +
                 common_usage + " --desired '{\"attr\":value}' [--version N]");
  if (get)
    return api_send(a, "GET", *path + "/shadow", "");
  rapidjson::Document d;
  d.Parse(a.get("desired")->c_str());
  if (d.HasParseError() ||
      !(d.IsObject() || (d.IsString() && std::string_view(d.GetString()) == "null")))
    return usage(
        "--desired: give a JSON object, e.g. '{\"color\":\"red\"}' (or '\"null\"' to clear)");
  rapidjson::StringBuffer sb;
  json_writer jw(sb);
  jw.StartObject();
  jw.Key("state");
  jw.StartObject();
  jw.Key("desired");
  d.Accept(jw);
  jw.EndObject();
  if (auto v = a.get("version")) {
    char* end = nullptr;
    auto n = std::strtoll(v->c_str(), &end, 10);
    if (v->empty() || *end != '\0')
      return usage("--version: an integer (-1 resets the version to 0)");
    jw.Key("version");
    jw.Int64(n);
  }
  jw.EndObject();
  return api_send(a, "PATCH", *path + "/shadow", sb.GetString());
}

}  // namespace

int call_cmd(const args& a) {
  const auto& cmd = a.words().front();
  if (cmd == "rrpc")
    return rrpc_cmd(a);
  if (cmd == "shadow")
    return shadow_cmd(a);
  if (cmd == "rule")
    return rule_cmd(a);
  if (cmd == "property")
    return property_cmd(a);
  return service_cmd(a);
}

}  // namespace iotb::cli
