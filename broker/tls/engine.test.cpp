#include "broker/tls/engine.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <random>

#include "broker/tls/cert.hpp"
#include "broker/util/temp_dir.hpp"

namespace iotb::tls {
namespace {

using status = tls_engine::status;
using bytes = std::vector<std::uint8_t>;

bytes to_bytes(std::string_view s) {
  return {s.begin(), s.end()};
}

/// A client and a server engine connected in memory.
struct link {
  std::unique_ptr<tls_engine> c;
  std::unique_ptr<tls_engine> s;
  bytes c_in;                ///< plaintext the client received
  bytes s_in;                ///< plaintext the server received
  status c_st = status::ok;  ///< the client's last feed/read status
  status s_st = status::ok;
  std::size_t max_split = 0;  ///< >0: the "socket" moves at most this many bytes per send
  std::mt19937 rng{42};

  link(std::shared_ptr<const tls_context> client, std::shared_ptr<const tls_context> server)
      : c(tls_engine::make(std::move(client))), s(tls_engine::make(std::move(server))) {}

  /// Sends part or all of `from`'s output to `to`, as a socket would.
  void transfer(tls_engine& from, tls_engine& to, bytes& to_in, status& to_st) {
    auto out = from.output();
    std::size_t n = out.size();
    if (max_split > 0)
      n = 1 + rng() % std::min(n, max_split);
    auto st = to.feed(out.first(n));
    from.consume_output(n);
    if (st != status::failed)
      st = to.read_plain(to_in);
    if (to_st != status::failed && to_st != status::closed)
      to_st = st;
  }

  /// Moves ciphertext both ways until neither side has output.
  void pump() {
    for (int i = 0; i < 100000 && (c->has_output() || s->has_output()); ++i) {
      if (c->has_output())
        transfer(*c, *s, s_in, s_st);
      if (s->has_output())
        transfer(*s, *c, c_in, c_st);
    }
  }

  [[nodiscard]] bool connected() {
    pump();
    return c->handshake_done() && s->handshake_done() && !c->failed() && !s->failed();
  }
};

/// Development certificates in a temporary directory.
class TlsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_.emplace("iotb-tls");
    auto ok = make_self_signed(path("cert.pem"), path("key.pem"), {});
    ASSERT_TRUE(ok) << ok.error();
    auto other = make_self_signed(path("other.pem"), path("other-key.pem"), {});
    ASSERT_TRUE(other) << other.error();
  }
  static void TearDownTestSuite() { dir_.reset(); }

  static std::string path(const char* name) { return *dir_ / name; }

  static std::shared_ptr<const tls_context> server(server_options o = {}) {
    if (o.cert_file.empty())
      o.cert_file = path("cert.pem");
    if (o.key_file.empty())
      o.key_file = path("key.pem");
    auto s = tls_context::make_server(o);
    EXPECT_TRUE(s) << s.error();
    return s ? *s : nullptr;
  }
  static std::shared_ptr<const tls_context> client(client_options o = {}) {
    if (o.verify && o.ca_file.empty())
      o.ca_file = path("cert.pem");
    if (o.server_name.empty())
      o.server_name = "localhost";
    auto c = tls_context::make_client(o);
    EXPECT_TRUE(c) << c.error();
    return c ? *c : nullptr;
  }
  static client_options tls12(std::string ciphers = {}) {
    client_options o;
    o.max_version_12 = true;
    o.cipher_list = std::move(ciphers);
    return o;
  }

  /// One message each way over a connected link.
  static void exchange(link& l) {
    ASSERT_EQ(l.c->write_plain(to_bytes("ping")), status::ok);
    ASSERT_EQ(l.s->write_plain(to_bytes("pong")), status::ok);
    l.pump();
    EXPECT_EQ(l.s_in, to_bytes("ping"));
    EXPECT_EQ(l.c_in, to_bytes("pong"));
  }

  static std::optional<temp_dir> dir_;
};
std::optional<temp_dir> TlsTest::dir_;

constexpr std::string_view dev_subject = "CN=localhost,O=iotbroker development";

TEST_F(TlsTest, HandshakeAndDataTls13) {
  link l(client(), server());
  ASSERT_TRUE(l.connected()) << l.c->error() << " / " << l.s->error();
  EXPECT_EQ(l.s->version(), "TLSv1.3");
  EXPECT_EQ(l.c->version(), "TLSv1.3");
  EXPECT_EQ(l.s->cipher().substr(0, 4), "TLS_");
  EXPECT_EQ(l.c->peer_cert_subject(), dev_subject);
  EXPECT_TRUE(l.s->peer_cert_subject().empty());
  exchange(l);
}

TEST_F(TlsTest, Tls12PrefersEcdhe) {
  link l(client(tls12()), server());
  ASSERT_TRUE(l.connected()) << l.c->error() << " / " << l.s->error();
  EXPECT_EQ(l.s->version(), "TLSv1.2");
  EXPECT_EQ(l.s->cipher().substr(0, 10), "ECDHE-RSA-") << l.s->cipher();
  exchange(l);
}

// What the mbedtls device SDKs offer (SPEC §2.2): RSA key exchange only.
TEST_F(TlsTest, Tls12RsaKeyExchangeSuitesOfTheDeviceSdks) {
  for (const char* suite : {"AES128-SHA", "AES256-SHA", "AES128-GCM-SHA256"}) {
    SCOPED_TRACE(suite);
    link l(client(tls12(suite)), server());
    ASSERT_TRUE(l.connected()) << l.c->error() << " / " << l.s->error();
    EXPECT_EQ(l.s->version(), "TLSv1.2");
    EXPECT_EQ(l.s->cipher(), suite);
    exchange(l);
  }
}

TEST_F(TlsTest, NoSharedCipherFails) {
  server_options so;
  so.cipher_list = "ECDHE-RSA-AES256-GCM-SHA384";
  link l(client(tls12("AES128-SHA")), server(so));
  EXPECT_FALSE(l.connected());
  EXPECT_EQ(l.s_st, status::failed);
  EXPECT_EQ(l.s->error(), "no shared cipher");
  EXPECT_EQ(l.c_st, status::failed);  // the server's alert
  EXPECT_FALSE(l.c->error().empty());
}

TEST_F(TlsTest, MebibyteBothWaysInRandomChunksAndSplitRecords) {
  for (const auto& opts : {client_options{}, tls12("AES128-SHA")}) {
    SCOPED_TRACE(opts.max_version_12 ? "TLS 1.2" : "TLS 1.3");
    link l(client(opts), server());
    l.max_split = 3000;  // records arrive in pieces; output is consumed in pieces
    ASSERT_TRUE(l.connected());
    bytes up(1 << 20), down(1 << 20);
    std::mt19937 rng(7);
    for (auto& b : up)
      b = static_cast<std::uint8_t>(rng());
    for (auto& b : down)
      b = static_cast<std::uint8_t>(rng());
    std::size_t up_off = 0, down_off = 0;
    while (up_off < up.size() || down_off < down.size()) {
      auto n = std::min<std::size_t>(up.size() - up_off, 1 + rng() % 40000);
      ASSERT_EQ(l.c->write_plain({up.data() + up_off, n}), status::ok);
      up_off += n;
      auto m = std::min<std::size_t>(down.size() - down_off, 1 + rng() % 40000);
      ASSERT_EQ(l.s->write_plain({down.data() + down_off, m}), status::ok);
      down_off += m;
      l.pump();
    }
    EXPECT_TRUE(l.s_in == up);
    EXPECT_TRUE(l.c_in == down);
  }
}

TEST_F(TlsTest, WritesBeforeTheHandshakeAreSentAfterIt) {
  link l(client(), server());
  ASSERT_EQ(l.c->write_plain(to_bytes("early ")), status::ok);
  ASSERT_EQ(l.c->write_plain(to_bytes("bird")), status::ok);
  ASSERT_TRUE(l.connected());
  EXPECT_EQ(l.s_in, to_bytes("early bird"));
}

TEST_F(TlsTest, UntrustedCertificateFailsVerification) {
  client_options o;
  o.ca_file = path("other.pem");
  link l(client(o), server());
  EXPECT_FALSE(l.connected());
  EXPECT_FALSE(l.c->handshake_done());
  EXPECT_EQ(l.c_st, status::failed);
  EXPECT_EQ(l.c->error().rfind("certificate verify failed (", 0), 0u) << l.c->error();
  EXPECT_EQ(l.s_st, status::failed);  // the client's alert
  EXPECT_EQ(l.s->error(), "peer sent alert: unknown ca");
}

TEST_F(TlsTest, VerificationCanBeTurnedOff) {
  client_options o;
  o.verify = false;
  link l(client(o), server());
  EXPECT_TRUE(l.connected()) << l.c->error();
}

TEST_F(TlsTest, ServerNameIsChecked) {
  struct row {
    const char* name;
    bool ok;
  };
  for (auto [name, ok] : {row{"localhost", true}, row{"example.com", false}, row{"127.0.0.1", true},
                          row{"::1", true}, row{"10.1.2.3", false}}) {
    SCOPED_TRACE(name);
    client_options o;
    o.server_name = name;
    link l(client(o), server());
    EXPECT_EQ(l.connected(), ok) << l.c->error();
    if (!ok) {
      EXPECT_NE(l.c->error().find("certificate verify failed"), std::string_view::npos)
          << l.c->error();
    }
  }
}

TEST_F(TlsTest, PlaintextMqttOnTheTlsPortFailsCleanly) {
  auto s = tls_engine::make(server());
  const std::uint8_t connect[] = {0x10, 0x0c, 0x00, 0x04, 'M',  'Q',  'T',
                                  'T',  0x04, 0x02, 0x00, 0x3c, 0x00, 0x00};
  EXPECT_EQ(s->feed(connect), status::failed);
  EXPECT_TRUE(s->failed());
  EXPECT_EQ(s->error(), "wrong version number");
  bytes out;
  EXPECT_EQ(s->read_plain(out), status::failed);
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(s->write_plain(to_bytes("x")), status::failed);
  EXPECT_EQ(s->feed(connect), status::failed);  // stays failed
  EXPECT_EQ(s->shutdown(), status::failed);
}

TEST_F(TlsTest, GarbageHandshakeRecordFails) {
  auto s = tls_engine::make(server());
  const std::uint8_t hello[] = {0x16, 0x03, 0x01, 0x00, 0x08, 0x01, 0xff,
                                0xff, 0xff, 0x42, 0x42, 0x42, 0x42};
  EXPECT_EQ(s->feed(hello), status::failed);
  EXPECT_FALSE(s->error().empty());
  EXPECT_TRUE(s->has_output());  // an alert, for the caller to send
}

TEST_F(TlsTest, SplitRecordWaitsAndTruncatedRecordFails) {
  link l(client(tls12("AES128-GCM-SHA256")), server());
  ASSERT_TRUE(l.connected());
  ASSERT_EQ(l.c->write_plain(to_bytes("hello world")), status::ok);
  bytes rec(l.c->output().begin(), l.c->output().end());
  l.c->consume_output(rec.size());
  ASSERT_GT(rec.size(), 5u);
  bytes out;
  // A record split across reads: nothing yet, then all of it.
  ASSERT_EQ(l.s->feed({rec.data(), rec.size() - 1}), status::ok);
  EXPECT_EQ(l.s->read_plain(out), status::ok);
  EXPECT_TRUE(out.empty());
  ASSERT_EQ(l.s->feed({rec.data() + rec.size() - 1, 1}), status::ok);
  EXPECT_EQ(l.s->read_plain(out), status::ok);
  EXPECT_EQ(out, to_bytes("hello world"));
  // The same record replayed with its last byte cut (and the length fixed up).
  rec.pop_back();
  rec[3] = static_cast<std::uint8_t>((rec.size() - 5) >> 8);
  rec[4] = static_cast<std::uint8_t>(rec.size() - 5);
  out.clear();
  ASSERT_EQ(l.s->feed(rec), status::ok);
  EXPECT_EQ(l.s->read_plain(out), status::failed);
  EXPECT_TRUE(out.empty());
  EXPECT_FALSE(l.s->error().empty());
}

TEST_F(TlsTest, GarbageAfterHandshakeFails) {
  link l(client(), server());
  ASSERT_TRUE(l.connected());
  const std::uint8_t junk[] = {0x17, 0x03, 0x03, 0x00, 0x05, 1, 2, 3, 4, 5};
  ASSERT_EQ(l.s->feed(junk), status::ok);  // buffered; decrypted by read_plain
  bytes out;
  EXPECT_EQ(l.s->read_plain(out), status::failed);
  EXPECT_FALSE(l.s->error().empty());
}

TEST_F(TlsTest, CloseNotifyYieldsClosed) {
  for (const auto& opts : {client_options{}, tls12()}) {
    link l(client(opts), server());
    ASSERT_TRUE(l.connected());
    ASSERT_EQ(l.c->write_plain(to_bytes("bye")), status::ok);
    ASSERT_EQ(l.c->shutdown(), status::ok);
    EXPECT_EQ(l.c->write_plain(to_bytes("late")), status::closed);
    l.pump();
    EXPECT_EQ(l.s_in, to_bytes("bye"));  // data before the alert still arrives
    EXPECT_EQ(l.s_st, status::closed);
    bytes out;
    EXPECT_EQ(l.s->read_plain(out), status::closed);
    // The server answers with its own close_notify.
    ASSERT_EQ(l.s->shutdown(), status::ok);
    l.pump();
    EXPECT_EQ(l.c_st, status::closed);
    EXPECT_FALSE(l.c->failed());
    EXPECT_FALSE(l.s->failed());
  }
}

TEST_F(TlsTest, ShutdownBeforeTheHandshakeHasNothingToSend) {
  auto s = tls_engine::make(server());
  EXPECT_EQ(s->shutdown(), status::closed);
  EXPECT_FALSE(s->has_output());
  EXPECT_EQ(tls_engine::make(nullptr), nullptr);
}

TEST_F(TlsTest, ClientCertificatesAreVerifiedWhenRequested) {
  server_options required;
  required.ca_file = path("cert.pem");
  required.require_client_cert = true;
  server_options optional;
  optional.ca_file = path("cert.pem");
  client_options with_cert;
  with_cert.cert_file = path("cert.pem");
  with_cert.key_file = path("key.pem");
  client_options untrusted_cert;
  untrusted_cert.cert_file = path("other.pem");
  untrusted_cert.key_file = path("other-key.pem");

  link none(client(), server(required));
  EXPECT_FALSE(none.connected());
  EXPECT_EQ(none.s_st, status::failed);
  EXPECT_EQ(none.s->error(), "peer did not return a certificate");
  EXPECT_TRUE(none.s->peer_cert_subject().empty());

  link good(client(with_cert), server(required));
  ASSERT_TRUE(good.connected()) << good.c->error() << " / " << good.s->error();
  EXPECT_EQ(good.s->peer_cert_subject(), dev_subject);
  exchange(good);

  link bad(client(untrusted_cert), server(required));
  EXPECT_FALSE(bad.connected());
  EXPECT_EQ(bad.s->error().rfind("certificate verify failed", 0), 0u) << bad.s->error();

  link anonymous(client(), server(optional));
  EXPECT_TRUE(anonymous.connected()) << anonymous.s->error();
}

TEST_F(TlsTest, ConfigurationErrorsAreClear) {
  auto server_error = [](const server_options& o) {
    auto r = tls_context::make_server(o);
    return r ? std::string("(no error)") : r.error();
  };
  const auto cert = path("cert.pem"), key = path("key.pem");
  auto missing = server_error({path("nope.pem"), key, "", false, ""});
  EXPECT_NE(missing.find("nope.pem"), std::string::npos) << missing;
  EXPECT_NE(missing.find("No such file or directory"), std::string::npos) << missing;
  auto no_key = server_error({cert, path("nokey.pem"), "", false, ""});
  EXPECT_NE(no_key.find("nokey.pem"), std::string::npos) << no_key;
  auto mismatch = server_error({cert, path("other-key.pem"), "", false, ""});
  EXPECT_NE(mismatch.find("does not match"), std::string::npos) << mismatch;
  auto ciphers = server_error({cert, key, "", false, "NOPE-SUITE"});
  EXPECT_EQ(ciphers, "bad TLS cipher list 'NOPE-SUITE': an unknown suite name or bad syntax");
  std::ofstream(path("junk.pem")) << "not a certificate\n";
  auto junk = server_error({path("junk.pem"), key, "", false, ""});
  EXPECT_NE(junk.find("cannot load the certificate file"), std::string::npos) << junk;
  EXPECT_NE(junk.find("not a PEM file"), std::string::npos) << junk;
  auto no_ca = server_error({cert, key, path("noca.pem"), false, ""});
  EXPECT_NE(no_ca.find("noca.pem"), std::string::npos) << no_ca;
  auto require = server_error({cert, key, "", true, ""});
  EXPECT_NE(require.find("ca_file"), std::string::npos) << require;

  client_options co;
  co.server_name = "localhost";
  auto c = tls_context::make_client(co);
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().find("CA file"), std::string::npos) << c.error();
}

TEST_F(TlsTest, DefaultCipherListCoversTheDeviceSdks) {
  std::string_view list = default_cipher_list();
  for (std::string_view suite : {":AES128-SHA:", ":AES256-SHA", ":AES128-GCM-SHA256:"})
    EXPECT_NE(list.find(suite), std::string_view::npos) << suite;
  EXPECT_EQ(list.substr(0, 6), "ECDHE-");
}

}  // namespace
}  // namespace iotb::tls
