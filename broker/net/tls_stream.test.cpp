#include "broker/net/tls_stream.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include "broker/tls/cert.hpp"
#include "broker/tls/engine.hpp"
#include "broker/util/temp_dir.hpp"

namespace iotb::net {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;
using tls::tls_context;

/// A connected loopback pair of TCP streams and development certificates;
/// everything runs on one io_context driven by the test thread.
class TlsStreamTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_.emplace("iotb-tls-stream");
    auto ok = tls::make_self_signed(path("cert.pem"), path("key.pem"), {});
    ASSERT_TRUE(ok) << ok.error();
  }
  static void TearDownTestSuite() { dir_.reset(); }
  static std::string path(const char* name) { return *dir_ / name; }

  static std::shared_ptr<const tls_context> server_ctx() {
    tls::server_options o;
    o.cert_file = path("cert.pem");
    o.key_file = path("key.pem");
    auto c = tls_context::make_server(o);
    EXPECT_TRUE(c) << c.error();
    return c ? *c : nullptr;
  }
  static std::shared_ptr<const tls_context> client_ctx() {
    tls::client_options o;
    o.ca_file = path("cert.pem");
    o.server_name = "localhost";
    auto c = tls_context::make_client(o);
    EXPECT_TRUE(c) << c.error();
    return c ? *c : nullptr;
  }

  /// Connects a client socket to a server socket over loopback.
  void connect_pair() {
    tcp::acceptor acc(ioc_, {asio::ip::make_address("127.0.0.1"), 0});
    client_.emplace(ioc_);
    client_->connect(acc.local_endpoint());
    server_.emplace(acc.accept());
  }

  asio::io_context ioc_;
  std::optional<tcp::socket> client_;
  std::optional<tcp::socket> server_;
  static inline std::optional<temp_dir> dir_;
};

TEST_F(TlsStreamTest, HandshakeThenLargeMessagesBothWaysThenCloseNotify) {
  connect_pair();
  tls_stream s(boost::beast::tcp_stream(std::move(*server_)), server_ctx());
  tls_stream c(boost::beast::tcp_stream(std::move(*client_)), client_ctx());
  error_code s_ec = asio::error::would_block, c_ec = asio::error::would_block;
  s.async_handshake([&](error_code ec) { s_ec = ec; });
  c.async_handshake([&](error_code ec) { c_ec = ec; });
  ioc_.run();
  ioc_.restart();
  ASSERT_FALSE(s_ec) << s_ec.message() << " " << s.error();
  ASSERT_FALSE(c_ec) << c_ec.message() << " " << c.error();
  EXPECT_FALSE(s.version().empty());

  // More than one write chunk and many records, read back exactly.
  std::string up(3 * tls_stream::write_chunk + 123, 'u'), down(100'000, 'd');
  for (std::size_t i = 0; i < up.size(); ++i)
    up[i] = static_cast<char>('a' + i % 26);
  std::string got_up(up.size(), '\0'), got_down(down.size(), '\0');
  error_code e1, e2, e3, e4;
  asio::async_write(c, asio::buffer(up), [&](error_code ec, std::size_t) { e1 = ec; });
  asio::async_read(s, asio::buffer(got_up), [&](error_code ec, std::size_t) { e2 = ec; });
  asio::async_write(s, asio::buffer(down), [&](error_code ec, std::size_t) { e3 = ec; });
  asio::async_read(c, asio::buffer(got_down), [&](error_code ec, std::size_t) { e4 = ec; });
  ioc_.run();
  ioc_.restart();
  EXPECT_FALSE(e1 || e2 || e3 || e4)
      << e1.message() << e2.message() << e3.message() << e4.message();
  EXPECT_EQ(got_up, up);
  EXPECT_EQ(got_down, down);

  // close_notify: the server's next read ends with eof; writes then fail.
  error_code shut, after;
  char one = 0;
  c.async_shutdown([&](error_code ec) { shut = ec; });
  s.async_read_some(asio::buffer(&one, 1), [&](error_code ec, std::size_t) { after = ec; });
  ioc_.run();
  ioc_.restart();
  EXPECT_FALSE(shut) << shut.message();
  EXPECT_EQ(after, asio::error::eof);
  error_code late;
  c.async_write_some(asio::buffer("x", 1), [&](error_code ec, std::size_t) { late = ec; });
  ioc_.run();
  EXPECT_EQ(late, tls_stream_errc::not_open);
}

TEST_F(TlsStreamTest, PlaintextHttpIsToldApartFromOtherHandshakeFailures) {
  for (std::string_view hello : {std::string_view{"GET / HTTP/1.1\r\nHost: x\r\n\r\n"},
                                 std::string_view{"\x16\x03\x01\x00\x05garbagegarbage", 19}}) {
    connect_pair();
    tls_stream s(boost::beast::tcp_stream(std::move(*server_)), server_ctx());
    asio::write(*client_, asio::buffer(hello.data(), hello.size()));
    error_code s_ec;
    s.async_handshake([&](error_code ec) { s_ec = ec; });
    ioc_.run();
    ioc_.restart();
    if (hello.starts_with("GET")) {
      EXPECT_EQ(s_ec, tls_stream_errc::plaintext_http) << s_ec.message();
      // No alert was sent: the caller may still answer in HTTP.
      client_->non_blocking(true);
      char b[64];
      error_code rec;
      client_->read_some(asio::buffer(b), rec);
      EXPECT_EQ(rec, asio::error::would_block);
    } else {
      EXPECT_EQ(s_ec, tls_stream_errc::handshake_failed) << s_ec.message();
      EXPECT_FALSE(s.error().empty());
    }
  }
}

TEST_F(TlsStreamTest, PeerThatLeavesMidHandshakeIsEof) {
  connect_pair();
  tls_stream s(boost::beast::tcp_stream(std::move(*server_)), server_ctx());
  asio::write(*client_, asio::buffer("\x16\x03\x01", 3));
  client_->close();
  error_code s_ec;
  s.async_handshake([&](error_code ec) { s_ec = ec; });
  ioc_.run();
  EXPECT_EQ(s_ec, asio::error::eof) << s_ec.message();
}

}  // namespace
}  // namespace iotb::net
