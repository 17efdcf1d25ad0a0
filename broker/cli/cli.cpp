#include "broker/cli/cli.hpp"

#include <algorithm>

#include <cstdio>
#include <iostream>

#include "broker/auth/sign.hpp"
#include "broker/cli/json_out.hpp"
#include "broker/cli/registry_cmds.hpp"
#include "broker/store/env.hpp"
#include "broker/tls/cert.hpp"

namespace iotb::cli {

namespace {

const std::vector<std::string> flag_names = {"dynamic-register", "json", "help",  "csv",
                                             "password-stdin",   "sync", "async", "disabled"};

int sign_cmd(const args& a) {
  auto pk = a.get("product");
  auto dn = a.get("device");
  auto secret = a.get("secret");
  if (!pk || !dn || !secret)
    return usage("sign needs --product PK --device DN --secret S");
  auto method_name = a.get("method").value_or("hmacmd5");
  auto method = tls::parse_sign_method(method_name);
  if (!method)
    return usage("unsupported --method '" + method_name + "' (hmacmd5, hmacsha1, hmacsha256)");
  auto client_id = a.get("client-id").value_or(*pk + "." + *dn);
  auto ts = a.get("timestamp");
  auto content = auth::device_sign_content(client_id, *dn, *pk, ts);
  auto password = tls::hmac_hex(*method, *secret, content);
  std::string mqtt_client_id = client_id + "|securemode=" + a.get("securemode").value_or("3") +
                               ",signmethod=" + std::string(tls::to_string(*method));
  if (ts)
    mqtt_client_id += ",timestamp=" + *ts;
  mqtt_client_id += "|";
  rapidjson::StringBuffer sb;
  json_writer w(sb);
  w.StartObject();
  field(w, "clientId", mqtt_client_id);
  field(w, "username", *dn + "&" + *pk);
  field(w, "password", password);
  field(w, "signContent", content);
  w.EndObject();
  std::puts(sb.GetString());
  return 0;
}

int cert_cmd(const args& a) {
  if (a.words().size() < 2 || a.words()[1] != "dev")
    return usage("cert dev [--out DIR] [--cn NAME] [--dns NAME]... [--ip ADDR]... [--days N]");
  std::string dir = a.get("out").value_or(".");
  tls::dev_cert_options o;
  if (auto cn = a.get("cn"))
    o.common_name = *cn;
  if (auto dns = a.all("dns"); !dns.empty())
    o.dns_names = dns;
  if (auto ips = a.all("ip"); !ips.empty())
    o.ip_addresses = ips;
  if (auto days = a.get("days"))
    o.days = std::atoi(days->c_str());
  std::string cert = dir + "/cert.pem";
  std::string key = dir + "/key.pem";
  auto ok = tls::make_self_signed(cert, key, o);
  if (!ok)
    return fail("tls", ok.error());
  rapidjson::StringBuffer sb;
  json_writer w(sb);
  w.StartObject();
  field(w, "cert", cert);
  field(w, "key", key);
  field(w, "commonName", o.common_name);
  w.EndObject();
  std::puts(sb.GetString());
  return 0;
}

}  // namespace

int fail(const char* code, const std::string& what) {
  rapidjson::StringBuffer sb;
  json_writer w(sb);
  w.StartObject();
  field(w, "error", code);
  field(w, "message", what);
  w.EndObject();
  std::fprintf(stderr, "%s\n", sb.GetString());
  return 1;
}

int fail(const store::error& e) {
  return fail(store::to_string(e.code), e.what);
}

int usage(const std::string& what) {
  std::fprintf(stderr, "iotbroker: %s\n", what.c_str());
  return 2;
}

std::optional<int> run(const std::vector<std::string_view>& argv) {
  if (argv.empty())
    return std::nullopt;
  auto cmd = argv[0];
  if (cmd == "thing-model") {
    // The documented form ends with a word after the options
    // (`thing-model import --product PK FILE`): take it apart.
    std::vector<std::string_view> v;
    std::optional<std::string> trailing;
    bool options = false;
    for (std::size_t i = 0; i < argv.size(); ++i) {
      auto w = argv[i];
      bool value = i > 0 && argv[i - 1].starts_with("--") &&
                   std::find(flag_names.begin(), flag_names.end(), argv[i - 1].substr(2)) ==
                       flag_names.end();
      options = options || w.starts_with("--");
      if (options && !w.starts_with("--") && !value && !trailing)
        trailing = std::string(w);
      else
        v.push_back(w);
    }
    auto a = args::parse(v, flag_names);
    if (!a)
      return usage(a.error());
    return thing_model_cmd(*a, trailing);
  }
  const bool call =
      cmd == "rrpc" || cmd == "property" || cmd == "service" || cmd == "shadow" || cmd == "rule";
  if (cmd != "product" && cmd != "device" && cmd != "app" && cmd != "sign" && cmd != "cert" &&
      cmd != "admin" && cmd != "plugins" && !call)
    return std::nullopt;
  auto a = args::parse(argv, flag_names);
  if (!a)
    return usage(a.error());
  if (cmd == "product")
    return product_cmd(*a);
  if (cmd == "device")
    return device_cmd(*a);
  if (cmd == "app")
    return app_cmd(*a);
  if (cmd == "sign")
    return sign_cmd(*a);
  if (cmd == "admin")
    return admin_cmd(*a);
  if (call)
    return call_cmd(*a);
  if (cmd == "plugins")
    return plugins_cmd(*a);
  return cert_cmd(*a);
}

const char* help_text() noexcept {
  return R"(Management commands (JSON on stdout; work with or without a running broker):
  iotbroker product create --name NAME [--dynamic-register] [--node-type direct|gateway|sub-device]
                           [--data-format alink|custom] [--category SUFFIX=pub|sub|pub,sub]...
  iotbroker product list | show --product PK
  iotbroker product category --product PK --category SUFFIX=PERMS
  iotbroker product set --product PK --dynamic-register on|off
  iotbroker device create --product PK [--name DN] [--count N [--csv]]
  iotbroker device list [--product PK] | show|disable|enable|delete --product PK --name DN
  iotbroker device log --product PK --name DN [--limit N]
  iotbroker app create --product PK [--product PK2]... [--name NAME] [--scope S]... | app list
  iotbroker thing-model import --product PK FILE [--check-mode weak|strict]
  iotbroker thing-model export --product PK [FILE] | show --product PK
  iotbroker thing-model check-mode --product PK [weak|strict]
  iotbroker admin user add --name N --role admin|viewer (--password P | --password-stdin)
  iotbroker admin user list | delete --name N | passwd --name N (--password P | --password-stdin)
  iotbroker sign --product PK --device DN --secret S [--client-id C]
                 [--method hmacmd5|hmacsha1|hmacsha256] [--timestamp T] [--securemode 2|3]
  iotbroker cert dev [--out DIR] [--cn NAME] [--dns NAME]... [--ip ADDR]... [--days N]
  Each takes --data-dir DIR (default ./data).
  iotbroker plugins [--plugin-dir DIR[:DIR...]] [--sink NAME [--config JSON]]
                 the sink plugins that load (and why others do not), as JSON; with
                 --sink, also creates (and destroys) one instance with that configuration
Calls and shadows through a running broker's admin API (docs/calls.md, docs/thing-model.md):
  iotbroker rrpc --product PK --device DN (--payload TEXT | --payload-base64 B64)
                 [--topic /PK/DN/...] [--timeout-ms N]
  iotbroker property set --product PK --device DN --params '{"id":value}' [--timeout-ms N]
  iotbroker service invoke --product PK --device DN --service ID [--params '{...}']
                 [--sync | --async] [--timeout-ms N]
  iotbroker shadow get --product PK --device DN
  iotbroker rule create --name N (--sql SQL | --sql-file F) --actions '[{"type":...}]'
                 [--error-action '{...}'] [--description D] [--disabled]
  iotbroker rule list | show|enable|disable|delete --id ID
  iotbroker rule test (--sql SQL | --sql-file F) --topic T --payload P   (docs/rules.md)
  iotbroker shadow update --product PK --device DN --desired '{"attr":value}' [--version N]
  Each takes --admin http://HOST:PORT (default $IOTB_ADMIN or http://127.0.0.1:18083) and
  --token T ($IOTB_TOKEN) or --user U (--password P | --password-stdin); without them it
  logs in as admin with <data-dir>/initial-admin-password.
)";
}

}  // namespace iotb::cli
