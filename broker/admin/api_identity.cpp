// Admin API: POST /api/v1/login, GET /api/v1/audit and the admin users
// (GET/POST /api/v1/users, DELETE /api/v1/users/{name},
// PUT /api/v1/users/{name}/password): what `iotbroker admin user` does,
// over HTTP, so that the console's users page needs nothing private.

#include "broker/admin/registry_json.hpp"
#include "broker/admin/registry_ops.hpp"
#include "broker/admin/server.hpp"
#include "broker/log/log.hpp"
#include "broker/store/admin_store.hpp"

namespace iotb::admin {

namespace {

void login(identity& ids, const std::shared_ptr<api_call>& c) {
  auto b = json_body::parse(c->req.body());
  if (!b)
    return c->fail(b.error());
  auto user = b->string("username", true, 64);
  auto password = b->string("password", true, 1024);
  if (auto e = b->finish())
    return c->fail(*e);
  auto r = ids.login(*user, *password, c->address);
  if (!r) {
    IOTB_LOG_EVENT(info, "admin") << "login refused for user '"
                                  << (store::valid_admin_name(*user) ? *user : "(invalid name)")
                                  << "' from " << c->address << ": " << slug(r.error().code);
    return c->fail(r.error());
  }
  IOTB_LOG(info, "admin") << "login: user '" << *user << "' from " << c->address;
  c->reply(200, render([&](json_writer& w) {
             w.StartObject();
             field(w, "token", r->token);
             field(w, "role", store::to_string(r->role));
             w.Key("expiresAt");
             w.Uint64(r->expires_ms);
             w.EndObject();
           }));
}

void audit_log(store::env& env, const std::shared_ptr<api_call>& c) {
  auto page = parse_page(c->query);
  if (!page)
    return c->fail(page.error());
  env.settle();  // audit lines are queued to the store writer: let them land
  auto t = env.read();
  if (!t)
    return c->fail(t.error());
  std::size_t total = 0;
  auto entries = store::read_audit(*t, page->offset(), page->limit, total);
  if (!entries)
    return c->fail(entries.error());
  c->reply(200, list_body(total, [&](json_writer& w) {
             for (auto& e : *entries)
               write_audit(w, e);
           }));
}

constexpr std::size_t min_password = 8;  // the API's floor (the CLI only refuses empty)

std::optional<std::string> password_field(json_body& b) {
  auto p = b.string("password", true, 1024);
  if (p && p->size() < min_password)
    b.fail("field 'password' must be at least 8 characters");
  return p;
}

void list_users(store::env& env, const std::shared_ptr<api_call>& c) {
  auto users = ops::list_users(env);
  if (!users)
    return c->fail(users.error());
  c->reply(200, list_body(users->size(), [&](json_writer& w) {
             for (auto& u : *users)
               write_user(w, u);
           }));
}

void add_user(store::env& env, const std::shared_ptr<api_call>& c) {
  auto b = json_body::parse(c->req.body());
  if (!b)
    return c->fail(b.error());
  auto name = b->string("name", true, 64);
  auto role_text = b->string("role", true, 16);
  auto password = password_field(*b);
  auto role = store::parse_admin_role(role_text.value_or(""));
  if (role_text && !role)
    b->fail("field 'role' must be admin or viewer");
  if (auto e = b->finish())
    return c->fail(*e);
  c->audit_target = *name;
  auto u = ops::add_user(env, *name, *role, *password);
  if (!u)
    return c->fail(u.error());
  c->reply(201, render([&](json_writer& w) { write_user(w, *u); }));
}

/// Refuses to delete the last admin: nobody could manage users after it.
void delete_user(store::env& env, const std::shared_ptr<api_call>& c) {
  auto name = c->path.value("name");
  auto users = ops::list_users(env);
  if (!users)
    return c->fail(users.error());
  auto admins = std::count_if(users->begin(), users->end(),
                              [](const auto& u) { return u.role == store::admin_role::admin; });
  auto it =
      std::find_if(users->begin(), users->end(), [&](const auto& u) { return u.name == name; });
  if (it != users->end() && it->role == store::admin_role::admin && admins == 1)
    return c->fail({api_errc::conflict, "'" + std::string(name) + "' is the last admin user"});
  if (auto ok = ops::delete_user(env, name); !ok)
    return c->fail(ok.error());
  c->reply(200, render([&](json_writer& w) {
             w.StartObject();
             field(w, "name", name);
             w.Key("deleted");
             w.Bool(true);
             w.EndObject();
           }));
}

/// An admin may set anyone's password; any user their own.
void set_password(store::env& env, const std::shared_ptr<api_call>& c) {
  auto name = c->path.value("name");
  const auto& who = *c->who;
  if (!who.is_admin() && !(who.who == principal::kind::user && who.name == name))
    return c->fail({api_errc::forbidden, "only an admin may set another user's password"});
  auto b = json_body::parse(c->req.body());
  if (!b)
    return c->fail(b.error());
  auto password = password_field(*b);
  if (auto e = b->finish())
    return c->fail(*e);
  auto u = ops::set_password(env, name, *password);
  if (!u)
    return c->fail(u.error());
  c->reply(200, render([&](json_writer& w) { write_user(w, *u); }));
}

}  // namespace

void server::add_identity_routes() {
  route(method::post, "/api/v1/login", access::open,
        [this](const std::shared_ptr<api_call>& c) { login(*identity_, c); });
  route(method::get, "/api/v1/audit", access::admin,
        [this](const std::shared_ptr<api_call>& c) { audit_log(*registry_, c); });
  route(method::get, "/api/v1/users", access::admin,
        [this](const std::shared_ptr<api_call>& c) { list_users(*registry_, c); });
  route(method::post, "/api/v1/users", access::admin,
        [this](const std::shared_ptr<api_call>& c) { add_user(*registry_, c); });
  route(method::del, "/api/v1/users/{name}", access::admin,
        [this](const std::shared_ptr<api_call>& c) { delete_user(*registry_, c); });
  route(method::put, "/api/v1/users/{name}/password", access::read,
        [this](const std::shared_ptr<api_call>& c) { set_password(*registry_, c); });
}

}  // namespace iotb::admin
