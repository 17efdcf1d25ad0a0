#pragma once
/// @file
/// The admin HTTP/1.1 server (SPEC §12) on Boost.Beast: keep-alive, one
/// request at a time per connection, asynchronous handlers, and hard limits
/// against hostile clients — every refusal is answered (when the protocol
/// still allows it), closes the connection and writes one log line:
///
/// | what                                        | answer                 |
/// |---------------------------------------------|------------------------|
/// | request line or header block malformed      | 400, close             |
/// | header block over `max_header_bytes`        | 431, close             |
/// | body over `max_body_bytes`                  | 413, close             |
/// | request not complete within `request_timeout` | close (no answer)    |
/// | more than `max_connections` open            | 503, close             |
///
/// A connection holds at most `max_header_bytes` + `max_body_bytes` of
/// request memory, and only for `request_timeout`: slow clients hold
/// neither time nor memory for long.
///
/// Threading: the server runs on the `io_context` it is given; each
/// connection runs on its own strand of it. A handler is called on that
/// strand; it gets a `responder` it may call later, once, from any thread
/// (answers computed by actors arrive on CAF threads): the response is
/// posted back to the connection's strand. A responder dropped without an
/// answer answers 500, so a forgotten path never hangs a client.
///
/// WebSocket: a request for which `beast::websocket::is_upgrade` holds is
/// given, with the connection's stream, to the upgrade handler (if set and
/// it accepts the request); the HTTP server then forgets the connection.
///
/// HTTPS: given a TLS context, every connection is `net::tls_stream` (the
/// broker's BoringSSL engine over the TCP stream) instead of a bare
/// `beast::tcp_stream`; the HTTP code is the same template over either
/// stream. The handshake runs within `request_timeout`; a failed handshake
/// closes the connection with a (rate-limited) log line, and a plaintext
/// HTTP request on the TLS port is answered `400` in plaintext, then
/// closed. Header, body and time limits apply to the decrypted stream.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include "broker/net/tls_stream.hpp"
#include "broker/util/expected.hpp"

namespace iotb::tls {
class tls_context;
}  // namespace iotb::tls

namespace iotb::admin {

namespace http = boost::beast::http;
/// A complete request (body in memory, at most `max_body_bytes`).
using request = http::request<http::string_body>;
/// A response (the server sets Content-Length and keep-alive).
using response = http::response<http::string_body>;

/// Limits of `http_server`; the defaults are SPEC §12's.
struct http_limits {
  std::size_t max_header_bytes = 16 * 1024;  ///< request line + headers
  std::size_t max_body_bytes = 1024 * 1024;  ///< SPEC §12: 1 MiB, else 413
  /// From the first read of a request until it is complete; also how long
  /// an idle keep-alive connection stays open.
  std::chrono::milliseconds request_timeout{10'000};
  /// How long writing a response may take.
  std::chrono::milliseconds write_timeout{10'000};
  std::size_t max_connections = 256;  ///< open connections; beyond: 503 and close
};

/// Answers one request. Copyable; every copy answers the same request.
/// Thread-safety: `send` may be called from any thread; only the first call
/// counts. If no copy ever sends, the last one's destruction answers 500.
class responder {
 public:
  struct state;
  explicit responder(std::shared_ptr<state> s) : s_(std::move(s)) {}
  /// Sends `r` (Content-Length, keep-alive and the server header are set
  /// here). Later calls do nothing.
  void send(response r) const;
  /// The client's address ("127.0.0.1").
  [[nodiscard]] const std::string& remote_address() const noexcept;

 private:
  std::shared_ptr<state> s_;
};

/// Handles one request; called on the connection's strand.
using request_handler = std::function<void(request&& req, responder res)>;

/// Takes over a WebSocket upgrade request with its stream (on the
/// connection's strand). Returns false to decline (the server then passes
/// the request to the request handler, which answers it like any other).
/// When it returns true it owns `stream` (moves from it, and must answer
/// on it). `Stream` is `boost::beast::tcp_stream` (HTTP) or
/// `net::tls_stream` (HTTPS).
template <class Stream>
using basic_upgrade_handler =
    std::function<bool(request& req, Stream& stream, const std::string& remote)>;

/// Counters (for tests and metrics).
struct http_stats {
  std::atomic<std::uint64_t> accepted{0};
  std::atomic<std::uint64_t> refused{0};  ///< over max_connections
  std::atomic<std::uint64_t> requests{0};
  std::atomic<std::uint64_t> bad_requests{0};  ///< 400, 413, 431
  std::atomic<std::uint64_t> timeouts{0};
  std::atomic<std::size_t> open{0};  ///< connections now open
};

/// The listener and its connections.
class http_server : public std::enable_shared_from_this<http_server> {
 public:
  /// Binds `ep` on `ioc` (port 0 picks a free port: see `port()`). Nothing
  /// is accepted before `start()`. With `tls` (a server context) it serves
  /// HTTPS only. Errors: a text naming the address ("127.0.0.1:18083:
  /// Address already in use").
  [[nodiscard]] static expected<std::shared_ptr<http_server>, std::string> open(
      boost::asio::io_context& ioc, const boost::asio::ip::tcp::endpoint& ep, http_limits limits,
      request_handler handler, std::shared_ptr<const tls::tls_context> tls = nullptr);

  /// Sets the WebSocket upgrade hook; call before `start()`. `h` must be
  /// callable as a `basic_upgrade_handler` of both stream types (a generic
  /// lambda taking `auto& stream`).
  template <class F>
  void set_upgrade_handler(F h) {
    upgrade_plain_ = h;
    upgrade_tls_ = std::move(h);
  }
  /// True when serving HTTPS.
  [[nodiscard]] bool secure() const noexcept { return tls_ != nullptr; }
  /// Starts accepting (any thread).
  void start();
  /// Stops accepting and closes every open connection (any thread;
  /// asynchronous: it happens on the io_context).
  void stop();
  /// The bound port.
  [[nodiscard]] std::uint16_t port() const noexcept { return port_; }
  [[nodiscard]] const http_limits& limits() const noexcept { return limits_; }
  [[nodiscard]] http_stats& stats() noexcept { return stats_; }

  /// Public for make_shared; use `open`.
  http_server(boost::asio::io_context& ioc, boost::asio::ip::tcp::acceptor acceptor,
              http_limits limits, request_handler handler,
              std::shared_ptr<const tls::tls_context> tls);
  ~http_server();

  class connection;
  template <class Stream>
  class basic_connection;

 private:
  void accept();
  /// Starts serving an accepted socket (plain or TLS).
  void serve(boost::asio::ip::tcp::socket sock);
  /// The upgrade hook for connections over `Stream`.
  template <class Stream>
  [[nodiscard]] const basic_upgrade_handler<Stream>& upgrade_hook() const noexcept;

  boost::asio::io_context& ioc_;
  boost::asio::ip::tcp::acceptor acceptor_;
  http_limits limits_;
  request_handler handler_;
  std::shared_ptr<const tls::tls_context> tls_;
  basic_upgrade_handler<boost::beast::tcp_stream> upgrade_plain_;
  basic_upgrade_handler<net::tls_stream> upgrade_tls_;
  std::uint16_t port_ = 0;
  http_stats stats_;
  std::atomic<bool> stopped_{false};
  /// Open connections, for `stop()` (guarded by mu_).
  struct registry;
  std::shared_ptr<registry> conns_;
  friend class connection;
  template <class Stream>
  friend class basic_connection;
};

/// A JSON response: `status`, `Content-Type: application/json`, `body`.
[[nodiscard]] response json_response(http::status status, std::string body, unsigned version = 11);

}  // namespace iotb::admin
