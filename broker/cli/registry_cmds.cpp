#include "broker/cli/registry_cmds.hpp"

#include <cstdio>
#include <cstdlib>

#include "broker/admin/registry_json.hpp"
#include "broker/admin/registry_ops.hpp"
#include "broker/cli/json_out.hpp"

// The operations and their JSON are shared with the admin API
// (broker/admin/registry_ops.hpp, registry_json.hpp); this file only maps
// arguments to them.

namespace iotb::cli {

namespace {

namespace ops = admin::ops;

void print(const std::string& json) {
  std::puts(json.c_str());
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

/// Prints a product (without its secret unless asked).
int print_product(const expected<store::product_record, store::error>& p, bool with_secret) {
  if (!p)
    return fail(p.error());
  print(admin::render([&](json_writer& w) { admin::write_product(w, *p, with_secret); }));
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
  return print_product(ops::create_product(env, s), true);
}

int product_update(store::env& env, const args& a, const std::string& what) {
  auto pk = a.get("product");
  if (!pk)
    return usage("product " + what + " needs --product PK");
  ops::product_patch patch;
  if (what == "category") {
    auto c = a.get("category");
    auto cat = c ? parse_category_arg(*c) : std::nullopt;
    if (!cat)
      return usage("product category --product PK --category SUFFIX=pub|sub|pub,sub");
    patch.categories.push_back(*cat);
  } else {
    auto on = a.get("dynamic-register");
    if (!on || (*on != "on" && *on != "off" && *on != "true" && *on != "false"))
      return usage("product set --product PK --dynamic-register on|off");
    patch.dynamic_register = *on == "on" || *on == "true";
  }
  return print_product(ops::update_product(env, *pk, patch), false);
}

int device_create(store::env& env, const args& a, const std::string& pk) {
  long count = std::strtol(a.get("count").value_or("1").c_str(), nullptr, 10);
  auto name = a.get("name").value_or("");
  if (count < 1 || count > 1000000)
    return usage("--count is 1..1000000");
  if (count > 1 && !name.empty())
    return usage("--count and --name exclude each other (names are generated)");
  auto ds = ops::create_devices(env, pk, name, static_cast<std::size_t>(count));
  if (!ds)
    return fail(ds.error());
  if (a.has("csv")) {
    std::string lines = "productKey,deviceName,deviceSecret\n";
    for (auto& d : *ds)
      lines += d.product_key + "," + d.device_name + "," + d.device_secret + "\n";
    std::fputs(lines.c_str(), stdout);
    return 0;
  }
  print(admin::render([&](json_writer& w) {
    if (count > 1)
      w.StartArray();
    for (auto& d : *ds)
      admin::write_device_credentials(w, d);
    if (count > 1)
      w.EndArray();
  }));
  return 0;
}

int device_log(store::env& env, const std::string& pk, const std::string& dn, const args& a) {
  auto limit = std::strtoul(a.get("limit").value_or("100").c_str(), nullptr, 10);
  auto log = ops::device_log(env, pk, dn, limit);
  if (!log)
    return fail(log.error());
  print(admin::render([&](json_writer& w) {
    w.StartArray();
    for (auto& e : *log)
      admin::write_log_entry(w, e);
    w.EndArray();
  }));
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
  if (sub == "show") {
    auto pk = a.get("product");
    if (!pk && a.words().size() > 2)
      pk = a.words()[2];
    if (!pk)
      return usage("product show --product PK");
    return print_product(ops::get_product(**env, *pk), false);
  }
  if (sub == "list") {
    auto ps = ops::list_products(**env);
    if (!ps)
      return fail(ps.error());
    print(admin::render([&](json_writer& w) {
      w.StartArray();
      for (auto& p : *ps)
        admin::write_product(w, p, false);
      w.EndArray();
    }));
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
    auto ds = ops::list_devices(**env, pk.value_or(""));
    if (!ds)
      return fail(ds.error());
    print(admin::render([&](json_writer& w) {
      w.StartArray();
      for (auto& d : *ds)
        admin::write_device(w, d, false);
      w.EndArray();
    }));
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
  expected<store::device_record, store::error> d =
      unexpected{store::error{store::errc::invalid, ""}};
  if (sub == "show") {
    d = ops::get_device(**env, *pk, *dn);
  } else if (sub == "disable" || sub == "enable") {
    d = ops::set_enabled(**env, *pk, *dn, sub == "enable");
  } else if (sub == "delete") {
    auto ok = ops::delete_device(**env, *pk, *dn);
    if (!ok)
      return fail(ok.error());
    print(admin::render([&](json_writer& w) {
      w.StartObject();
      field(w, "productKey", *pk);
      field(w, "deviceName", *dn);
      w.Key("deleted");
      w.Bool(true);
      w.EndObject();
    }));
    return 0;
  } else {
    return usage("device create|list|show|disable|enable|delete|log (see --help)");
  }
  if (!d)
    return fail(d.error());
  print(admin::render([&](json_writer& w) { admin::write_device(w, *d, false); }));
  return 0;
}

int app_cmd(const args& a) {
  auto sub = a.words().size() > 1 ? a.words()[1] : "";
  auto env = open_env(a);
  if (!env)
    return fail(env.error());
  if (sub == "list") {
    auto apps = ops::list_apps(**env);
    if (!apps)
      return fail(apps.error());
    print(admin::render([&](json_writer& w) {
      w.StartArray();
      for (auto& x : *apps)
        admin::write_app(w, x, false);
      w.EndArray();
    }));
    return 0;
  }
  if (sub != "create")
    return usage(
        "app create --product PK [--product PK2]... [--name NAME] [--scope S]... | app list");
  auto app = ops::create_app(**env, a.get("name").value_or(""), a.all("product"), a.all("scope"));
  if (!app)
    return fail(app.error());
  print(admin::render([&](json_writer& w) { admin::write_app(w, *app, true); }));
  return 0;
}

}  // namespace iotb::cli
