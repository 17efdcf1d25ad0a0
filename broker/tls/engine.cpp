#include "broker/tls/engine.hpp"

#include "broker/tls/openssl.hpp"

#include <arpa/inet.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <climits>
#include <cstring>
#include <optional>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

namespace iotb::tls {

namespace {

constexpr std::size_t read_step = std::size_t{16} * 1024;
constexpr std::size_t write_step = std::size_t{256} * 1024;

/// A queued error as a lowercase phrase ("wrong version number"); the full
/// ERR_error_string_n text when the reason has no name.
std::string describe(std::uint32_t e) {
  if (const char* r = ERR_reason_error_string(e); r && ERR_GET_LIB(e) != ERR_LIB_SYS) {
    std::string s(r);
    for (auto& ch : s)
      ch = ch == '_' ? ' ' : static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    // A fatal alert the peer sent ("tlsv1 alert unknown ca").
    for (std::string_view prefix : {"sslv3 alert ", "tlsv1 alert "})
      if (s.rfind(prefix, 0) == 0)
        return "peer sent alert: " + s.substr(prefix.size());
    if (s == "no start line")
      return "not a PEM file (no BEGIN line)";
    return s;
  }
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  return buf;
}

/// The oldest queued error, described; the queue is cleared.
std::string take_error(const char* fallback) {
  std::uint32_t e = ERR_get_error();
  ERR_clear_error();
  return e ? describe(e) : fallback;
}

/// An error naming `file` if it cannot be read (BoringSSL drops errno).
std::optional<std::string> unreadable(const char* what, const std::string& file) {
  if (file.empty())
    return std::string("no ") + what + " given";
  if (::access(file.c_str(), R_OK) != 0)
    return std::string("cannot read the ") + what + " '" + file + "': " + std::strerror(errno);
  return std::nullopt;
}

std::string load_error(const char* what, const std::string& file) {
  return std::string("cannot load the ") + what + " '" + file + "': " + take_error("unknown error");
}

bool is_ip_address(const std::string& s) {
  in6_addr buf{};
  return inet_pton(AF_INET, s.c_str(), &buf) == 1 || inet_pton(AF_INET6, s.c_str(), &buf) == 1;
}

/// A TLS 1.2+ context up to `max_version`.
bssl::UniquePtr<SSL_CTX> new_ctx(std::uint16_t max_version) {
  bssl::UniquePtr<SSL_CTX> ctx(SSL_CTX_new(TLS_method()));
  if (ctx && (!SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION) ||
              !SSL_CTX_set_max_proto_version(ctx.get(), max_version)))
    ctx.reset();
  return ctx;
}

std::optional<std::string> set_ciphers(SSL_CTX* ctx, const std::string& list) {
  if (SSL_CTX_set_strict_cipher_list(ctx, list.c_str()) == 1)
    return std::nullopt;
  ERR_clear_error();  // BoringSSL only says "invalid command"
  return "bad TLS cipher list '" + list + "': an unknown suite name or bad syntax";
}

/// Loads a certificate chain and its key, checking that they match.
std::optional<std::string> load_identity(SSL_CTX* ctx, const std::string& cert,
                                         const std::string& key) {
  if (auto e = unreadable("certificate file", cert))
    return e;
  if (auto e = unreadable("private key file", key))
    return e;
  if (SSL_CTX_use_certificate_chain_file(ctx, cert.c_str()) != 1)
    return load_error("certificate file", cert);
  const std::string mismatch =
      "the private key '" + key + "' does not match the certificate '" + cert + "'";
  if (SSL_CTX_use_PrivateKey_file(ctx, key.c_str(), SSL_FILETYPE_PEM) != 1) {
    std::uint32_t e = ERR_peek_error();
    if (ERR_GET_LIB(e) == ERR_LIB_X509 && (ERR_GET_REASON(e) == X509_R_KEY_VALUES_MISMATCH ||
                                           ERR_GET_REASON(e) == X509_R_KEY_TYPE_MISMATCH)) {
      ERR_clear_error();
      return mismatch;
    }
    return load_error("private key file", key);
  }
  if (SSL_CTX_check_private_key(ctx) != 1) {
    ERR_clear_error();
    return mismatch;
  }
  return std::nullopt;
}

std::optional<std::string> load_roots(SSL_CTX* ctx, const std::string& ca) {
  if (auto e = unreadable("CA file", ca))
    return e;
  if (SSL_CTX_load_verify_locations(ctx, ca.c_str(), nullptr) != 1)
    return load_error("CA file", ca);
  return std::nullopt;
}

/// Requests (or requires) client certificates verified against `ca`.
std::optional<std::string> verify_clients(SSL_CTX* ctx, const server_options& o) {
  if (o.ca_file.empty()) {
    if (o.require_client_cert)
      return std::string("require_client_cert needs a CA file (ca_file) to verify clients");
    return std::nullopt;
  }
  if (auto e = load_roots(ctx, o.ca_file))
    return e;
  // Tell clients which issuers we accept (helps clients with several certs).
  if (STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(o.ca_file.c_str()))
    SSL_CTX_set_client_CA_list(ctx, names);
  ERR_clear_error();
  int mode = SSL_VERIFY_PEER | (o.require_client_cert ? SSL_VERIFY_FAIL_IF_NO_PEER_CERT : 0);
  SSL_CTX_set_verify(ctx, mode, nullptr);
  return std::nullopt;
}

/// SNI and the name to verify; IP literals are verified but not sent as SNI
/// (RFC 6066 §3).
bool set_peer_name(SSL* ssl, const std::string& name) {
  if (name.empty())
    return true;
  X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
  if (is_ip_address(name))
    return X509_VERIFY_PARAM_set1_ip_asc(param, name.c_str()) == 1;
  return SSL_set_tlsext_host_name(ssl, name.c_str()) == 1 &&
         X509_VERIFY_PARAM_set1_host(param, name.c_str(), name.size()) == 1;
}

}  // namespace

const char* default_cipher_list() noexcept {
  return "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
         "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
         "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"
         "ECDHE-ECDSA-AES128-SHA:ECDHE-RSA-AES128-SHA:"
         "ECDHE-ECDSA-AES256-SHA:ECDHE-RSA-AES256-SHA:"
         "AES128-GCM-SHA256:AES256-GCM-SHA384:AES128-SHA:AES256-SHA";
}

expected<std::shared_ptr<const tls_context>, std::string> tls_context::make_server(
    const server_options& o) {
  auto ctx = new_ctx(TLS1_3_VERSION);
  if (!ctx)
    return unexpected{"cannot create a TLS context: " + take_error("out of memory")};
  // Prefer our order: ECDHE before the RSA-key-exchange fallbacks.
  SSL_CTX_set_options(ctx.get(), SSL_OP_CIPHER_SERVER_PREFERENCE);
  if (auto e =
          set_ciphers(ctx.get(), o.cipher_list.empty() ? default_cipher_list() : o.cipher_list))
    return unexpected{std::move(*e)};
  if (auto e = load_identity(ctx.get(), o.cert_file, o.key_file))
    return unexpected{std::move(*e)};
  if (auto e = verify_clients(ctx.get(), o))
    return unexpected{std::move(*e)};
  std::shared_ptr<tls_context> c(new tls_context);
  c->ctx_ = ctx.release();
  c->server_ = true;
  return std::shared_ptr<const tls_context>(std::move(c));
}

expected<std::shared_ptr<const tls_context>, std::string> tls_context::make_client(
    const client_options& o) {
  auto ctx = new_ctx(o.max_version_12 ? TLS1_2_VERSION : TLS1_3_VERSION);
  if (!ctx)
    return unexpected{"cannot create a TLS context: " + take_error("out of memory")};
  if (!o.cipher_list.empty())
    if (auto e = set_ciphers(ctx.get(), o.cipher_list))
      return unexpected{std::move(*e)};
  if (!o.cert_file.empty() || !o.key_file.empty())
    if (auto e = load_identity(ctx.get(), o.cert_file, o.key_file))
      return unexpected{std::move(*e)};
  if (o.verify) {
    if (o.ca_file.empty())
      return unexpected{std::string("verification needs a CA file (ca_file), or verify=false")};
    if (auto e = load_roots(ctx.get(), o.ca_file))
      return unexpected{std::move(*e)};
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
  }
  if (o.server_name.find('\0') != std::string::npos)
    return unexpected{std::string("server name contains a NUL character")};
  std::shared_ptr<tls_context> c(new tls_context);
  c->ctx_ = ctx.release();
  c->server_ = false;
  c->server_name_ = o.server_name;
  return std::shared_ptr<const tls_context>(std::move(c));
}

tls_context::~tls_context() {
  SSL_CTX_free(ctx_);
}

std::unique_ptr<tls_engine> tls_engine::make(std::shared_ptr<const tls_context> ctx) {
  if (!ctx || !ctx->ctx_)
    return nullptr;
  std::unique_ptr<tls_engine> e(new tls_engine);
  e->ctx_ = std::move(ctx);
  e->ssl_ = SSL_new(e->ctx_->ctx_);
  BIO* rbio = BIO_new(BIO_s_mem());
  BIO* wbio = BIO_new(BIO_s_mem());
  if (!e->ssl_ || !rbio || !wbio) {
    BIO_free(rbio);
    BIO_free(wbio);
    ERR_clear_error();
    return nullptr;
  }
  SSL_set_bio(e->ssl_, rbio, wbio);  // ssl_ owns both
  e->rbio_ = rbio;
  e->wbio_ = wbio;
  if (e->ctx_->is_server()) {
    SSL_set_accept_state(e->ssl_);
    return e;
  }
  SSL_set_connect_state(e->ssl_);
  if (!set_peer_name(e->ssl_, e->ctx_->server_name())) {
    ERR_clear_error();
    return nullptr;
  }
  (void)e->handshake();  // queues the ClientHello
  return e;
}

tls_engine::~tls_engine() {
  SSL_free(ssl_);
}

void tls_engine::drain_output() {
  std::size_t len = BIO_pending(wbio_);
  if (len == 0)
    return;
  if (out_pos_ == out_.size()) {
    out_.clear();
    out_pos_ = 0;
  } else if (out_pos_ >= out_.size() / 2) {  // compact: keep out_ bounded
    out_.erase(out_.begin(), out_.begin() + static_cast<std::ptrdiff_t>(out_pos_));
    out_pos_ = 0;
  }
  auto old = out_.size();
  out_.resize(old + len);
  int n = BIO_read(wbio_, out_.data() + old, static_cast<int>(len));
  out_.resize(old + static_cast<std::size_t>(std::max(n, 0)));
}

void tls_engine::consume_output(std::size_t n) noexcept {
  out_pos_ += std::min(n, out_.size() - out_pos_);
  if (out_pos_ == out_.size()) {
    out_.clear();
    out_pos_ = 0;
  }
}

tls_engine::status tls_engine::fail_from(int ret) {
  int err = SSL_get_error(ssl_, ret);
  if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE)
    return status::want_more;
  if (err == SSL_ERROR_ZERO_RETURN) {
    peer_closed_ = true;
    return status::closed;
  }
  failed_ = true;
  error_ = take_error(err == SSL_ERROR_SYSCALL ? "unexpected end of stream" : "TLS error");
  if (error_ == "certificate verify failed") {
    if (auto v = SSL_get_verify_result(ssl_); v != X509_V_OK)
      error_ += std::string(" (") + X509_verify_cert_error_string(v) + ")";
  }
  pending_plain_ = {};
  drain_output();  // an alert for the peer
  return status::failed;
}

tls_engine::status tls_engine::handshake() {
  ERR_clear_error();
  int ret = SSL_do_handshake(ssl_);
  if (ret != 1) {
    auto st = fail_from(ret);
    drain_output();  // the next handshake flight
    return st;
  }
  done_ = true;
  drain_output();
  if (pending_plain_.empty())
    return status::ok;
  auto pending = std::move(pending_plain_);
  pending_plain_ = {};
  return write_plain(pending);
}

tls_engine::status tls_engine::feed(std::span<const std::uint8_t> cipher) {
  if (failed_)
    return status::failed;
  while (!cipher.empty()) {  // a memory BIO takes everything
    auto n = static_cast<int>(std::min<std::size_t>(cipher.size(), INT_MAX));
    if (BIO_write(rbio_, cipher.data(), n) != n) {
      failed_ = true;
      error_ = "out of memory buffering ciphertext";
      return status::failed;
    }
    cipher = cipher.subspan(static_cast<std::size_t>(n));
  }
  if (!done_)
    return handshake();
  return peer_closed_ ? status::closed : status::ok;
}

tls_engine::status tls_engine::read_plain(std::vector<std::uint8_t>& out) {
  if (failed_)
    return status::failed;
  if (!done_)
    return status::want_more;
  if (peer_closed_)
    return status::closed;
  for (;;) {
    auto old = out.size();
    out.resize(old + read_step);
    ERR_clear_error();
    int n = SSL_read(ssl_, out.data() + old, static_cast<int>(read_step));
    if (n > 0) {
      out.resize(old + static_cast<std::size_t>(n));
      continue;
    }
    out.resize(old);
    auto st = fail_from(n);
    drain_output();  // e.g. a TLS 1.3 KeyUpdate answer
    return st == status::want_more ? status::ok : st;
  }
}

tls_engine::status tls_engine::write_plain(std::span<const std::uint8_t> plain) {
  if (failed_)
    return status::failed;
  if (shut_down_)
    return status::closed;
  if (!done_) {
    pending_plain_.insert(pending_plain_.end(), plain.begin(), plain.end());
    return status::ok;
  }
  while (!plain.empty()) {
    auto chunk = std::min(plain.size(), write_step);
    ERR_clear_error();
    int n = SSL_write(ssl_, plain.data(), static_cast<int>(chunk));
    if (n <= 0) {
      // A memory BIO never blocks, so any non-success is fatal.
      auto st = fail_from(n);
      if (st == status::failed)
        return st;
      failed_ = true;
      error_ = "TLS write did not complete";
      return status::failed;
    }
    plain = plain.subspan(static_cast<std::size_t>(n));
    drain_output();
  }
  return status::ok;
}

tls_engine::status tls_engine::shutdown() {
  if (failed_)
    return status::failed;
  pending_plain_ = {};
  if (shut_down_ || !done_) {
    shut_down_ = true;
    return status::closed;
  }
  shut_down_ = true;
  ERR_clear_error();
  int ret = SSL_shutdown(ssl_);
  drain_output();
  if (ret < 0 && fail_from(ret) == status::failed)
    return status::failed;
  return status::ok;
}

std::string_view tls_engine::version() const noexcept {
  return done_ ? SSL_get_version(ssl_) : "";
}

std::string_view tls_engine::cipher() const noexcept {
  const SSL_CIPHER* c = SSL_get_current_cipher(ssl_);
  return c ? SSL_CIPHER_get_name(c) : "";
}

std::string tls_engine::peer_cert_subject() const {
  bssl::UniquePtr<X509> cert(SSL_get_peer_certificate(ssl_));
  if (!cert)
    return {};
  bssl::UniquePtr<BIO> bio(BIO_new(BIO_s_mem()));
  if (!bio ||
      X509_NAME_print_ex(bio.get(), X509_get_subject_name(cert.get()), 0, XN_FLAG_RFC2253) < 0)
    return {};
  const std::uint8_t* data = nullptr;
  std::size_t len = 0;
  BIO_mem_contents(bio.get(), &data, &len);
  return std::string(reinterpret_cast<const char*>(data), len);
}

}  // namespace iotb::tls
