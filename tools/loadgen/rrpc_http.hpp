#pragma once
/// @file
/// One HTTP/1.1 keep-alive connection of the `rrpc` driver (Boost.Beast):
/// one POST in flight at a time (the admin server answers one request at a
/// time per connection), JSON bodies, a fixed `Authorization` header.
///
/// Threads: everything runs on the one io_context thread; callbacks are
/// called there. The object must outlive its operations (the owner keeps
/// it until the io_context has stopped).

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

namespace iotb::loadgen {

class http_caller {
 public:
  /// A finished call: `ec` set when the connection failed (then `status`
  /// is 0 and the connection is closed); else the response's status and
  /// body (valid only during the callback).
  using done_fn = std::function<void(const boost::system::error_code& ec, unsigned status,
                                     std::string_view body)>;

  /// `authorization`: the header's value (e.g. "Bearer …"); `host`: the
  /// Host header.
  http_caller(boost::asio::io_context& io, std::string host, std::string authorization);
  http_caller(const http_caller&) = delete;
  http_caller& operator=(const http_caller&) = delete;

  /// Connects; `done(ec)` when connected or failed.
  void connect(const boost::asio::ip::tcp::endpoint& target,
               std::function<void(const boost::system::error_code&)> done);

  /// POSTs `body` (JSON) to `target` and reads the answer. Precondition:
  /// connected, and no call in flight (`busy()` false).
  void post(std::string_view target, std::string body, done_fn done);

  [[nodiscard]] bool busy() const noexcept { return busy_; }
  /// Completed calls (each one write and at least one read).
  [[nodiscard]] std::uint64_t calls() const noexcept { return calls_; }

  /// Closes the socket (an operation in flight completes with an error).
  void close() noexcept;

 private:
  boost::beast::tcp_stream stream_;
  std::string host_;
  std::string authorization_;
  boost::beast::http::request<boost::beast::http::string_body> req_;
  boost::beast::http::response<boost::beast::http::string_body> res_;
  boost::beast::flat_buffer buffer_;
  done_fn done_;
  bool busy_ = false;
  std::uint64_t calls_ = 0;
};

}  // namespace iotb::loadgen
