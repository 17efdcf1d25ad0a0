#pragma once
/// @file
/// The admin API server (SPEC §12): the HTTP listener, the router, identity
/// (users, tokens, login limiter, application credentials) and the audit
/// log, with the registry endpoints:
///
///   POST /api/v1/login                                 (no credentials)
///   GET  /api/v1/audit                                 (admin)
///   GET/POST /api/v1/products, GET/PATCH/DELETE /api/v1/products/{pk}
///   GET/POST /api/v1/products/{pk}/devices
///   GET/PATCH/DELETE /api/v1/products/{pk}/devices/{dn}
///   GET  /api/v1/products/{pk}/devices/{dn}/log
///   GET/POST /api/v1/apps
///
/// More endpoints (sessions, publish, metrics, ws, ...) are added with
/// `route()` before `start()`; their handlers may answer later from any
/// thread (e.g. from an actor's response handler).
///
/// Threading: connections live on the given io_context; every handler runs
/// on the server's own worker thread (LMDB writes and password hashing
/// never block an I/O thread). Changes (any method but GET) by an
/// authenticated caller are written to the audit log with their result.

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "broker/admin/http_server.hpp"
#include "broker/admin/identity.hpp"
#include "broker/admin/json.hpp"
#include "broker/admin/router.hpp"
#include "broker/store/env.hpp"

namespace iotb::admin {

/// What `server::open` needs besides the io_context and the registry.
struct server_options {
  boost::asio::ip::tcp::endpoint endpoint;  ///< port 0: any free port (tests)
  std::string data_dir;  ///< for `initial-admin-password`; empty: no initial admin
  http_limits http;
  /// A server TLS context: serve HTTPS only (`--admin-tls`); null: HTTP.
  std::shared_ptr<const tls::tls_context> tls;
  login_limits login;
  std::chrono::seconds token_ttl{std::chrono::hours{24}};

  /// Options listening on `host:port` ("localhost" is 127.0.0.1) for the
  /// data directory `data_dir`. Errors: a text for a host that is not an
  /// IP address.
  [[nodiscard]] static expected<server_options, std::string> at(std::string_view host,
                                                                std::uint16_t port,
                                                                std::string data_dir);
};

/// Who may call a route.
enum class access : std::uint8_t {
  open,    ///< anyone (login)
  read,    ///< any authenticated caller (apps: only their products' paths)
  change,  ///< admin users; apps with the `write` scope on their products' paths
  admin,   ///< admin users only
};

/// One API call in progress. Handlers answer with `reply` or `fail`, now or
/// later, from any thread (keep the shared_ptr); only the first answer counts.
struct api_call {
  request req;
  params path;                   ///< the route's `{param}`s
  params query;                  ///< decoded query string
  std::optional<principal> who;  ///< set unless the route is `open`
  std::string address;           ///< the client's IP address
  /// Audit-log fields a handler may refine (defaults: the path parameters).
  std::string audit_target;
  std::string audit_detail;

  /// Sends `status` with a JSON `body` (and audits a change).
  void reply(unsigned status, std::string body);
  /// Sends the error body and status of `e`.
  void fail(const api_error& e);
  /// Sends a response made by the handler (not JSON: the console's files).
  void send(response r);
  /// Sends a store error mapped to its API status (not_found → 404, exists
  /// and in_use → 409, invalid → 400 bad_field, limit → 429, the rest 500/503).
  void fail(const store::error& e);

  // Set by the server.
  std::atomic<bool> replied{false};
  responder res{nullptr};
  std::function<void(api_call&, unsigned)> on_reply;
};

/// Maps a store error to an API error (see `api_call::fail`).
[[nodiscard]] api_error to_api_error(const store::error& e);

class server {
 public:
  using handler = std::function<void(const std::shared_ptr<api_call>&)>;

  /// Binds the listener on `ioc` and, when no admin user exists, creates the
  /// initial one (its password in `<data_dir>/initial-admin-password`).
  /// Errors: a text naming the address or the store problem.
  [[nodiscard]] static expected<std::unique_ptr<server>, std::string> open(
      boost::asio::io_context& ioc, std::shared_ptr<store::env> registry, server_options opts);
  /// As above with default options on `host:port` (see server_options::at).
  [[nodiscard]] static expected<std::unique_ptr<server>, std::string> open(
      boost::asio::io_context& ioc, std::shared_ptr<store::env> registry, std::string_view host,
      std::uint16_t port, std::string data_dir);
  ~server();  ///< `stop()`
  server(const server&) = delete;
  server& operator=(const server&) = delete;

  /// Adds an endpoint; call before `start()`. @returns false for a malformed
  /// or duplicate pattern.
  bool route(method m, std::string_view pattern, access a, handler h);
  /// Starts accepting (any thread).
  void start();
  /// Stops accepting, closes connections, finishes the worker. Idempotent.
  void stop();
  /// The bound port.
  [[nodiscard]] std::uint16_t port() const noexcept { return http_->port(); }
  [[nodiscard]] http_server& http() noexcept { return *http_; }
  [[nodiscard]] identity& ids() noexcept { return *identity_; }
  [[nodiscard]] store::env& registry() noexcept { return *registry_; }

 private:
  server(std::shared_ptr<store::env> registry, server_options opts);
  void dispatch(request&& req, responder res);
  void handle(request&& req, responder res, std::string address);
  void audit(const api_call& c, unsigned status);
  void add_registry_routes();  // api_registry.cpp
  void add_identity_routes();  // api_identity.cpp

  struct route_entry {
    access a;
    handler h;
  };
  std::shared_ptr<store::env> registry_;
  server_options opts_;
  router router_;
  std::vector<route_entry> routes_;
  std::unique_ptr<identity> identity_;
  boost::asio::thread_pool worker_{1};
  std::shared_ptr<http_server> http_;
  struct guard {
    std::mutex mu;
    server* self = nullptr;
  };
  std::shared_ptr<guard> guard_ = std::make_shared<guard>();
  bool stopped_ = false;
};

}  // namespace iotb::admin
