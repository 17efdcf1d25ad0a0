#include "broker/admin/http_server.hpp"

#include <mutex>
#include <optional>
#include <unordered_map>

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

#include "broker/log/log.hpp"
#include "broker/net/tls_stream.hpp"

namespace iotb::admin {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;

struct http_server::registry {
  std::mutex mu;
  std::unordered_map<connection*, std::weak_ptr<connection>> open;
};

struct responder::state {
  std::shared_ptr<http_server::connection> conn;
  std::string remote;
  std::atomic<bool> done{false};
  void deliver(response r);
  ~state();
};

/// What the responder and `stop()` need of a connection, whatever its
/// stream.
class http_server::connection : public std::enable_shared_from_this<connection> {
 public:
  virtual ~connection() = default;
  /// Starts the connection (after registering it).
  virtual void start() = 0;
  /// Closes the socket (any thread).
  virtual void close() = 0;
  /// Writes `r` in answer to the current request (on the strand).
  virtual void answer(response r) = 0;
  [[nodiscard]] virtual asio::any_io_executor executor() = 0;
};

namespace {

// What differs between HTTP and HTTPS connections: how a connection opens
// and how it ends its sending side. Everything else is the same code.

/// Plain TCP has no handshake.
template <class Handler>
void async_open(beast::tcp_stream& s, Handler&& h) {
  asio::post(s.get_executor(), [h = std::forward<Handler>(h)]() mutable { h(error_code{}); });
}
/// TLS: the server handshake.
template <class Handler>
void async_open(net::tls_stream& s, Handler&& h) {
  s.async_handshake(std::forward<Handler>(h));
}

/// Plain TCP: FIN.
template <class Handler>
void async_end_send(beast::tcp_stream& s, Handler&& h) {
  error_code ignored;
  s.socket().shutdown(tcp::socket::shutdown_send, ignored);
  asio::post(s.get_executor(), [h = std::forward<Handler>(h)]() mutable { h(error_code{}); });
}
/// TLS: close_notify, then FIN.
template <class Handler>
void async_end_send(net::tls_stream& s, Handler&& h) {
  s.async_shutdown([&s, h = std::forward<Handler>(h)](error_code ec) mutable {
    error_code ignored;
    s.next_layer().socket().shutdown(tcp::socket::shutdown_send, ignored);
    h(ec);
  });
}

}  // namespace

/// One client connection over `Stream`; lives on its own strand.
template <class Stream>
class http_server::basic_connection final : public http_server::connection {
 public:
  basic_connection(std::shared_ptr<http_server> srv, Stream stream)
      : srv_(std::move(srv)),
        stream_(std::move(stream)),
        buffer_(srv_->limits_.max_header_bytes + 4096) {
    error_code ec;
    auto ep = lowest().socket().remote_endpoint(ec);
    remote_ = ec ? std::string("?") : ep.address().to_string();
  }
  ~basic_connection() override {
    std::lock_guard lk(srv_->conns_->mu);
    srv_->conns_->open.erase(this);
    srv_->stats_.open.fetch_sub(1);
  }

  void start() override {
    {
      std::lock_guard lk(srv_->conns_->mu);
      srv_->conns_->open.emplace(this, weak_from_this());
    }
    asio::dispatch(stream_.get_executor(), [self = self()] {
      // The handshake counts against the time of the first request.
      self->lowest().expires_after(self->srv_->limits_.request_timeout);
      async_open(self->stream_, [self](error_code ec) {
        if (ec)
          return self->on_open_error(ec);
        self->read();
      });
    });
  }

  void close() override {
    asio::post(stream_.get_executor(), [self = self()] {
      if (!self->upgraded_)
        self->lowest().close();
    });
  }

  void answer(response r) override {
    if (upgraded_ || closed_)
      return;
    r.version(version_);
    r.keep_alive(keep_alive_ && !srv_->stopped_.load());
    r.set(http::field::server, "iotbroker");
    r.prepare_payload();
    bool close_after = !r.keep_alive();  // read before `r` is moved from
    write(std::move(r), close_after);
  }

  asio::any_io_executor executor() override { return stream_.get_executor(); }

 private:
  std::shared_ptr<basic_connection> self() {
    return std::static_pointer_cast<basic_connection>(shared_from_this());
  }
  beast::tcp_stream& lowest() { return beast::get_lowest_layer(stream_); }

  /// The TLS handshake failed (a plain stream never fails to open).
  void on_open_error(error_code ec) {
    if (ec == beast::error::timeout) {
      srv_->stats_.timeouts.fetch_add(1);
      IOTB_LOG_EVENT(info, "admin")
          << "closed " << remote_ << ": TLS handshake not complete within "
          << srv_->limits_.request_timeout.count() << " ms";
      lowest().close();
      return;
    }
    if (ec.category() != net::tls_stream_category()) {
      lowest().close();  // a client that left (a port scan), a reset, stop()
      return;
    }
    srv_->stats_.bad_requests.fetch_add(1);
    if (ec != net::tls_stream_errc::plaintext_http) {
      IOTB_LOG_EVENT(info, "admin")
          << "closed " << remote_ << ": " << ec.message() << " (" << tls_error(stream_) << ")";
      lowest().close();
      return;
    }
    IOTB_LOG_EVENT(info, "admin") << "refused " << remote_
                                  << ": plaintext HTTP on the HTTPS port (400)";
    static constexpr std::string_view plain =
        "HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\n"
        "Connection: close\r\nContent-Length: 71\r\n\r\n"
        R"({"code":"https_required","message":"this port speaks HTTPS, not HTTP."})";
    static_assert(plain.size() - plain.find("\r\n\r\n") - 4 == 71);
    closed_ = true;
    lowest().expires_after(srv_->limits_.write_timeout);
    asio::async_write(lowest(), asio::buffer(plain.data(), plain.size()),
                      [self = self()](error_code, std::size_t) {
                        error_code ignored;
                        self->lowest().socket().shutdown(tcp::socket::shutdown_send, ignored);
                        self->lowest().expires_after(std::chrono::seconds{1});
                        self->drain_lowest();
                      });
  }
  static std::string_view tls_error(beast::tcp_stream&) { return {}; }
  static std::string_view tls_error(net::tls_stream& s) { return s.error(); }

  void read() {
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(srv_->limits_.max_header_bytes));
    parser_->body_limit(srv_->limits_.max_body_bytes);
    lowest().expires_after(srv_->limits_.request_timeout);
    http::async_read(stream_, buffer_, *parser_,
                     [self = self()](error_code ec, std::size_t) { self->on_read(ec); });
  }

  void on_read(error_code ec) {
    if (ec) {
      on_read_error(ec);
      return;
    }
    srv_->stats_.requests.fetch_add(1);
    auto req = parser_->release();
    parser_.reset();
    lowest().expires_never();
    version_ = req.version();
    keep_alive_ = req.keep_alive();
    const auto& hook = srv_->upgrade_hook<Stream>();
    if (hook && beast::websocket::is_upgrade(req) && hook(req, stream_, remote_)) {
      upgraded_ = true;
      return;
    }
    auto st = std::make_shared<responder::state>();
    st->conn = shared_from_this();
    st->remote = remote_;
    srv_->handler_(std::move(req), responder(std::move(st)));
  }

  void on_read_error(error_code ec) {
    bool got_some = parser_ && parser_->got_some();
    if (ec == http::error::end_of_stream || ec == asio::error::operation_aborted ||
        (ec == beast::error::timeout && !got_some)) {
      lowest().close();  // a client that left, an idle keep-alive, stop()
      return;
    }
    if (ec == beast::error::timeout) {
      srv_->stats_.timeouts.fetch_add(1);
      IOTB_LOG_EVENT(info, "admin") << "closed " << remote_ << ": request not complete within "
                                    << srv_->limits_.request_timeout.count() << " ms";
      lowest().close();
      return;
    }
    if (ec == http::error::header_limit || ec == http::error::buffer_overflow) {
      refuse(http::status::request_header_fields_too_large, "header_too_large",
             "header block over " + std::to_string(srv_->limits_.max_header_bytes) + " bytes");
      return;
    }
    if (ec == http::error::body_limit) {
      refuse(http::status::payload_too_large, "body_too_large",
             "body over " + std::to_string(srv_->limits_.max_body_bytes) + " bytes");
      return;
    }
    if (ec.category() == http::make_error_code(http::error::end_of_stream).category() ||
        ec == http::error::partial_message) {
      if (ec == http::error::partial_message) {  // the client left mid-request
        lowest().close();
        return;
      }
      refuse(http::status::bad_request, "bad_request", "malformed request: " + ec.message());
      return;
    }
    if (ec.category() == net::tls_stream_category())
      IOTB_LOG_EVENT(info, "admin")
          << "closed " << remote_ << ": " << ec.message() << " (" << tls_error(stream_) << ")";
    lowest().close();  // connection reset, a bad TLS record and the like
  }

  /// Answers a refusal with `{"code","message"}` and closes.
  void refuse(http::status s, const char* code, const std::string& why) {
    srv_->stats_.bad_requests.fetch_add(1);
    IOTB_LOG_EVENT(info, "admin") << "refused " << remote_ << ": " << why << " ("
                                  << static_cast<unsigned>(s) << ")";
    auto r =
        json_response(s, std::string("{\"code\":\"") + code + "\",\"message\":\"" + why + "\"}");
    r.keep_alive(false);
    r.set(http::field::server, "iotbroker");
    r.prepare_payload();
    write(std::move(r), true);
  }

  void write(response r, bool close_after) {
    auto msg = std::make_shared<response>(std::move(r));
    lowest().expires_after(srv_->limits_.write_timeout);
    http::async_write(stream_, *msg, [self = self(), msg, close_after](error_code ec, std::size_t) {
      if (ec) {
        self->lowest().close();
      } else if (close_after) {
        self->linger_close();
      } else {
        self->read();
      }
    });
  }

  /// Ends the sending side, then reads and discards what the client still
  /// sends (up to one second), so that it sees the answer instead of a
  /// reset.
  void linger_close() {
    closed_ = true;
    lowest().expires_after(std::chrono::seconds{1});
    async_end_send(stream_, [self = self()](error_code) { self->drain_lowest(); });
  }
  /// Reads the raw socket until the client closes or the timer fires.
  void drain_lowest() {
    lowest().async_read_some(asio::buffer(scratch_), [self = self()](error_code ec, std::size_t) {
      if (ec)
        self->lowest().close();
      else
        self->drain_lowest();
    });
  }

  std::shared_ptr<http_server> srv_;
  Stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::string remote_;
  unsigned version_ = 11;
  bool keep_alive_ = true;
  bool upgraded_ = false;
  bool closed_ = false;
  char scratch_[4096];
};

template <>
const basic_upgrade_handler<beast::tcp_stream>& http_server::upgrade_hook<beast::tcp_stream>()
    const noexcept {
  return upgrade_plain_;
}
template <>
const basic_upgrade_handler<net::tls_stream>& http_server::upgrade_hook<net::tls_stream>()
    const noexcept {
  return upgrade_tls_;
}

void http_server::serve(tcp::socket sock) {
  if (tls_) {
    std::make_shared<basic_connection<net::tls_stream>>(
        shared_from_this(), net::tls_stream(beast::tcp_stream(std::move(sock)), tls_))
        ->start();
  } else {
    std::make_shared<basic_connection<beast::tcp_stream>>(shared_from_this(),
                                                          beast::tcp_stream(std::move(sock)))
        ->start();
  }
}

// -- responder ------------------------------------------------------------------

void responder::state::deliver(response r) {
  if (done.exchange(true))
    return;
  asio::post(conn->executor(), [c = conn, r = std::move(r)]() mutable { c->answer(std::move(r)); });
}

responder::state::~state() {
  if (!done.load())
    deliver(json_response(http::status::internal_server_error,
                          R"({"code":"internal","message":"the request was not answered"})"));
}

void responder::send(response r) const {
  s_->deliver(std::move(r));
}

const std::string& responder::remote_address() const noexcept {
  return s_->remote;
}

// -- server ---------------------------------------------------------------------

response json_response(http::status status, std::string body, unsigned version) {
  response r{status, version};
  r.set(http::field::content_type, "application/json");
  r.body() = std::move(body);
  return r;
}

expected<std::shared_ptr<http_server>, std::string> http_server::open(
    asio::io_context& ioc, const tcp::endpoint& ep, http_limits limits, request_handler handler,
    std::shared_ptr<const tls::tls_context> tls) {
  tcp::acceptor acc(asio::make_strand(ioc));
  error_code ec;
  auto where = [&] {
    return ep.address().to_string() + ":" + std::to_string(ep.port()) + ": " + ec.message();
  };
  if (acc.open(ep.protocol(), ec); ec)
    return unexpected{where()};
  acc.set_option(asio::socket_base::reuse_address(true), ec);
  if (acc.bind(ep, ec); ec)
    return unexpected{where()};
  if (acc.listen(asio::socket_base::max_listen_connections, ec); ec)
    return unexpected{where()};
  return std::make_shared<http_server>(ioc, std::move(acc), limits, std::move(handler),
                                       std::move(tls));
}

http_server::http_server(asio::io_context& ioc, tcp::acceptor acceptor, http_limits limits,
                         request_handler handler, std::shared_ptr<const tls::tls_context> tls)
    : ioc_(ioc),
      acceptor_(std::move(acceptor)),
      limits_(limits),
      handler_(std::move(handler)),
      tls_(std::move(tls)),
      conns_(std::make_shared<registry>()) {
  error_code ec;
  port_ = acceptor_.local_endpoint(ec).port();
}

http_server::~http_server() = default;

void http_server::start() {
  asio::dispatch(acceptor_.get_executor(), [self = shared_from_this()] { self->accept(); });
}

void http_server::stop() {
  stopped_ = true;
  asio::post(acceptor_.get_executor(), [self = shared_from_this()] {
    error_code ignored;
    self->acceptor_.close(ignored);
  });
  std::vector<std::shared_ptr<connection>> open;
  {
    std::lock_guard lk(conns_->mu);
    for (auto& [p, w] : conns_->open)
      if (auto c = w.lock())
        open.push_back(std::move(c));
  }
  for (auto& c : open)
    c->close();
}

void http_server::accept() {
  acceptor_.async_accept(asio::make_strand(ioc_), [self = shared_from_this()](error_code ec,
                                                                              tcp::socket sock) {
    if (ec == asio::error::operation_aborted || self->stopped_.load() || !self->acceptor_.is_open())
      return;
    if (!ec) {
      self->stats_.accepted.fetch_add(1);
      if (self->stats_.open.load() >= self->limits_.max_connections) {
        self->stats_.refused.fetch_add(1);
        error_code ignored;
        auto ep = sock.remote_endpoint(ignored);
        IOTB_LOG_EVENT(info, "admin") << "refused " << ep.address().to_string() << ": more than "
                                      << self->limits_.max_connections << " connections (503)";
        static constexpr std::string_view busy =
            "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
            "Connection: close\r\nContent-Length: 55\r\n\r\n"
            R"({"code":"unavailable","message":"too many connections"})";
        if (!self->tls_) {  // a TLS client could not read a plaintext answer
          sock.non_blocking(true, ignored);
          sock.write_some(asio::buffer(busy.data(), busy.size()), ignored);
        }
        sock.close(ignored);
      } else {
        self->stats_.open.fetch_add(1);
        self->serve(std::move(sock));
      }
    }
    self->accept();
  });
}

}  // namespace iotb::admin
