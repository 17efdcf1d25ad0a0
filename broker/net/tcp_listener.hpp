#pragma once
/// @file
/// Accepts TCP connections and spreads them over the I/O pool; each gets a
/// `socket_transport` with the layers its listener's settings call for
/// (TLS, WebSocket, both, or none).

#include <memory>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "broker/config/config.hpp"
#include "broker/net/io_pool.hpp"
#include "broker/net/transport.hpp"
#include "broker/util/expected.hpp"

namespace iotb::net {

/// A listening socket. Lives on the pool's first context.
class tcp_listener : public std::enable_shared_from_this<tcp_listener> {
 public:
  /// Binds `ep`. @returns an error text ("127.0.0.1:1883: address in use").
  [[nodiscard]] static expected<std::shared_ptr<tcp_listener>, std::string> open(
      io_pool& pool, const endpoint& ep, transport_settings settings, connect_handler on_connect);

  /// Starts accepting (any thread).
  void start();
  /// Stops accepting (any thread).
  void stop();
  /// The bound port (useful when binding port... always the configured one).
  [[nodiscard]] std::uint16_t port() const noexcept { return port_; }

  tcp_listener(io_pool& pool, boost::asio::ip::tcp::acceptor acceptor, transport_settings settings,
               connect_handler on_connect);

 private:
  void accept();
  /// Accepts what the backlog holds. @returns false when an error put
  /// accepting off (`accept_later`).
  bool accept_ready();
  void accept_later();

  io_pool& pool_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::shared_ptr<const transport_settings> settings_;
  connect_handler on_connect_;
  std::uint16_t port_ = 0;
  boost::asio::steady_timer backoff_;
};

}  // namespace iotb::net
