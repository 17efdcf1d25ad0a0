/// @file
/// The `rrpc` driver's HTTP/1.1 keep-alive connection (see rrpc_http.hpp).

#include "tools/loadgen/rrpc_http.hpp"

#include <utility>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

namespace iotb::loadgen {

namespace http = boost::beast::http;

http_caller::http_caller(boost::asio::io_context& io, std::string host, std::string authorization)
    : stream_(io), host_(std::move(host)), authorization_(std::move(authorization)) {}

void http_caller::connect(const boost::asio::ip::tcp::endpoint& target,
                          std::function<void(const boost::system::error_code&)> done) {
  stream_.async_connect(target,
                        [this, done = std::move(done)](const boost::system::error_code& ec) {
                          if (!ec)
                            stream_.socket().set_option(boost::asio::ip::tcp::no_delay(true));
                          done(ec);
                        });
}

void http_caller::post(std::string_view target, std::string body, done_fn done) {
  busy_ = true;
  done_ = std::move(done);
  req_ = {};
  req_.method(http::verb::post);
  req_.target(target);
  req_.version(11);
  req_.set(http::field::host, host_);
  req_.set(http::field::authorization, authorization_);
  req_.set(http::field::content_type, "application/json");
  req_.keep_alive(true);
  req_.body() = std::move(body);
  req_.prepare_payload();
  http::async_write(stream_, req_, [this](const boost::system::error_code& ec, std::size_t) {
    if (ec) {
      busy_ = false;
      close();
      auto done = std::move(done_);
      done(ec, 0, {});
      return;
    }
    res_ = {};
    http::async_read(stream_, buffer_, res_,
                     [this](const boost::system::error_code& rec, std::size_t) {
                       busy_ = false;
                       ++calls_;
                       // The callback may post the next call (replacing done_).
                       auto done = std::move(done_);
                       if (rec) {
                         close();
                         done(rec, 0, {});
                         return;
                       }
                       done(rec, res_.result_int(), res_.body());
                     });
  });
}

void http_caller::close() noexcept {
  boost::system::error_code ignored;
  stream_.socket().shutdown(boost::asio::ip::tcp::socket::shutdown_both, ignored);
  stream_.socket().close(ignored);
}

}  // namespace iotb::loadgen
