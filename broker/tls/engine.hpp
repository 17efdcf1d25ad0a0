#pragma once
/// @file
/// TLS without sockets: a `tls_context` (certificate, key, versions,
/// ciphers) and per-connection `tls_engine`s over memory BIOs. The caller
/// feeds the ciphertext it read, takes the plaintext, hands plaintext to
/// encrypt, and sends the ciphertext the engine produced — so the broker's
/// transport keeps its own non-blocking socket handling, and every
/// OpenSSL-API call stays in broker/tls/. Unit-tested in engine.test.cpp by
/// pumping two engines against each other.

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "broker/util/expected.hpp"

struct ssl_ctx_st;
struct ssl_st;

namespace iotb::tls {

/// Server settings.
struct server_options {
  std::string cert_file;    ///< PEM certificate chain
  std::string key_file;     ///< PEM private key
  std::string ca_file;      ///< optional: request and verify client certificates
  bool require_client_cert = false;
  std::string cipher_list;  ///< TLS 1.2 suites; empty = `default_cipher_list()`
};

/// Client settings (tests and the load generator).
struct client_options {
  std::string ca_file;      ///< trusted roots; empty = no verification
  std::string server_name;  ///< SNI and the name to verify
  bool verify = true;
  bool max_version_12 = false;
  std::string cipher_list;  ///< empty: BoringSSL's default
};

/// The default TLS 1.2 cipher list: ECDHE suites first, then the
/// RSA-key-exchange AES suites of the mbedtls device SDKs (SPEC §2.2).
[[nodiscard]] const char* default_cipher_list() noexcept;

/// Shared, immutable settings of a listener (or a client).
/// Thread-safety: engines may be made from any thread.
class tls_context {
 public:
  /// Errors: a sentence naming the file or setting (missing file, key not
  /// matching the certificate, bad cipher list).
  [[nodiscard]] static expected<std::shared_ptr<const tls_context>, std::string> make_server(
      const server_options& o);
  [[nodiscard]] static expected<std::shared_ptr<const tls_context>, std::string> make_client(
      const client_options& o);
  ~tls_context();
  tls_context(const tls_context&) = delete;
  tls_context& operator=(const tls_context&) = delete;

  [[nodiscard]] ssl_ctx_st* handle() const noexcept { return ctx_; }
  [[nodiscard]] bool is_server() const noexcept { return server_; }
  [[nodiscard]] const std::string& server_name() const noexcept { return server_name_; }

 private:
  tls_context() = default;
  ssl_ctx_st* ctx_ = nullptr;
  bool server_ = true;
  std::string server_name_;
};

/// One TLS session. Not thread-safe: the caller serialises calls.
class tls_engine {
 public:
  /// Result of an operation.
  enum class status : std::uint8_t {
    ok,         ///< progress made (maybe output to send)
    want_more,  ///< needs more ciphertext
    closed,     ///< the peer sent close_notify
    failed,     ///< fatal; see `error()`; send any output, then close
  };

  [[nodiscard]] static std::unique_ptr<tls_engine> make(std::shared_ptr<const tls_context> ctx);
  ~tls_engine();
  tls_engine(const tls_engine&) = delete;
  tls_engine& operator=(const tls_engine&) = delete;

  /// Consumes all of `cipher` (read from the socket); drives the handshake.
  [[nodiscard]] status feed(std::span<const std::uint8_t> cipher);
  /// Appends all plaintext available to `out`.
  [[nodiscard]] status read_plain(std::vector<std::uint8_t>& out);
  /// Encrypts all of `plain` into the output. Before the handshake is done
  /// the plaintext is held and encrypted when it completes.
  [[nodiscard]] status write_plain(std::span<const std::uint8_t> plain);

  /// Ciphertext waiting to be sent.
  [[nodiscard]] bool has_output() const noexcept { return out_pos_ < out_.size(); }
  [[nodiscard]] std::span<const std::uint8_t> output() const noexcept {
    return {out_.data() + out_pos_, out_.size() - out_pos_};
  }
  /// `n` bytes of `output()` were sent.
  void consume_output(std::size_t n) noexcept;

  [[nodiscard]] bool handshake_done() const noexcept { return done_; }
  /// Why the engine failed ("WRONG_VERSION_NUMBER", "CERTIFICATE_VERIFY_FAILED", ...).
  [[nodiscard]] std::string_view error() const noexcept { return error_; }
  /// "TLSv1.2", "TLSv1.3" once the handshake is done.
  [[nodiscard]] std::string_view version() const noexcept;
  /// The negotiated cipher suite's name.
  [[nodiscard]] std::string_view cipher() const noexcept;
  /// Subject of the peer's certificate (one line), empty without one.
  [[nodiscard]] std::string peer_cert_subject() const;

 private:
  tls_engine() = default;
  status handshake();
  status fail_from_queue(int ret);
  void drain_output();

  std::shared_ptr<const tls_context> ctx_;
  ssl_st* ssl_ = nullptr;
  void* rbio_ = nullptr;  // BIO*, owned by ssl_
  void* wbio_ = nullptr;
  std::vector<std::uint8_t> out_;
  std::size_t out_pos_ = 0;
  std::vector<std::uint8_t> pending_plain_;
  std::string error_;
  bool done_ = false;
  bool failed_ = false;
};

}  // namespace iotb::tls
