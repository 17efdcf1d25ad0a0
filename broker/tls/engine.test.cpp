#include "broker/tls/engine.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <random>

#include "broker/tls/cert.hpp"

namespace iotb::tls {
namespace {

/// A development certificate in a temporary directory.
class TlsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    char tmpl[] = "/tmp/iotb-tls-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    auto ok = make_self_signed(dir_ + "/cert.pem", dir_ + "/key.pem", {});
    ASSERT_TRUE(ok) << ok.error();
    auto other = make_self_signed(dir_ + "/other.pem", dir_ + "/other-key.pem", {});
    ASSERT_TRUE(other) << other.error();
  }
  static void TearDownTestSuite() { std::filesystem::remove_all(dir_); }

  static std::shared_ptr<const tls_context> server() {
    auto s = tls_context::make_server({dir_ + "/cert.pem", dir_ + "/key.pem", "", false, ""});
    EXPECT_TRUE(s) << s.error();
    return *s;
  }
  static std::shared_ptr<const tls_context> client(client_options o = {}) {
    if (o.ca_file.empty())
      o.ca_file = dir_ + "/cert.pem";
    if (o.server_name.empty())
      o.server_name = "localhost";
    auto c = tls_context::make_client(o);
    EXPECT_TRUE(c) << c.error();
    return *c;
  }

  /// Moves ciphertext both ways until neither side has output.
  static void pump(tls_engine& a, tls_engine& b, std::vector<std::uint8_t>& a_in,
                   std::vector<std::uint8_t>& b_in) {
    for (int i = 0; i < 100 && (a.has_output() || b.has_output()); ++i) {
      if (a.has_output()) {
        auto out = a.output();
        std::vector<std::uint8_t> copy(out.begin(), out.end());
        a.consume_output(copy.size());
        if (b.feed(copy) != tls_engine::status::failed)
          (void)b.read_plain(b_in);
      }
      if (b.has_output()) {
        auto out = b.output();
        std::vector<std::uint8_t> copy(out.begin(), out.end());
        b.consume_output(copy.size());
        if (a.feed(copy) != tls_engine::status::failed)
          (void)a.read_plain(a_in);
      }
    }
  }

  static std::string dir_;
};
std::string TlsTest::dir_;

TEST_F(TlsTest, HandshakeAndDataTls13) {
  auto c = tls_engine::make(client());
  auto s = tls_engine::make(server());
  std::vector<std::uint8_t> c_in, s_in;
  pump(*c, *s, c_in, s_in);
  ASSERT_TRUE(c->handshake_done()) << c->error();
  ASSERT_TRUE(s->handshake_done()) << s->error();
  EXPECT_EQ(s->version(), "TLSv1.3");
  const std::uint8_t hello[] = {'h', 'e', 'l', 'l', 'o'};
  ASSERT_EQ(c->write_plain(hello), tls_engine::status::ok);
  pump(*c, *s, c_in, s_in);
  EXPECT_EQ(std::string(s_in.begin(), s_in.end()), "hello");
}

TEST_F(TlsTest, Tls12WithRsaKeyExchangeAndALargeTransfer) {
  client_options o;
  o.max_version_12 = true;
  o.cipher_list = "AES128-SHA";
  auto c = tls_engine::make(client(o));
  auto s = tls_engine::make(server());
  std::vector<std::uint8_t> c_in, s_in;
  pump(*c, *s, c_in, s_in);
  ASSERT_TRUE(s->handshake_done()) << s->error() << c->error();
  EXPECT_EQ(s->version(), "TLSv1.2");
  EXPECT_EQ(s->cipher(), "AES128-SHA");  // TLS_RSA_WITH_AES_128_CBC_SHA
  std::vector<std::uint8_t> big(1 << 20);
  std::mt19937 rng(7);
  for (auto& b : big)
    b = static_cast<std::uint8_t>(rng());
  // In random chunk sizes, server to client.
  std::size_t off = 0;
  while (off < big.size()) {
    auto n = std::min<std::size_t>(big.size() - off, 1 + rng() % 40000);
    ASSERT_EQ(s->write_plain({big.data() + off, n}), tls_engine::status::ok);
    off += n;
    pump(*s, *c, s_in, c_in);
  }
  EXPECT_EQ(c_in, big);
}

TEST_F(TlsTest, UntrustedCertificateFailsVerification) {
  client_options o;
  o.ca_file = dir_ + "/other.pem";
  auto c = tls_engine::make(client(o));
  auto s = tls_engine::make(server());
  std::vector<std::uint8_t> c_in, s_in;
  pump(*c, *s, c_in, s_in);
  EXPECT_FALSE(c->handshake_done());
  EXPECT_NE(c->error().find("CERTIFICATE_VERIFY_FAILED"), std::string_view::npos) << c->error();
}

TEST_F(TlsTest, ServerNameIsChecked) {
  client_options o;
  o.server_name = "example.com";
  auto c = tls_engine::make(client(o));
  auto s = tls_engine::make(server());
  std::vector<std::uint8_t> c_in, s_in;
  pump(*c, *s, c_in, s_in);
  EXPECT_FALSE(c->handshake_done());
  EXPECT_FALSE(c->error().empty());
}

TEST_F(TlsTest, PlaintextMqttOnTheTlsPortFailsCleanly) {
  auto s = tls_engine::make(server());
  const std::uint8_t connect[] = {0x10, 0x0c, 0x00, 0x04, 'M',  'Q',  'T',
                                  'T',  0x04, 0x02, 0x00, 0x3c, 0x00, 0x00};
  EXPECT_EQ(s->feed(connect), tls_engine::status::failed);
  EXPECT_FALSE(s->error().empty());
  std::vector<std::uint8_t> out;
  EXPECT_EQ(s->read_plain(out), tls_engine::status::failed);
  EXPECT_TRUE(out.empty());
}

TEST_F(TlsTest, GarbageAfterHandshakeFails) {
  auto c = tls_engine::make(client());
  auto s = tls_engine::make(server());
  std::vector<std::uint8_t> c_in, s_in;
  pump(*c, *s, c_in, s_in);
  ASSERT_TRUE(s->handshake_done());
  const std::uint8_t junk[] = {0x17, 0x03, 0x03, 0x00, 0x05, 1, 2, 3, 4, 5};
  (void)s->feed(junk);
  std::vector<std::uint8_t> out;
  EXPECT_EQ(s->read_plain(out), tls_engine::status::failed);
}

TEST_F(TlsTest, ClientCertificatesAreVerifiedWhenRequired) {
  server_options so{dir_ + "/cert.pem", dir_ + "/key.pem", dir_ + "/cert.pem", true, ""};
  auto sctx = tls_context::make_server(so);
  ASSERT_TRUE(sctx) << sctx.error();
  // Without a client certificate: refused.
  auto c = tls_engine::make(client());
  auto s = tls_engine::make(*sctx);
  std::vector<std::uint8_t> c_in, s_in;
  pump(*c, *s, c_in, s_in);
  EXPECT_FALSE(s->handshake_done());
  EXPECT_FALSE(s->error().empty());
  EXPECT_TRUE(s->peer_cert_subject().empty());
}

TEST_F(TlsTest, ConfigurationErrorsAreClear) {
  auto missing = tls_context::make_server({dir_ + "/nope.pem", dir_ + "/key.pem", "", false, ""});
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().find("nope.pem"), std::string::npos);
  auto mismatch =
      tls_context::make_server({dir_ + "/cert.pem", dir_ + "/other-key.pem", "", false, ""});
  ASSERT_FALSE(mismatch);
  EXPECT_NE(mismatch.error().find("does not match"), std::string::npos) << mismatch.error();
  auto ciphers =
      tls_context::make_server({dir_ + "/cert.pem", dir_ + "/key.pem", "", false, "NOPE-SUITE"});
  ASSERT_FALSE(ciphers);
  EXPECT_NE(ciphers.error().find("cipher"), std::string::npos);
}

TEST_F(TlsTest, DevCertificateKeyIsPrivate) {
  auto st = std::filesystem::status(dir_ + "/key.pem");
  EXPECT_EQ(st.permissions() & std::filesystem::perms::group_all, std::filesystem::perms::none);
  EXPECT_EQ(st.permissions() & std::filesystem::perms::others_all, std::filesystem::perms::none);
}

}  // namespace
}  // namespace iotb::tls
