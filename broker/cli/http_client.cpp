#include "broker/cli/http_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

namespace iotb::cli {

namespace http = boost::beast::http;
using boost::asio::ip::tcp;

expected<admin_endpoint, std::string> admin_endpoint::parse(std::string_view url) {
  constexpr std::string_view scheme = "http://";
  if (url.starts_with("https://"))
    return unexpected{std::string("https admin listeners are not supported by the CLI yet")};
  if (!url.starts_with(scheme))
    return unexpected{std::string("--admin: give http://HOST:PORT")};
  auto rest = url.substr(scheme.size());
  rest = rest.substr(0, rest.find('/'));
  admin_endpoint ep;
  auto colon = rest.rfind(':');
  if (colon == std::string_view::npos || rest.ends_with(']')) {
    ep.host = std::string(rest);
    ep.port = "80";
  } else {
    ep.host = std::string(rest.substr(0, colon));
    ep.port = std::string(rest.substr(colon + 1));
  }
  if (ep.host.size() > 2 && ep.host.front() == '[' && ep.host.back() == ']')
    ep.host = ep.host.substr(1, ep.host.size() - 2);
  if (ep.host.empty() || ep.port.empty())
    return unexpected{std::string("--admin: give http://HOST:PORT")};
  return ep;
}

expected<http_reply, std::string> http_request(const admin_endpoint& ep, std::string_view method,
                                               std::string_view target, std::string_view body,
                                               std::string_view token,
                                               std::chrono::seconds timeout) {
  boost::asio::io_context ioc;
  boost::beast::error_code ec;
  tcp::resolver resolver(ioc);
  auto found = resolver.resolve(ep.host, ep.port, ec);
  if (ec)
    return unexpected{ep.host + ":" + ep.port + ": " + ec.message()};
  boost::beast::tcp_stream stream(ioc);
  stream.expires_after(timeout);

  http::request<http::string_body> req{http::string_to_verb(method), std::string(target), 11};
  req.set(http::field::host, ep.host);
  req.set(http::field::user_agent, "iotbroker-cli");
  if (!token.empty())
    req.set(http::field::authorization, "Bearer " + std::string(token));
  if (!body.empty()) {
    req.set(http::field::content_type, "application/json");
    req.body() = std::string(body);
  }
  req.prepare_payload();

  http::response<http::string_body> res;
  boost::beast::flat_buffer buf;
  // Asynchronous calls on a local io_context: the stream's deadline
  // applies to each of them (blocking calls would ignore it).
  stream.async_connect(found, [&](const boost::beast::error_code& e, const tcp::endpoint&) {
    if (e) {
      ec = e;
      return;
    }
    http::async_write(stream, req, [&](const boost::beast::error_code& e2, std::size_t) {
      if (e2) {
        ec = e2;
        return;
      }
      http::async_read(stream, buf, res,
                       [&](const boost::beast::error_code& e3, std::size_t) { ec = e3; });
    });
  });
  ioc.run();
  if (ec)
    return unexpected{ep.host + ":" + ep.port + ": " + ec.message()};
  boost::beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  return http_reply{res.result_int(), std::move(res.body())};
}

}  // namespace iotb::cli
