#include "broker/cli/registry_cmds.hpp"

#include <cstdio>
#include <cstdlib>

#include "broker/cli/json_out.hpp"
#include "broker/store/registry.hpp"

namespace iotb::cli {

namespace {

using store::errc;

const char* node_name(store::node_type n) {
  switch (n) {
    case store::node_type::gateway:
      return "gateway";
    case store::node_type::sub_device:
      return "sub-device";
    default:
      return "direct";
  }
}

const char* state_name(store::device_state s) {
  switch (s) {
    case store::device_state::online:
      return "online";
    case store::device_state::offline:
      return "offline";
    default:
      return "inactive";
  }
}

void print(rapidjson::StringBuffer& sb) {
  std::puts(sb.GetString());
}

int fail(const store::error& e) {
  return cli::fail(store::to_string(e.code), e.what);
}

expected<std::shared_ptr<store::env>, store::error> open_env(const args& a) {
  auto dir = a.get("data-dir").value_or("./data");
  return store::env::open(dir + "/registry", {});
}

/// Parses "SUFFIX=pub,sub".
std::optional<store::category_record> parse_category_arg(const std::string& s) {
  auto eq = s.rfind('=');
  if (eq == std::string::npos)
    return std::nullopt;
  store::category_record c;
  c.suffix = s.substr(0, eq);
  auto perms = s.substr(eq + 1);
  c.pub = perms == "pub" || perms == "pub,sub" || perms == "sub,pub";
  c.sub = perms == "sub" || perms == "pub,sub" || perms == "sub,pub";
  if (!c.pub && !c.sub)
    return std::nullopt;
  return c;
}

void write_product(json_writer& w, const store::product_record& p, bool with_secret) {
  w.StartObject();
  field(w, "productKey", p.product_key);
  if (with_secret)
    field(w, "productSecret", p.product_secret);
  field(w, "name", p.name);
  field(w, "nodeType", node_name(p.node));
  field(w, "dataFormat", p.format == store::data_format::custom ? "custom" : "alink");
  w.Key("dynamicRegister");
  w.Bool(p.dynamic_register);
  w.Key("categories");
  w.StartArray();
  for (auto& c : p.categories) {
    w.StartObject();
    field(w, "topic", "/" + p.product_key + "/${deviceName}/user/" + c.suffix);
    field(w, "perms", c.pub && c.sub ? "pub,sub" : c.pub ? "pub" : "sub");
    w.EndObject();
  }
  w.EndArray();
  w.Key("createdMs");
  w.Uint64(p.created_ms);
  w.EndObject();
}

void write_device(json_writer& w, const store::device_record& d, bool with_secret) {
  w.StartObject();
  field(w, "productKey", d.product_key);
  field(w, "deviceName", d.device_name);
  if (with_secret)
    field(w, "deviceSecret", d.device_secret);
  field(w, "state", state_name(d.state));
  w.Key("enabled");
  w.Bool(!d.disabled);
  w.Key("createdMs");
  w.Uint64(d.created_ms);
  w.Key("activatedMs");
  w.Uint64(d.activated_ms);
  w.Key("lastOnlineMs");
  w.Uint64(d.last_online_ms);
  field(w, "lastIp", d.last_ip);
  w.EndObject();
}

/// Commits `t` and prints the product (without its secret unless asked).
int commit_and_print(store::write_txn& t, const expected<store::product_record, store::error>& p,
                     bool with_secret) {
  if (!p)
    return fail(p.error());
  if (auto ok = t.commit(); !ok)
    return fail(ok.error());
  rapidjson::StringBuffer sb;
  json_writer w(sb);
  write_product(w, *p, with_secret);
  print(sb);
  return 0;
}

int product_create(store::env& env, const args& a) {
  store::product_spec s;
  auto name = a.get("name");
  if (!name)
    return usage("product create needs --name NAME");
  s.name = *name;
  auto dyn = a.get("dynamic-register").value_or("off");
  s.dynamic_register = dyn == "true" || dyn == "on";
  auto node = a.get("node-type").value_or("direct");
  if (node == "gateway")
    s.node = store::node_type::gateway;
  else if (node == "sub-device")
    s.node = store::node_type::sub_device;
  else if (node != "direct")
    return usage("--node-type is direct, gateway or sub-device");
  auto fmt = a.get("data-format").value_or("alink");
  if (fmt == "custom")
    s.format = store::data_format::custom;
  else if (fmt != "alink")
    return usage("--data-format is alink or custom");
  for (auto& c : a.all("category")) {
    auto cat = parse_category_arg(c);
    if (!cat)
      return usage("--category SUFFIX=pub|sub|pub,sub, not '" + c + "'");
    s.categories.push_back(*cat);
  }
  auto t = env.write();
  if (!t)
    return fail(t.error());
  return commit_and_print(*t, store::create_product(*t, s), true);
}

int product_update(store::env& env, const args& a, const std::string& what) {
  auto pk = a.get("product");
  if (!pk)
    return usage("product " + what + " needs --product PK");
  auto t = env.write();
  if (!t)
    return fail(t.error());
  expected<store::product_record, store::error> p =
      unexpected{store::error{errc::invalid, "nothing to change"}};
  if (what == "category") {
    auto c = a.get("category");
    auto cat = c ? parse_category_arg(*c) : std::nullopt;
    if (!cat)
      return usage("product category --product PK --category SUFFIX=pub|sub|pub,sub");
    p = store::add_category(*t, *pk, *cat);
  } else {
    auto on = a.get("dynamic-register");
    if (!on || (*on != "on" && *on != "off" && *on != "true" && *on != "false"))
      return usage("product set --product PK --dynamic-register on|off");
    p = store::set_dynamic_register(*t, *pk, *on == "on" || *on == "true");
  }
  return commit_and_print(*t, p, false);
}

int device_create(store::env& env, const args& a, const std::string& pk) {
  long count = std::strtol(a.get("count").value_or("1").c_str(), nullptr, 10);
  auto name = a.get("name").value_or("");
  if (count < 1 || count > 1000000)
    return usage("--count is 1..1000000");
  if (count > 1 && !name.empty())
    return usage("--count and --name exclude each other (names are generated)");
  bool csv = a.has("csv");
  auto t = env.write();
  if (!t)
    return fail(t.error());
  rapidjson::StringBuffer sb;
  json_writer w(sb);
  std::string lines = csv ? "productKey,deviceName,deviceSecret\n" : "";
  if (count > 1 && !csv)
    w.StartArray();
  for (long i = 0; i < count; ++i) {
    auto d = store::create_device(*t, pk, name);
    if (!d)
      return fail(d.error());
    if (csv) {
      lines += d->product_key + "," + d->device_name + "," + d->device_secret + "\n";
      continue;
    }
    w.StartObject();
    field(w, "productKey", d->product_key);
    field(w, "deviceName", d->device_name);
    field(w, "deviceSecret", d->device_secret);
    w.EndObject();
  }
  if (count > 1 && !csv)
    w.EndArray();
  if (auto ok = t->commit(); !ok)
    return fail(ok.error());
  if (csv)
    std::fputs(lines.c_str(), stdout);
  else
    print(sb);
  return 0;
}

int device_log(store::env& env, const std::string& pk, const std::string& dn, const args& a) {
  auto t = env.read();
  if (!t)
    return fail(t.error());
  if (auto d = store::get_device(*t, pk, dn); !d)
    return fail(d.error());
  auto limit = std::strtoul(a.get("limit").value_or("100").c_str(), nullptr, 10);
  auto log = store::read_log(*t, pk, dn, limit);
  if (!log)
    return fail(log.error());
  rapidjson::StringBuffer sb;
  json_writer w(sb);
  w.StartArray();
  for (auto& e : *log) {
    w.StartObject();
    w.Key("seq");
    w.Uint64(e.seq);
    w.Key("timeMs");
    w.Uint64(e.time_ms);
    field(w, "kind", store::to_string(e.kind));
    field(w, "text", e.text);
    field(w, "clientIp", e.client_ip);
    w.EndObject();
  }
  w.EndArray();
  print(sb);
  return 0;
}

}  // namespace

int product_cmd(const args& a) {
  auto sub = a.words().size() > 1 ? a.words()[1] : "";
  auto env = open_env(a);
  if (!env)
    return fail(env.error());
  if (sub == "create")
    return product_create(**env, a);
  if (sub == "category" || sub == "set")
    return product_update(**env, a, sub);
  if (sub == "list" || sub == "show") {
    auto t = (*env)->read();
    if (!t)
      return fail(t.error());
    rapidjson::StringBuffer sb;
    json_writer w(sb);
    if (sub == "show") {
      auto pk = a.get("product");
      if (!pk && a.words().size() > 2)
        pk = a.words()[2];
      if (!pk)
        return usage("product show --product PK");
      auto p = store::get_product(*t, *pk);
      if (!p)
        return fail(p.error());
      write_product(w, *p, false);
    } else {
      auto ps = store::list_products(*t);
      if (!ps)
        return fail(ps.error());
      w.StartArray();
      for (auto& p : *ps)
        write_product(w, p, false);
      w.EndArray();
    }
    print(sb);
    return 0;
  }
  return usage("product create|list|show|category|set (see --help)");
}

int device_cmd(const args& a) {
  auto sub = a.words().size() > 1 ? a.words()[1] : "";
  auto env = open_env(a);
  if (!env)
    return fail(env.error());
  auto pk = a.get("product");
  if (sub == "list") {
    auto t = (*env)->read();
    if (!t)
      return fail(t.error());
    auto ds = store::list_devices(*t, pk.value_or(""));
    if (!ds)
      return fail(ds.error());
    rapidjson::StringBuffer sb;
    json_writer w(sb);
    w.StartArray();
    for (auto& d : *ds)
      write_device(w, d, false);
    w.EndArray();
    print(sb);
    return 0;
  }
  if (!pk)
    return usage("device " + sub + " needs --product PK");
  if (sub == "create")
    return device_create(**env, a, *pk);
  auto dn = a.get("name");
  if (!dn)
    dn = a.get("device");
  if (!dn)
    return usage("device " + sub + " needs --name DN");
  if (sub == "log")
    return device_log(**env, *pk, *dn, a);
  if (sub == "show") {
    auto t = (*env)->read();
    if (!t)
      return fail(t.error());
    auto d = store::get_device(*t, *pk, *dn);
    if (!d)
      return fail(d.error());
    rapidjson::StringBuffer sb;
    json_writer w(sb);
    write_device(w, *d, false);
    print(sb);
    return 0;
  }
  if (sub != "disable" && sub != "enable" && sub != "delete")
    return usage("device create|list|show|disable|enable|delete|log (see --help)");
  auto t = (*env)->write();
  if (!t)
    return fail(t.error());
  rapidjson::StringBuffer sb;
  json_writer w(sb);
  if (sub == "delete") {
    auto ok = store::delete_device(*t, *pk, *dn);
    if (!ok)
      return fail(ok.error());
    w.StartObject();
    field(w, "productKey", *pk);
    field(w, "deviceName", *dn);
    w.Key("deleted");
    w.Bool(true);
    w.EndObject();
  } else {
    auto d = store::set_disabled(*t, *pk, *dn, sub == "disable");
    if (!d)
      return fail(d.error());
    write_device(w, *d, false);
  }
  if (auto ok = t->commit(); !ok)
    return fail(ok.error());
  print(sb);
  return 0;
}

int app_cmd(const args& a) {
  auto sub = a.words().size() > 1 ? a.words()[1] : "";
  if (sub != "create")
    return usage("app create --product PK [--product PK2]... [--name NAME] [--scope S]...");
  auto env = open_env(a);
  if (!env)
    return fail(env.error());
  auto t = (*env)->write();
  if (!t)
    return fail(t.error());
  auto app = store::create_app(*t, a.get("name").value_or(""), a.all("product"), a.all("scope"));
  if (!app)
    return fail(app.error());
  if (auto ok = t->commit(); !ok)
    return fail(ok.error());
  rapidjson::StringBuffer sb;
  json_writer w(sb);
  w.StartObject();
  field(w, "accessKeyId", app->access_key_id);
  field(w, "accessKeySecret", app->access_key_secret);
  w.Key("products");
  w.StartArray();
  for (auto& p : app->products)
    w.String(p.c_str());
  w.EndArray();
  w.EndObject();
  print(sb);
  return 0;
}

}  // namespace iotb::cli
