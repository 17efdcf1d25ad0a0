#include "broker/admin/server.hpp"

#include <boost/asio/post.hpp>

#include "broker/admin/registry_ops.hpp"
#include "broker/log/log.hpp"

namespace iotb::admin {

namespace asio = boost::asio;

// -- api_call -------------------------------------------------------------------

void api_call::reply(unsigned status, std::string body) {
  if (replied.load())
    return;  // only the first answer counts (send() checks it for good)
  auto r = json_response(static_cast<http::status>(status), std::move(body));
  r.set(http::field::cache_control, "no-store");
  if (status == 401)
    r.set(http::field::www_authenticate, "Bearer");
  send(std::move(r));
}

void api_call::send(response r) {
  if (replied.exchange(true))
    return;  // only the first answer counts
  if (on_reply) {
    auto f = std::move(on_reply);
    on_reply = nullptr;
    f(*this, r.result_int());
  }
  res.send(std::move(r));
}

void api_call::fail(const api_error& e) {
  if (audit_detail.empty())
    audit_detail = e.message;
  reply(status_of(e.code), error_body(e));
}

void api_call::fail(const store::error& e) {
  fail(to_api_error(e));
}

api_error to_api_error(const store::error& e) {
  switch (e.code) {
    case store::errc::not_found:
      return {api_errc::not_found, e.what};
    case store::errc::exists:
      return {api_errc::exists, e.what};
    case store::errc::in_use:
      return {api_errc::conflict, e.what};
    case store::errc::invalid:
      return {api_errc::bad_field, e.what};
    case store::errc::limit:
      return {api_errc::throttled, e.what};
    case store::errc::map_full:
    case store::errc::io:
      return {api_errc::unavailable, "the store is unavailable: " + e.what};
    case store::errc::corrupt:
    case store::errc::format_mismatch:
      break;
  }
  return {api_errc::internal, e.what};
}

// -- server ---------------------------------------------------------------------

expected<server_options, std::string> server_options::at(std::string_view host, std::uint16_t port,
                                                         std::string data_dir) {
  boost::system::error_code ec;
  auto addr = asio::ip::make_address(host == "localhost" ? "127.0.0.1" : std::string(host), ec);
  if (ec)
    return unexpected{"admin: '" + std::string(host) + "' is not an IP address"};
  server_options o;
  o.endpoint = {addr, port};
  o.data_dir = std::move(data_dir);
  return o;
}

server::server(std::shared_ptr<store::env> registry, server_options opts)
    : registry_(std::move(registry)), opts_(std::move(opts)) {
  auto tokens = std::make_shared<token_store>(opts_.token_ttl);
  identity_ = std::make_unique<identity>(registry_, std::move(tokens), opts_.login);
}

expected<std::unique_ptr<server>, std::string> server::open(asio::io_context& ioc,
                                                            std::shared_ptr<store::env> registry,
                                                            server_options opts) {
  std::unique_ptr<server> s(new server(std::move(registry), std::move(opts)));
  if (!s->opts_.data_dir.empty()) {
    auto made = ops::ensure_initial_admin(*s->registry_, s->opts_.data_dir);
    if (!made)
      IOTB_LOG(warn, "admin") << "no admin user exists and the initial one could not be made: "
                              << made.error().what << " (add one with: iotbroker admin user add)";
    else if (!made->empty())
      IOTB_LOG(info, "admin") << "created the admin user 'admin'; its password is in " << *made;
  }
  // Connections may outlive the server by a moment (they close on the
  // io_context): the handler reaches it through a guard `stop()` clears.
  auto guard = s->guard_;
  guard->self = s.get();
  auto http = http_server::open(
      ioc, s->opts_.endpoint, s->opts_.http,
      [guard](request&& req, responder res) {
        std::lock_guard lk(guard->mu);
        if (guard->self)
          guard->self->dispatch(std::move(req), std::move(res));
      },
      s->opts_.tls);
  if (!http)
    return unexpected{http.error()};
  s->http_ = *http;
  s->add_identity_routes();
  s->add_registry_routes();
  return s;
}

expected<std::unique_ptr<server>, std::string> server::open(asio::io_context& ioc,
                                                            std::shared_ptr<store::env> registry,
                                                            std::string_view host,
                                                            std::uint16_t port,
                                                            std::string data_dir) {
  auto o = server_options::at(host, port, std::move(data_dir));
  if (!o)
    return unexpected{o.error()};
  return open(ioc, std::move(registry), std::move(*o));
}

server::~server() {
  stop();
}

bool server::route(method m, std::string_view pattern, access a, handler h) {
  if (!router_.add(m, pattern, routes_.size()))
    return false;
  routes_.push_back({a, std::move(h)});
  return true;
}

void server::start() {
  http_->start();
}

void server::stop() {
  if (stopped_)
    return;
  stopped_ = true;
  {
    std::lock_guard lk(guard_->mu);
    guard_->self = nullptr;
  }
  if (http_)  // null when `open` failed to bind
    http_->stop();
  worker_.join();  // runs what is queued (their answers go nowhere), then ends
}

void server::dispatch(request&& req, responder res) {
  auto address = res.remote_address();
  asio::post(worker_, [this, req = std::move(req), res = std::move(res),
                       address = std::move(address)]() mutable {
    handle(std::move(req), std::move(res), std::move(address));
  });
}

void server::handle(request&& req, responder res, std::string address) {
  auto c = std::make_shared<api_call>();
  c->res = std::move(res);
  c->address = std::move(address);
  auto target = parse_target(std::string_view(req.target().data(), req.target().size()));
  if (!target) {
    c->fail({api_errc::bad_request, "malformed request target"});
    return;
  }
  auto m = parse_method(std::string_view(req.method_string().data(), req.method_string().size()));
  auto found = router_.match(m, target->segments);
  if (!found) {
    if (found.error() == route_errc::method_not_allowed) {
      auto r = json_response(http::status::method_not_allowed,
                             error_body({api_errc::method_not_allowed,
                                         "this path allows " + router_.allowed(target->segments)}));
      r.set(http::field::allow, router_.allowed(target->segments));
      c->res.send(std::move(r));
    } else {
      c->fail({api_errc::not_found, "no such path"});
    }
    return;
  }
  c->path = std::move(found->path);
  c->query = std::move(target->query);
  c->req = std::move(req);
  auto& entry = routes_[found->tag];
  if (entry.a != access::open) {
    auto auth = c->req[http::field::authorization];
    auto who = identity_->authenticate(std::string_view(auth.data(), auth.size()));
    if (!who) {
      c->fail(who.error());
      return;
    }
    c->who = std::move(*who);
    std::string target_name;
    for (auto& [k, v] : c->path.items())
      target_name += (target_name.empty() ? "" : "/") + v;
    c->audit_target = target_name;
    // An answer may come after the server is gone (a call completed by an
    // actor at shutdown): it is audited only while the server lives.
    if (m != method::get)
      c->on_reply = [guard = guard_](api_call& call, unsigned status) {
        std::lock_guard lk(guard->mu);
        if (guard->self)
          guard->self->audit(call, status);
      };
    auto pk = c->path.get("pk");
    if (pk && !c->who->may_see(*pk)) {
      c->fail({api_errc::forbidden,
               "this credential is not granted product '" + std::string(*pk) + "'"});
      return;
    }
    bool allowed =
        entry.a == access::read ||
        (entry.a == access::change && (pk ? c->who->may_change(*pk) : c->who->is_admin())) ||
        (entry.a == access::admin && c->who->is_admin());
    if (!allowed) {
      c->fail({api_errc::forbidden,
               c->who->who == principal::kind::user
                   ? "role '" + std::string(store::to_string(c->who->role)) + "' may not do this"
                   : "this application credential may not do this"});
      return;
    }
  }
  entry.h(c);
}

void server::audit(const api_call& c, unsigned status) {
  store::audit_record r;
  r.who = c.who ? c.who->audit_name() : std::string{};
  r.action = std::string(c.req.method_string()) + " " +
             std::string(c.req.target().substr(0, c.req.target().find('?')));
  r.target = c.audit_target;
  r.address = c.address;
  r.result = static_cast<std::uint16_t>(status);
  r.detail = c.audit_detail.substr(0, 256);
  // Queued to the store writer (grouped, synced within a second): an audit
  // line never makes the next request wait for the disk.
  ops::audit_later(*registry_, std::move(r));
}

}  // namespace iotb::admin
