#include "plugins/http/client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include <openssl/base.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#ifndef OPENSSL_IS_BORINGSSL
#error "the http sink must be built against BoringSSL (/usr/include/android), not OpenSSL"
#endif

namespace iotb::http_sink {

namespace {

namespace asio = boost::asio;
namespace ssl = asio::ssl;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using boost::system::error_code;
using time_point = std::chrono::steady_clock::time_point;
using unexpected_failure = unexpected<transport_failure>;

/// The largest response body kept (a webhook's answer is short; a larger
/// one ends the connection but its status still counts).
constexpr std::uint64_t max_body_bytes = 1 << 20;
constexpr std::uint32_t max_header_bytes = 16 << 10;

transport_errc classify(const error_code& ec) {
  if (ec == asio::error::timed_out)
    return transport_errc::timed_out;
  if (ec == asio::error::connection_refused)
    return transport_errc::connection_refused;
  if (ec == asio::error::connection_reset || ec == asio::error::broken_pipe ||
      ec == asio::error::connection_aborted || ec == asio::error::eof ||
      ec == bhttp::error::end_of_stream || ec == ssl::error::stream_truncated)
    return transport_errc::connection_reset;
  if (ec.category() == bhttp::make_error_code(bhttp::error::bad_version).category())
    return transport_errc::bad_response;
  return transport_errc::io;
}

/// `ec` during `phase` as a transport failure.
transport_failure failure(const error_code& ec, const char* phase) {
  transport_failure f{classify(ec), {}};
  if (f.code == transport_errc::timed_out)
    f.detail = phase;
  else if (f.code == transport_errc::io || f.code == transport_errc::bad_response)
    f.detail = std::string{phase} + ": " + ec.message();
  return f;
}

}  // namespace

struct client::impl {
  config cfg;
  std::unique_ptr<ssl::context> tls_ctx;  ///< null for http://
  asio::io_context ioc{1};
  tcp::resolver resolver{ioc};
  std::unique_ptr<tcp::socket> plain;             ///< the connection (http)
  std::unique_ptr<ssl::stream<tcp::socket>> tls;  ///< the connection (https)
  boost::beast::flat_buffer buffer;               ///< bytes read past an answer
  std::uint64_t connects = 0;

  [[nodiscard]] bool open() const { return plain != nullptr || tls != nullptr; }
  tcp::socket& lowest() { return tls ? tls->next_layer() : *plain; }

  /// Calls `start(handler)` to begin one asynchronous operation and runs
  /// the io_context until it completes or `deadline` passes; then the
  /// operation is cancelled (the socket closed) and waited for.
  /// @returns the operation's error, or asio::error::timed_out.
  template <class Start>
  error_code run(Start&& start, time_point deadline) {
    error_code result;
    bool done = false;
    start([&result, &done](error_code ec, auto&&...) {
      result = ec;
      done = true;
    });
    ioc.restart();
    ioc.run_until(deadline);
    if (done)
      return result;
    cancel();
    ioc.restart();
    ioc.run();  // the cancelled handlers; they only set `result`
    return asio::error::timed_out;
  }

  /// Cancels what is pending: the socket is closed (the stream objects are
  /// kept until the handlers ran).
  void cancel() noexcept {
    error_code ignored;
    resolver.cancel();
    if (open())
      lowest().close(ignored);
  }

  void close() noexcept {
    cancel();
    ioc.restart();
    ioc.run();
    tls.reset();
    plain.reset();
    buffer.clear();
  }

  template <class F>
  auto with_stream(F&& f) {
    if (tls)
      return f(*tls);
    return f(*plain);
  }

  std::optional<transport_failure> connect(time_point deadline);
  std::optional<transport_failure> handshake(time_point deadline);
  expected<response, transport_failure> send(const request& req, time_point deadline,
                                             bool& got_some);
};

std::optional<transport_failure> client::impl::connect(time_point deadline) {
  const auto& u = cfg.url;
  tcp::resolver::results_type endpoints;
  auto flags = u.ip_literal ? tcp::resolver::numeric_host : tcp::resolver::flags{};
  auto ec = run(
      [&](auto done) {
        resolver.async_resolve(u.host, std::to_string(u.port), flags,
                               [&endpoints, done](error_code e, tcp::resolver::results_type r) {
                                 endpoints = std::move(r);
                                 done(e);
                               });
      },
      deadline);
  if (ec == asio::error::timed_out)
    return transport_failure{transport_errc::timed_out, "resolving " + u.host};
  if (ec)
    return transport_failure{transport_errc::resolve_failed, u.host + ": " + ec.message()};
  if (tls_ctx)
    tls = std::make_unique<ssl::stream<tcp::socket>>(ioc, *tls_ctx);
  else
    plain = std::make_unique<tcp::socket>(ioc);
  ++connects;
  ec = run(
      [&](auto done) {
        asio::async_connect(lowest(), endpoints,
                            [done](error_code e, const tcp::endpoint&) { done(e); });
      },
      deadline);
  if (ec) {
    auto f = failure(ec, "connecting");
    close();
    return f;
  }
  error_code ignored;
  lowest().set_option(tcp::no_delay(true), ignored);
  if (!tls)
    return std::nullopt;
  return handshake(deadline);
}

std::optional<transport_failure> client::impl::handshake(time_point deadline) {
  const auto& u = cfg.url;
  SSL* ssl = tls->native_handle();
  if (!u.ip_literal)  // SNI takes names only
    SSL_set_tlsext_host_name(ssl, u.host.c_str());
  if (!cfg.insecure_skip_verify) {
    tls->set_verify_mode(ssl::verify_peer);
    int ok = u.ip_literal ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), u.host.c_str())
                          : SSL_set1_host(ssl, u.host.c_str());
    if (ok != 1) {
      close();
      return transport_failure{transport_errc::tls_handshake, "cannot set the host to verify"};
    }
  } else {
    tls->set_verify_mode(ssl::verify_none);
  }
  auto ec = run([&](auto done) { tls->async_handshake(ssl::stream_base::client, done); }, deadline);
  if (!ec)
    return std::nullopt;
  transport_failure f;
  const long verify = SSL_get_verify_result(ssl);
  if (ec == asio::error::timed_out)
    f = {transport_errc::timed_out, "TLS handshake"};
  else if (verify != X509_V_OK)
    f = {transport_errc::certificate, X509_verify_cert_error_string(verify)};
  else
    f = {classify(ec) == transport_errc::connection_reset ? transport_errc::connection_reset
                                                          : transport_errc::tls_handshake,
         "TLS handshake: " + ec.message()};
  close();
  return f;
}

expected<response, transport_failure> client::impl::send(const request& req, time_point deadline,
                                                         bool& got_some) {
  bhttp::request<bhttp::string_body> m{bhttp::string_to_verb(req.method), cfg.url.target, 11};
  m.set(bhttp::field::host, cfg.url.authority());
  m.set(bhttp::field::user_agent, "iotbroker-http-sink/1.0");
  m.set(bhttp::field::content_type, "application/json");
  for (const auto& [name, value] : req.headers)
    m.set(name, value);
  m.keep_alive(true);
  m.body() = req.body;
  m.prepare_payload();
  auto ec = run([&](auto done) { with_stream([&](auto& s) { bhttp::async_write(s, m, done); }); },
                deadline);
  if (ec) {
    auto f = failure(ec, "sending the request");
    close();
    return unexpected_failure{std::move(f)};
  }
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(max_body_bytes);
  parser.header_limit(max_header_bytes);
  ec = run(
      [&](auto done) { with_stream([&](auto& s) { bhttp::async_read(s, buffer, parser, done); }); },
      deadline);
  got_some = parser.got_some();
  const bool usable = !ec || (ec == bhttp::error::body_limit && parser.is_header_done());
  if (!usable) {
    auto f = failure(ec, "waiting for the answer");
    close();
    return unexpected_failure{std::move(f)};
  }
  response r;
  auto& msg = parser.get();
  r.status = msg.result_int();
  r.retry_after = std::string{msg[bhttp::field::retry_after]};
  r.body = std::move(msg.body());
  if (ec || !msg.keep_alive())
    close();
  return r;
}

expected<std::unique_ptr<client>, std::string> client::make(const config& cfg) {
  auto p = std::make_unique<impl>();
  p->cfg = cfg;
  if (cfg.url.tls) {
    p->tls_ctx = std::make_unique<ssl::context>(ssl::context::tls_client);
    SSL_CTX_set_min_proto_version(p->tls_ctx->native_handle(), TLS1_2_VERSION);
    if (!cfg.insecure_skip_verify) {
      error_code ec;
      p->tls_ctx->load_verify_file(cfg.ca_file, ec);
      if (ec)
        return unexpected<std::string>{"caFile: cannot load " + cfg.ca_file + ": " + ec.message()};
    }
  }
  return std::unique_ptr<client>{new client{std::move(p)}};
}

client::client(std::unique_ptr<impl> p) : impl_(std::move(p)) {}

client::~client() {
  impl_->close();
}

void client::close() noexcept {
  impl_->close();
}

std::uint64_t client::connects() const noexcept {
  return impl_->connects;
}

expected<response, transport_failure> client::exchange(const request& req, time_point deadline) {
  const bool reused = impl_->open();
  if (!reused)
    if (auto f = impl_->connect(deadline))
      return unexpected_failure{std::move(*f)};
  bool got_some = false;
  auto r = impl_->send(req, deadline, got_some);
  // A kept-alive connection that the peer closed meanwhile (its idle
  // timeout): once more on a new one, within the same deadline.
  if (!r && reused && !got_some && r.error().code == transport_errc::connection_reset) {
    if (auto f = impl_->connect(deadline))
      return unexpected_failure{std::move(*f)};
    r = impl_->send(req, deadline, got_some);
  }
  return r;
}

}  // namespace iotb::http_sink
