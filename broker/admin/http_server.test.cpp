#include "broker/admin/http_server.hpp"

#include <gtest/gtest.h>

#include <thread>

#include <boost/asio/connect.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include "broker/tls/cert.hpp"
#include "broker/tls/engine.hpp"
#include "broker/util/temp_dir.hpp"

namespace iotb::admin {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

/// A server on a loopback port, run by one thread.
class HttpServerTest : public ::testing::Test {
 protected:
  void start(http_limits limits, request_handler h,
             std::shared_ptr<const tls::tls_context> tls = nullptr) {
    auto s = http_server::open(ioc_, {asio::ip::make_address("127.0.0.1"), 0}, limits, std::move(h),
                               std::move(tls));
    ASSERT_TRUE(s) << s.error();
    server_ = *s;
    server_->start();
    thread_ = std::thread([this] { ioc_.run(); });
  }
  void start_echo(http_limits limits = {}, std::shared_ptr<const tls::tls_context> tls = nullptr) {
    start(
        limits,
        [](request&& req, responder res) {
          res.send(json_response(http::status::ok,
                                 "{\"target\":\"" + std::string(req.target()) +
                                     "\",\"size\":" + std::to_string(req.body().size()) + "}"));
        },
        std::move(tls));
  }
  void TearDown() override {
    if (server_)
      server_->stop();
    work_.reset();
    ioc_.stop();
    if (thread_.joinable())
      thread_.join();
  }

  tcp::socket connect() {
    tcp::socket s(client_ctx_);
    s.connect({asio::ip::make_address("127.0.0.1"), server_->port()});
    return s;
  }
  /// Sends `raw`, then reads until the server closes or `want` bytes of
  /// text containing "\r\n\r\n" and a complete body arrived (best effort).
  static std::string exchange(tcp::socket& s, std::string_view raw, bool until_close = false) {
    boost::system::error_code ec;
    asio::write(s, asio::buffer(raw.data(), raw.size()), ec);
    std::string out;
    char buf[4096];
    for (;;) {
      auto n = s.read_some(asio::buffer(buf), ec);
      out.append(buf, n);
      if (ec)
        break;
      auto hdr_end = out.find("\r\n\r\n");
      if (!until_close && hdr_end != std::string::npos) {
        auto cl = out.find("Content-Length: ");
        if (cl != std::string::npos) {
          auto len = std::stoul(out.substr(cl + 16));
          if (out.size() >= hdr_end + 4 + len)
            break;
        }
      }
    }
    return out;
  }
  static bool closed_by_peer(tcp::socket& s) {
    char c;
    boost::system::error_code ec;
    s.read_some(asio::buffer(&c, 1), ec);
    return static_cast<bool>(ec);
  }

  asio::io_context ioc_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_{
      asio::make_work_guard(ioc_)};
  asio::io_context client_ctx_;
  std::shared_ptr<http_server> server_;
  std::thread thread_;
};

TEST_F(HttpServerTest, KeepAliveServesSeveralRequests) {
  start_echo();
  auto s = connect();
  auto a = exchange(s, "GET /a HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_TRUE(a.starts_with("HTTP/1.1 200 OK\r\n")) << a;
  EXPECT_NE(a.find(R"({"target":"/a","size":0})"), std::string::npos) << a;
  auto b = exchange(s, "POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc");
  EXPECT_NE(b.find(R"({"target":"/b","size":3})"), std::string::npos) << b;
  EXPECT_NE(b.find("Content-Type: application/json"), std::string::npos);
  EXPECT_EQ(server_->stats().requests.load(), 2u);
}

TEST_F(HttpServerTest, MalformedRequestLineIs400AndClose) {
  start_echo();
  for (auto bad : {"GARBAGE\r\n\r\n", "GET / HTTP/9.9\r\n\r\n", "GET  / HTTP/1.1\r\n\r\n",
                   "GET / HTTP/1.1\r\nBad Header\r\n\r\n"}) {
    auto s = connect();
    auto r = exchange(s, bad, true);
    EXPECT_TRUE(r.starts_with("HTTP/1.1 400 Bad Request")) << bad << " -> " << r;
    EXPECT_NE(r.find("\"code\":\"bad_request\""), std::string::npos) << r;
  }
}

TEST_F(HttpServerTest, HugeHeadersAre431) {
  start_echo();
  auto s = connect();
  std::string req =
      "GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(100 * 1024, 'a') + "\r\n\r\n";
  auto r = exchange(s, req, true);
  EXPECT_TRUE(r.starts_with("HTTP/1.1 431")) << r.substr(0, 200);
}

TEST_F(HttpServerTest, OversizedBodyIs413) {
  http_limits l;
  l.max_body_bytes = 1000;
  start_echo(l);
  auto s = connect();
  std::string req =
      "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n" + std::string(5000, 'x');
  auto r = exchange(s, req, true);
  EXPECT_TRUE(r.starts_with("HTTP/1.1 413")) << r.substr(0, 200);
  // A body just at the limit is fine.
  auto s2 = connect();
  auto ok = exchange(
      s2, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n" + std::string(1000, 'x'));
  EXPECT_TRUE(ok.starts_with("HTTP/1.1 200")) << ok.substr(0, 200);
}

TEST_F(HttpServerTest, SlowClientIsCutOffAndOthersAreServed) {
  http_limits l;
  l.request_timeout = 300ms;
  start_echo(l);
  auto slow = connect();
  asio::write(slow, asio::buffer(std::string_view("GET / HTTP/1.1\r\nHo")));
  auto t0 = std::chrono::steady_clock::now();
  auto other = connect();
  auto r = exchange(other, "GET /fast HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_TRUE(r.starts_with("HTTP/1.1 200")) << r;
  EXPECT_TRUE(closed_by_peer(slow));
  auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_LT(took, 3s);
  // Beast closes the socket when the deadline passes, just before our
  // handler counts it.
  for (int i = 0; i < 200 && server_->stats().timeouts.load() == 0; ++i)
    std::this_thread::sleep_for(5ms);
  EXPECT_EQ(server_->stats().timeouts.load(), 1u);
}

TEST_F(HttpServerTest, ConnectionCapAnswers503) {
  http_limits l;
  l.max_connections = 2;
  start_echo(l);
  auto a = connect();
  auto b = connect();
  exchange(a, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");  // both are registered by now
  exchange(b, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  auto c = connect();
  auto r = exchange(c, "", true);
  EXPECT_TRUE(r.starts_with("HTTP/1.1 503")) << r;
  EXPECT_NE(r.find("too many connections"), std::string::npos);
  EXPECT_EQ(server_->stats().refused.load(), 1u);
}

TEST_F(HttpServerTest, AnswersMayComeFromAnotherThreadLater) {
  std::vector<std::thread> helpers;
  std::mutex mu;
  start({}, [&](request&&, responder res) {
    std::lock_guard lk(mu);
    helpers.emplace_back([res] {
      std::this_thread::sleep_for(50ms);
      res.send(json_response(http::status::accepted, "{}"));
      res.send(json_response(http::status::ok, "{\"second\":1}"));  // ignored
    });
  });
  auto s = connect();
  auto r = exchange(s, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_TRUE(r.starts_with("HTTP/1.1 202")) << r;
  auto r2 = exchange(s, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_TRUE(r2.starts_with("HTTP/1.1 202")) << r2;
  std::lock_guard lk(mu);
  for (auto& t : helpers)
    t.join();
}

TEST_F(HttpServerTest, AForgottenResponderAnswers500) {
  start({}, [](request&&, responder) {});
  auto s = connect();
  auto r = exchange(s, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_TRUE(r.starts_with("HTTP/1.1 500")) << r;
}

TEST_F(HttpServerTest, ConnectionCloseIsHonoured) {
  start_echo();
  auto s = connect();
  auto r = exchange(s, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", true);
  EXPECT_TRUE(r.starts_with("HTTP/1.1 200")) << r;
  EXPECT_NE(r.find("Connection: close"), std::string::npos) << r;
}

TEST_F(HttpServerTest, UpgradeRequestsGoToTheHook) {
  bool hooked = false;
  http_limits l;
  auto s = http_server::open(
      ioc_, {asio::ip::make_address("127.0.0.1"), 0}, l,
      [](request&&, responder res) { res.send(json_response(http::status::not_found, "{}")); });
  ASSERT_TRUE(s);
  server_ = *s;
  server_->set_upgrade_handler([&](request& req, auto& st, const std::string&) {
    if (req.target() != "/ws")
      return false;
    hooked = true;
    boost::system::error_code ec;
    boost::beast::get_lowest_layer(st).socket().close(ec);
    return true;
  });
  server_->start();
  thread_ = std::thread([this] { ioc_.run(); });
  const char* up =
      "GET %s HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
  char buf[512];
  std::snprintf(buf, sizeof buf, up, "/other");
  auto a = connect();
  EXPECT_TRUE(exchange(a, buf).starts_with("HTTP/1.1 404"));
  std::snprintf(buf, sizeof buf, up, "/ws");
  auto b = connect();
  exchange(b, buf, true);
  EXPECT_TRUE(hooked);
}

TEST_F(HttpServerTest, HttpsServesRequestsWithTheSameLimits) {
  temp_dir dir("iotb-https");
  const std::string cert = dir / "cert.pem", key = dir / "key.pem";
  ASSERT_TRUE(tls::make_self_signed(cert, key, {}));
  tls::server_options so;
  so.cert_file = cert;
  so.key_file = key;
  auto sctx = tls::tls_context::make_server(so);
  ASSERT_TRUE(sctx) << sctx.error();
  tls::client_options co;
  co.ca_file = cert;
  co.server_name = "127.0.0.1";
  auto cctx = tls::tls_context::make_client(co);
  ASSERT_TRUE(cctx) << cctx.error();
  http_limits l;
  l.max_body_bytes = 1000;
  start_echo(l, *sctx);
  EXPECT_TRUE(server_->secure());

  net::tls_stream c(boost::beast::tcp_stream(connect()), *cctx);
  boost::system::error_code ec = asio::error::would_block;
  c.async_handshake([&](boost::system::error_code e) { ec = e; });
  client_ctx_.run();
  client_ctx_.restart();
  ASSERT_FALSE(ec) << ec.message() << " " << c.error();
  auto roundtrip = [&](http::verb v, std::string body) {
    request req{v, "/a", 11};
    req.set(http::field::host, "x");
    req.body() = std::move(body);
    req.prepare_payload();
    boost::beast::flat_buffer buf;
    response res;
    http::async_write(c, req, [](boost::system::error_code, std::size_t) {});
    http::async_read(c, buf, res, [&](boost::system::error_code e, std::size_t) { ec = e; });
    client_ctx_.run();
    client_ctx_.restart();
    return res;
  };
  auto ok = roundtrip(http::verb::get, "");
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(ok.result(), http::status::ok);
  EXPECT_EQ(ok.body(), R"({"target":"/a","size":0})");
  auto big = roundtrip(http::verb::post, std::string(5000, 'x'));
  EXPECT_EQ(big.result(), http::status::payload_too_large);

  // Plaintext HTTP on the HTTPS port: a plaintext 400, then close.
  auto p = connect();
  auto r = exchange(p, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", true);
  EXPECT_TRUE(r.starts_with("HTTP/1.1 400 Bad Request")) << r;
  EXPECT_NE(r.find("https_required"), std::string::npos) << r;
}

}  // namespace
}  // namespace iotb::admin
