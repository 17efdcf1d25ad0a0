#include "broker/tls/engine.hpp"

#include "broker/tls/openssl.hpp"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

namespace iotb::tls {

namespace {

constexpr std::size_t read_step = 16 * 1024;

/// The reason of the oldest queued error ("WRONG_VERSION_NUMBER"), cleared.
std::string take_error(const char* fallback) {
  auto e = ERR_get_error();
  ERR_clear_error();
  if (e == 0)
    return fallback;
  const char* reason = ERR_reason_error_string(e);
  return reason ? reason : fallback;
}

std::string with_file(const char* what, const std::string& file) {
  return std::string(what) + " '" + file + "': " + take_error("unknown error");
}

}  // namespace

const char* default_cipher_list() noexcept {
  return "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
         "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
         "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"
         "ECDHE-RSA-AES128-SHA:ECDHE-RSA-AES256-SHA:"
         "AES128-GCM-SHA256:AES256-GCM-SHA384:AES128-SHA:AES256-SHA";
}

expected<std::shared_ptr<const tls_context>, std::string> tls_context::make_server(
    const server_options& o) {
  std::shared_ptr<tls_context> c(new tls_context);
  c->ctx_ = SSL_CTX_new(TLS_method());
  if (!c->ctx_)
    return unexpected{take_error("SSL_CTX_new failed")};
  SSL_CTX_set_min_proto_version(c->ctx_, TLS1_2_VERSION);
  SSL_CTX_set_max_proto_version(c->ctx_, TLS1_3_VERSION);
  auto ciphers = o.cipher_list.empty() ? std::string(default_cipher_list()) : o.cipher_list;
  if (!SSL_CTX_set_strict_cipher_list(c->ctx_, ciphers.c_str()))
    return unexpected{"bad TLS cipher list '" + ciphers + "': " + take_error("unknown cipher")};
  if (SSL_CTX_use_certificate_chain_file(c->ctx_, o.cert_file.c_str()) != 1)
    return unexpected{with_file("cannot load the certificate", o.cert_file)};
  if (SSL_CTX_use_PrivateKey_file(c->ctx_, o.key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    auto e = with_file("cannot load the private key", o.key_file);
    if (e.find("KEY_VALUES_MISMATCH") != std::string::npos)
      return unexpected{"the private key '" + o.key_file + "' does not match the certificate '" +
                        o.cert_file + "'"};
    return unexpected{e};
  }
  if (SSL_CTX_check_private_key(c->ctx_) != 1)
    return unexpected{"the private key '" + o.key_file + "' does not match the certificate '" +
                      o.cert_file + "'"};
  if (!o.ca_file.empty()) {
    if (SSL_CTX_load_verify_locations(c->ctx_, o.ca_file.c_str(), nullptr) != 1)
      return unexpected{with_file("cannot load the CA file", o.ca_file)};
    SSL_CTX_set_verify(c->ctx_,
                       SSL_VERIFY_PEER | (o.require_client_cert ? SSL_VERIFY_FAIL_IF_NO_PEER_CERT : 0),
                       nullptr);
  }
  c->server_ = true;
  return std::shared_ptr<const tls_context>(std::move(c));
}

expected<std::shared_ptr<const tls_context>, std::string> tls_context::make_client(
    const client_options& o) {
  std::shared_ptr<tls_context> c(new tls_context);
  c->ctx_ = SSL_CTX_new(TLS_method());
  if (!c->ctx_)
    return unexpected{take_error("SSL_CTX_new failed")};
  SSL_CTX_set_min_proto_version(c->ctx_, TLS1_2_VERSION);
  SSL_CTX_set_max_proto_version(c->ctx_, o.max_version_12 ? TLS1_2_VERSION : TLS1_3_VERSION);
  if (!o.cipher_list.empty() && !SSL_CTX_set_strict_cipher_list(c->ctx_, o.cipher_list.c_str()))
    return unexpected{"bad TLS cipher list '" + o.cipher_list + "'"};
  if (o.verify) {
    if (o.ca_file.empty() ||
        SSL_CTX_load_verify_locations(c->ctx_, o.ca_file.c_str(), nullptr) != 1)
      return unexpected{with_file("cannot load the CA file", o.ca_file)};
    SSL_CTX_set_verify(c->ctx_, SSL_VERIFY_PEER, nullptr);
  }
  c->server_ = false;
  c->server_name_ = o.server_name;
  return std::shared_ptr<const tls_context>(std::move(c));
}

tls_context::~tls_context() {
  if (ctx_)
    SSL_CTX_free(ctx_);
}

std::unique_ptr<tls_engine> tls_engine::make(std::shared_ptr<const tls_context> ctx) {
  std::unique_ptr<tls_engine> e(new tls_engine);
  e->ctx_ = std::move(ctx);
  e->ssl_ = SSL_new(e->ctx_->handle());
  BIO* rbio = BIO_new(BIO_s_mem());
  BIO* wbio = BIO_new(BIO_s_mem());
  SSL_set_bio(e->ssl_, rbio, wbio);  // ssl_ owns both
  e->rbio_ = rbio;
  e->wbio_ = wbio;
  if (e->ctx_->is_server()) {
    SSL_set_accept_state(e->ssl_);
  } else {
    SSL_set_connect_state(e->ssl_);
    const auto& name = e->ctx_->server_name();
    if (!name.empty()) {
      SSL_set_tlsext_host_name(e->ssl_, name.c_str());
      X509_VERIFY_PARAM* param = SSL_get0_param(e->ssl_);
      X509_VERIFY_PARAM_set1_host(param, name.c_str(), name.size());
    }
    e->handshake();  // the ClientHello
  }
  return e;
}

tls_engine::~tls_engine() {
  if (ssl_)
    SSL_free(ssl_);
}

void tls_engine::drain_output() {
  auto* wbio = static_cast<BIO*>(wbio_);
  const std::uint8_t* data = nullptr;
  std::size_t len = 0;
  if (BIO_mem_contents(wbio, &data, &len) && len > 0) {
    if (out_pos_ == out_.size()) {
      out_.clear();
      out_pos_ = 0;
    }
    out_.insert(out_.end(), data, data + len);
    BIO_reset(wbio);
  }
}

void tls_engine::consume_output(std::size_t n) noexcept {
  out_pos_ += n;
  if (out_pos_ >= out_.size()) {
    out_.clear();
    out_pos_ = 0;
  }
}

tls_engine::status tls_engine::fail_from_queue(int ret) {
  int err = SSL_get_error(ssl_, ret);
  if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE)
    return status::want_more;
  if (err == SSL_ERROR_ZERO_RETURN)
    return status::closed;
  failed_ = true;
  error_ = take_error(err == SSL_ERROR_SYSCALL ? "unexpected end of stream" : "TLS error");
  if (error_ == "CERTIFICATE_VERIFY_FAILED") {
    if (auto v = SSL_get_verify_result(ssl_); v != X509_V_OK)
      error_ += std::string(" (") + X509_verify_cert_error_string(v) + ")";
  }
  drain_output();  // an alert for the peer
  return status::failed;
}

tls_engine::status tls_engine::handshake() {
  int ret = SSL_do_handshake(ssl_);
  if (ret == 1) {
    done_ = true;
    drain_output();
    if (!pending_plain_.empty()) {
      auto pending = std::move(pending_plain_);
      pending_plain_.clear();
      return write_plain(pending);
    }
    return status::ok;
  }
  auto st = fail_from_queue(ret);
  drain_output();
  return st;
}

tls_engine::status tls_engine::feed(std::span<const std::uint8_t> cipher) {
  if (failed_)
    return status::failed;
  if (!cipher.empty())
    BIO_write(static_cast<BIO*>(rbio_), cipher.data(), static_cast<int>(cipher.size()));
  if (!done_)
    return handshake();
  return status::ok;
}

tls_engine::status tls_engine::read_plain(std::vector<std::uint8_t>& out) {
  if (failed_)
    return status::failed;
  if (!done_)
    return status::want_more;
  for (;;) {
    auto old = out.size();
    out.resize(old + read_step);
    int n = SSL_read(ssl_, out.data() + old, static_cast<int>(read_step));
    if (n > 0) {
      out.resize(old + static_cast<std::size_t>(n));
      continue;
    }
    out.resize(old);
    auto st = fail_from_queue(n);
    drain_output();  // e.g. TLS 1.3 key updates, tickets
    return st == status::want_more ? status::ok : st;
  }
}

tls_engine::status tls_engine::write_plain(std::span<const std::uint8_t> plain) {
  if (failed_)
    return status::failed;
  if (!done_) {
    pending_plain_.insert(pending_plain_.end(), plain.begin(), plain.end());
    return status::ok;
  }
  while (!plain.empty()) {
    int chunk = static_cast<int>(std::min<std::size_t>(plain.size(), 1 << 20));
    int n = SSL_write(ssl_, plain.data(), chunk);
    if (n <= 0)
      return fail_from_queue(n);
    plain = plain.subspan(static_cast<std::size_t>(n));
  }
  drain_output();
  return status::ok;
}

std::string_view tls_engine::version() const noexcept { return SSL_get_version(ssl_); }

std::string_view tls_engine::cipher() const noexcept {
  const SSL_CIPHER* c = SSL_get_current_cipher(ssl_);
  return c ? SSL_CIPHER_get_name(c) : "";
}

std::string tls_engine::peer_cert_subject() const {
  X509* cert = SSL_get_peer_certificate(ssl_);
  if (!cert)
    return {};
  char buf[256];
  X509_NAME_oneline(X509_get_subject_name(cert), buf, sizeof buf);
  X509_free(cert);
  return buf;
}

}  // namespace iotb::tls
