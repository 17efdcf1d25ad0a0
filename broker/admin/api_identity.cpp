// Admin API: POST /api/v1/login and GET /api/v1/audit (SPEC §12).

#include "broker/admin/registry_json.hpp"
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

}  // namespace

void server::add_identity_routes() {
  route(method::post, "/api/v1/login", access::open,
        [this](const std::shared_ptr<api_call>& c) { login(*identity_, c); });
  route(method::get, "/api/v1/audit", access::admin,
        [this](const std::shared_ptr<api_call>& c) { audit_log(*registry_, c); });
}

}  // namespace iotb::admin
