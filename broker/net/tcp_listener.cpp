#include "broker/net/tcp_listener.hpp"

#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include <boost/asio/post.hpp>

#include "broker/log/log.hpp"
#include "broker/net/socket_transport.hpp"
#include "broker/net/tls_layer.hpp"
#include "broker/net/ws_layer.hpp"

namespace iotb::net {

using boost::asio::ip::tcp;

namespace {

/// The byte-stream layers of a new connection, next to the socket first.
std::vector<std::unique_ptr<stream_layer>> make_layers(const transport_settings& s) {
  std::vector<std::unique_ptr<stream_layer>> layers;
  if (s.tls)
    layers.push_back(std::make_unique<tls_layer>(s.tls));
  if (s.websocket) {
    ws_layer::options o;
    o.path = s.ws_path;
    o.max_frame = std::size_t{s.max_packet_size} + 1024;
    layers.push_back(std::make_unique<ws_layer>(std::move(o)));
  }
  return layers;
}

}  // namespace

expected<std::shared_ptr<tcp_listener>, std::string> tcp_listener::open(
    io_pool& pool, const endpoint& ep, transport_settings settings, connect_handler on_connect) {
  boost::system::error_code ec;
  auto host = ep.host == "localhost" ? std::string{"127.0.0.1"} : ep.host;
  auto addr = boost::asio::ip::make_address(host, ec);
  if (ec)
    return unexpected{ep.to_string() + ": bad address: " + ec.message()};
  tcp::endpoint tep{addr, ep.port};
  tcp::acceptor acc{pool.front()};
  acc.open(tep.protocol(), ec);
  if (!ec)
    acc.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec)
    acc.bind(tep, ec);
  if (!ec)
    acc.listen(boost::asio::socket_base::max_listen_connections, ec);
  if (!ec)
    acc.non_blocking(true, ec);  // accept() below loops until EAGAIN
  if (ec)
    return unexpected{ep.to_string() + ": " + ec.message()};
  auto port = acc.local_endpoint(ec).port();
  auto l = std::make_shared<tcp_listener>(pool, std::move(acc), std::move(settings),
                                          std::move(on_connect));
  l->port_ = port;
  return l;
}

tcp_listener::tcp_listener(io_pool& pool, tcp::acceptor acceptor, transport_settings settings,
                           connect_handler on_connect)
    : pool_(pool),
      acceptor_(std::move(acceptor)),
      settings_(std::make_shared<const transport_settings>(std::move(settings))),
      on_connect_(std::move(on_connect)),
      backoff_(acceptor_.get_executor()) {}

void tcp_listener::start() {
  boost::asio::post(acceptor_.get_executor(), [self = shared_from_this()] { self->accept(); });
}

void tcp_listener::stop() {
  boost::asio::post(acceptor_.get_executor(), [self = shared_from_this()] {
    boost::system::error_code ec;
    self->acceptor_.close(ec);
  });
}

void tcp_listener::accept() {
  // One readiness wait, then every pending connection in one go: a storm's
  // connections do not each pay a wait. The socket goes straight to its
  // I/O thread's poller; Asio never registers it.
  acceptor_.async_wait(
      tcp::acceptor::wait_read, [self = shared_from_this()](const boost::system::error_code& ec) {
        if (ec == boost::asio::error::operation_aborted || !self->acceptor_.is_open())
          return;
        if (!ec && !self->accept_ready())
          return;  // retried later
        self->accept();
      });
}

bool tcp_listener::accept_ready() {
  constexpr int max_per_wake = 256;
  for (int i = 0; i < max_per_wake; ++i) {
    int fd = ::accept4(acceptor_.native_handle(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK)
        return true;
      if (errno == EINTR || errno == ECONNABORTED)
        continue;
      // E.g. EMFILE: the backlog holds the peer; retry shortly instead of
      // spinning on an error that persists until a descriptor is freed.
      IOTB_LOG_LIMITED(warn, "net")
          << "accept on port " << port_ << " failed: " << std::strerror(errno);
      accept_later();
      return false;
    }
    auto& p = pool_.next();
    auto t =
        std::make_shared<socket_transport>(fd, p, settings_, on_connect_, make_layers(*settings_));
    boost::asio::post(p.context(), [t] { t->start(); });
  }
  return true;
}

void tcp_listener::accept_later() {
  backoff_.expires_after(std::chrono::milliseconds{100});
  backoff_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
    if (!ec && self->acceptor_.is_open())
      self->accept();
  });
}

}  // namespace iotb::net
