// Admin API: products, devices, device log and application credentials
// (SPEC §12), through the operations the CLI uses (registry_ops.hpp) and
// the same JSON (registry_json.hpp).

#include <algorithm>

#include "broker/admin/registry_json.hpp"
#include "broker/admin/registry_ops.hpp"
#include "broker/admin/server.hpp"

namespace iotb::admin {

namespace {

using call_ptr = std::shared_ptr<api_call>;

/// Devices one POST may create (each is one record in one transaction).
constexpr std::uint64_t max_devices_per_request = 10'000;

/// Reads `"categories":[{"suffix"|"topic","perms"}]` into `out`.
void read_categories(json_body& b, std::vector<store::category_record>& out) {
  auto* v = b.raw("categories");
  if (!v)
    return;
  if (!v->IsArray())
    return b.fail("field 'categories' must be an array of {\"suffix\",\"perms\"}");
  for (auto& c : v->GetArray()) {
    if (!c.IsObject() || !c.HasMember("perms") || !c["perms"].IsString())
      return b.fail("each category needs \"suffix\" (or \"topic\") and \"perms\"");
    store::category_record r;
    if (c.HasMember("suffix") && c["suffix"].IsString()) {
      r.suffix = c["suffix"].GetString();
    } else if (c.HasMember("topic") && c["topic"].IsString()) {
      std::string topic = c["topic"].GetString();
      auto at = topic.find("/user/");
      if (at == std::string::npos)
        return b.fail("category topic '" + topic + "' must contain /user/");
      r.suffix = topic.substr(at + 6);
    } else {
      return b.fail("each category needs \"suffix\" (or \"topic\") and \"perms\"");
    }
    std::string_view perms = c["perms"].GetString();
    r.pub = perms == "pub" || perms == "pub,sub" || perms == "sub,pub";
    r.sub = perms == "sub" || perms == "pub,sub" || perms == "sub,pub";
    if (!r.pub && !r.sub)
      return b.fail("category perms must be pub, sub or pub,sub");
    out.push_back(std::move(r));
  }
}

void list_products(store::env& env, const call_ptr& c) {
  auto page = parse_page(c->query);
  if (!page)
    return c->fail(page.error());
  auto ps = ops::list_products(env);
  if (!ps)
    return c->fail(ps.error());
  std::erase_if(*ps, [&](auto& p) { return !c->who->may_see(p.product_key); });
  auto total = ps->size();
  auto first = std::min(page->offset(), total);
  auto last = std::min(first + page->limit, total);
  c->reply(200, list_body(total, [&](json_writer& w) {
             for (auto i = first; i < last; ++i)
               write_product(w, (*ps)[i], false);
           }));
}

void create_product(store::env& env, const call_ptr& c) {
  auto b = json_body::parse(c->req.body());
  if (!b)
    return c->fail(b.error());
  store::product_spec s;
  s.name = b->string("name", true, 64).value_or("");
  auto node = b->string("nodeType").value_or("direct");
  auto fmt = b->string("dataFormat").value_or("alink");
  s.dynamic_register = b->boolean("dynamicRegister").value_or(false);
  s.description = b->string("description", false, 1024).value_or("");
  read_categories(*b, s.categories);
  if (node == "gateway")
    s.node = store::node_type::gateway;
  else if (node == "sub-device")
    s.node = store::node_type::sub_device;
  else if (node != "direct")
    b->fail("field 'nodeType' must be direct, gateway or sub-device");
  if (fmt == "custom")
    s.format = store::data_format::custom;
  else if (fmt != "alink")
    b->fail("field 'dataFormat' must be alink or custom");
  if (auto e = b->finish())
    return c->fail(*e);
  auto p = ops::create_product(env, s);
  if (!p)
    return c->fail(p.error());
  c->audit_target = p->product_key;
  c->reply(201, render([&](json_writer& w) { write_product(w, *p, true); }));
}

void get_product(store::env& env, const call_ptr& c) {
  auto p = ops::get_product(env, c->path.value("pk"));
  if (!p)
    return c->fail(p.error());
  c->reply(200, render([&](json_writer& w) { write_product(w, *p, false); }));
}

void patch_product(store::env& env, const call_ptr& c) {
  auto b = json_body::parse(c->req.body());
  if (!b)
    return c->fail(b.error());
  ops::product_patch patch;
  patch.name = b->string("name", false, 64);
  patch.dynamic_register = b->boolean("dynamicRegister");
  read_categories(*b, patch.categories);
  if (auto e = b->finish())
    return c->fail(*e);
  auto p = ops::update_product(env, c->path.value("pk"), patch);
  if (!p)
    return c->fail(p.error());
  c->reply(200, render([&](json_writer& w) { write_product(w, *p, false); }));
}

void delete_product(store::env& env, const call_ptr& c) {
  auto pk = c->path.value("pk");
  if (auto ok = ops::delete_product(env, pk); !ok)
    return c->fail(ok.error());
  c->reply(200, render([&](json_writer& w) {
             w.StartObject();
             field(w, "productKey", pk);
             w.Key("deleted");
             w.Bool(true);
             w.EndObject();
           }));
}

void list_devices(store::env& env, const call_ptr& c) {
  auto page = parse_page(c->query);
  if (!page)
    return c->fail(page.error());
  store::device_filter f;
  f.name_prefix = c->query.value("name");
  f.after = c->query.value("after");  // keyset paging: the previous page's last name
  if (auto s = c->query.get("state")) {
    f.state = parse_state(*s);
    if (!f.state)
      return c->fail({api_errc::bad_request, "state must be inactive, online or offline"});
  }
  if (auto e = c->query.get("enabled")) {
    if (*e != "true" && *e != "false")
      return c->fail({api_errc::bad_request, "enabled must be true or false"});
    f.enabled = *e == "true";
  }
  auto ds = ops::find_devices(env, c->path.value("pk"), f, page->offset(), page->limit);
  if (!ds)
    return c->fail(ds.error());
  c->reply(200, list_body(ds->total, [&](json_writer& w) {
             for (auto& d : ds->items)
               write_device(w, d, false);
           }));
}

void create_devices(store::env& env, const call_ptr& c) {
  auto b = json_body::parse(c->req.body(), true);
  if (!b)
    return c->fail(b.error());
  auto name = b->string("name", false, 64);
  auto count = b->uint("count", 1, max_devices_per_request);
  if (name && count)
    b->fail("fields 'name' and 'count' exclude each other (names are generated)");
  if (auto e = b->finish())
    return c->fail(*e);
  auto ds = ops::create_devices(env, c->path.value("pk"), name.value_or(""), count.value_or(1));
  if (!ds)
    return c->fail(ds.error());
  c->audit_detail = std::to_string(ds->size()) + " device(s)";
  if (!count) {  // one named (or generated) device: the object itself
    c->audit_target += "/" + ds->front().device_name;
    return c->reply(201, render([&](json_writer& w) { write_device_credentials(w, ds->front()); }));
  }
  c->reply(201, list_body(ds->size(), [&](json_writer& w) {
             for (auto& d : *ds)
               write_device_credentials(w, d);
           }));
}

void get_device(store::env& env, const call_ptr& c) {
  auto d = ops::get_device(env, c->path.value("pk"), c->path.value("dn"));
  if (!d)
    return c->fail(d.error());
  c->reply(200, render([&](json_writer& w) { write_device(w, *d, false); }));
}

void patch_device(store::env& env, const call_ptr& c) {
  auto b = json_body::parse(c->req.body());
  if (!b)
    return c->fail(b.error());
  auto enabled = b->boolean("enabled", true);
  if (auto e = b->finish())
    return c->fail(*e);
  auto d = ops::set_enabled(env, c->path.value("pk"), c->path.value("dn"), *enabled);
  if (!d)
    return c->fail(d.error());
  c->audit_detail = *enabled ? "enabled" : "disabled";
  c->reply(200, render([&](json_writer& w) { write_device(w, *d, false); }));
}

void delete_device(store::env& env, const call_ptr& c) {
  auto pk = c->path.value("pk");
  auto dn = c->path.value("dn");
  if (auto ok = ops::delete_device(env, pk, dn); !ok)
    return c->fail(ok.error());
  c->reply(200, render([&](json_writer& w) {
             w.StartObject();
             field(w, "productKey", pk);
             field(w, "deviceName", dn);
             w.Key("deleted");
             w.Bool(true);
             w.EndObject();
           }));
}

void device_log(store::env& env, const call_ptr& c) {
  auto page = parse_page(c->query);
  if (!page)
    return c->fail(page.error());
  auto log = ops::device_log(env, c->path.value("pk"), c->path.value("dn"), store::device_log_keep);
  if (!log)
    return c->fail(log.error());
  std::reverse(log->begin(), log->end());  // newest first, like the audit log
  auto total = log->size();
  auto first = std::min(page->offset(), total);
  auto last = std::min(first + page->limit, total);
  c->reply(200, list_body(total, [&](json_writer& w) {
             for (auto i = first; i < last; ++i)
               write_log_entry(w, (*log)[i]);
           }));
}

void list_apps(store::env& env, const call_ptr& c) {
  auto page = parse_page(c->query);
  if (!page)
    return c->fail(page.error());
  auto apps = ops::list_apps(env);
  if (!apps)
    return c->fail(apps.error());
  if (c->who->who == principal::kind::app)  // an application sees itself only
    std::erase_if(*apps, [&](auto& a) { return a.access_key_id != c->who->name; });
  auto total = apps->size();
  auto first = std::min(page->offset(), total);
  auto last = std::min(first + page->limit, total);
  c->reply(200, list_body(total, [&](json_writer& w) {
             for (auto i = first; i < last; ++i)
               write_app(w, (*apps)[i], false);
           }));
}

void read_strings(json_body& b, const char* name, std::vector<std::string>& out) {
  auto* v = b.raw(name);
  if (!v)
    return;
  if (!v->IsArray())
    return b.fail(std::string("field '") + name + "' must be an array of strings");
  for (auto& s : v->GetArray()) {
    if (!s.IsString() || s.GetStringLength() > 64)
      return b.fail(std::string("field '") + name + "' must be an array of strings");
    out.emplace_back(s.GetString(), s.GetStringLength());
  }
}

void create_app(store::env& env, const call_ptr& c) {
  auto b = json_body::parse(c->req.body());
  if (!b)
    return c->fail(b.error());
  auto name = b->string("name", false, 64).value_or("");
  std::vector<std::string> products, scopes;
  read_strings(*b, "products", products);
  read_strings(*b, "scopes", scopes);
  if (auto e = b->finish())
    return c->fail(*e);
  auto app = ops::create_app(env, name, products, scopes);
  if (!app)
    return c->fail(app.error());
  c->audit_target = app->access_key_id;
  c->reply(201, render([&](json_writer& w) { write_app(w, *app, true); }));
}

}  // namespace

void server::add_registry_routes() {
  auto on = [this](method m, const char* pattern, access a,
                   void (*f)(store::env&, const call_ptr&)) {
    route(m, pattern, a, [this, f](const call_ptr& c) { f(*registry_, c); });
  };
  on(method::get, "/api/v1/products", access::read, list_products);
  on(method::post, "/api/v1/products", access::admin, create_product);
  on(method::get, "/api/v1/products/{pk}", access::read, get_product);
  on(method::patch, "/api/v1/products/{pk}", access::admin, patch_product);
  on(method::del, "/api/v1/products/{pk}", access::admin, delete_product);
  on(method::get, "/api/v1/products/{pk}/devices", access::read, list_devices);
  on(method::post, "/api/v1/products/{pk}/devices", access::change, create_devices);
  on(method::get, "/api/v1/products/{pk}/devices/{dn}", access::read, get_device);
  on(method::patch, "/api/v1/products/{pk}/devices/{dn}", access::change, patch_device);
  on(method::del, "/api/v1/products/{pk}/devices/{dn}", access::change, delete_device);
  on(method::get, "/api/v1/products/{pk}/devices/{dn}/log", access::read, device_log);
  on(method::get, "/api/v1/apps", access::read, list_apps);
  on(method::post, "/api/v1/apps", access::admin, create_app);
}

}  // namespace iotb::admin
