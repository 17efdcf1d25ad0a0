#pragma once
/// @file
/// TLS without sockets: a `tls_context` (certificate, key, versions,
/// ciphers) and per-connection `tls_engine`s over memory BIOs. The caller
/// feeds the ciphertext it read, takes the plaintext, hands plaintext to
/// encrypt, and sends the ciphertext the engine produced — so the broker's
/// transport keeps its own non-blocking socket handling, and every
/// OpenSSL-API call stays in broker/tls/. Unit-tested in engine.test.cpp by
/// pumping two engines against each other.
///
/// Driving an engine (one connection):
///   1. socket readable → `feed(bytes)`, then `read_plain(buf)` (always,
///      also during the handshake: the records that complete it may carry
///      application data), then send `output()` and `consume_output(sent)`.
///   2. plaintext to send → `write_plain(bytes)`, then send `output()`.
///   3. socket writable again → send the rest of `output()`.
///   4. `failed` from any call → send what `output()` holds (an alert), best
///      effort, and close the socket; `error()` says why.
///   5. `closed` → the peer sent close_notify; optionally `shutdown()` to
///      answer, send `output()`, close the socket.
///
/// Limitations (BoringSSL): TLS 1.3 suites are fixed (the cipher list
/// configures TLS 1.2 only); no renegotiation; no TLS 1.0/1.1.

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "broker/util/expected.hpp"

struct bio_st;
struct ssl_ctx_st;
struct ssl_st;

namespace iotb::tls {

/// Server settings (a TLS listener).
struct server_options {
  std::string cert_file;  ///< PEM certificate chain, leaf first
  std::string key_file;   ///< PEM private key matching the leaf
  /// Optional PEM roots: when set, client certificates are requested and a
  /// presented one must verify against these roots.
  std::string ca_file;
  /// Refuse clients without a certificate (needs `ca_file`).
  bool require_client_cert = false;
  /// TLS 1.2 suites (OpenSSL cipher-string syntax, strictly checked);
  /// empty = `default_cipher_list()`.
  std::string cipher_list;
};

/// Client settings (tests and the load generator).
struct client_options {
  std::string ca_file;          ///< trusted PEM roots; required when `verify`
  std::string server_name;      ///< SNI and the name verified (a DNS name or an IP address)
  bool verify = true;           ///< verify the server's chain and name
  bool max_version_12 = false;  ///< offer TLS 1.2 only (as the mbedtls device SDKs do)
  std::string cipher_list;      ///< TLS 1.2 suites; empty = BoringSSL's default
  std::string cert_file;        ///< optional client certificate (PEM)
  std::string key_file;         ///< its private key (PEM); needed with `cert_file`
};

/// The default TLS 1.2 cipher list, in server preference order: ECDHE
/// (forward-secret) suites first, then the RSA-key-exchange AES suites of
/// the mbedtls device SDKs (SPEC §2.2): `AES128-GCM-SHA256`,
/// `AES256-GCM-SHA384`, `AES128-SHA`, `AES256-SHA`.
[[nodiscard]] const char* default_cipher_list() noexcept;

/// Shared, immutable settings of a listener (or of a client).
///
/// Thread-safety: immutable after `make_*`; engines may be made from any
/// thread at once. Each engine keeps its context alive.
class tls_context {
 public:
  /// A server context: TLS 1.2 and 1.3, server cipher preference.
  /// Errors: a sentence naming the file or setting — a missing or
  /// unreadable file (with the OS reason), a file that is not PEM, a key
  /// that does not match the certificate, a bad cipher list,
  /// `require_client_cert` without `ca_file`.
  [[nodiscard]] static expected<std::shared_ptr<const tls_context>, std::string> make_server(
      const server_options& o);

  /// A client context. Errors: as `make_server`; `verify` without `ca_file`.
  [[nodiscard]] static expected<std::shared_ptr<const tls_context>, std::string> make_client(
      const client_options& o);

  ~tls_context();
  tls_context(const tls_context&) = delete;
  tls_context& operator=(const tls_context&) = delete;

  /// True for a server context.
  [[nodiscard]] bool is_server() const noexcept { return server_; }
  /// The client's configured server name (empty for servers).
  [[nodiscard]] const std::string& server_name() const noexcept { return server_name_; }

 private:
  friend class tls_engine;
  tls_context() = default;

  ssl_ctx_st* ctx_ = nullptr;
  bool server_ = true;
  std::string server_name_;
};

/// One TLS session over memory buffers; never touches a socket.
///
/// Thread-safety: NOT thread-safe. The caller serialises all calls on one
/// engine (the broker's transport holds a mutex); different engines are
/// independent. BoringSSL's error queue is per thread, so an engine may move
/// between threads between calls.
///
/// Memory: `output()` is one reused buffer; plaintext is read in 16 KiB
/// steps into the caller's vector. Ciphertext fed but not yet decrypted
/// stays inside the engine until `read_plain`.
class tls_engine {
 public:
  /// Result of an operation.
  enum class status : std::uint8_t {
    ok,         ///< progress made (there may be output to send)
    want_more,  ///< the handshake needs more ciphertext from the peer
    closed,     ///< the peer sent close_notify, or `shutdown()` was called
    failed,     ///< fatal; see `error()`; send any output, then close
  };

  /// A fresh session for `ctx` (a client queues its ClientHello at once).
  /// Returns nullptr only when `ctx` is null or memory runs out.
  [[nodiscard]] static std::unique_ptr<tls_engine> make(std::shared_ptr<const tls_context> ctx);
  ~tls_engine();
  tls_engine(const tls_engine&) = delete;
  tls_engine& operator=(const tls_engine&) = delete;

  /// Consumes all of `cipher` (read from the socket) and drives the
  /// handshake. Returns `want_more` while the handshake is unfinished, `ok`
  /// once it is done (call `read_plain` for the data), `failed` on a fatal
  /// error (plaintext on the TLS port, no shared cipher, a certificate the
  /// peer or we refuse, garbage records).
  [[nodiscard]] status feed(std::span<const std::uint8_t> cipher);

  /// Decrypts the complete records fed so far and appends their plaintext
  /// to `out`. Returns `ok` (also when nothing was available), `want_more`
  /// before the handshake is done, `closed` after the peer's close_notify
  /// (plaintext before it is still appended), `failed` on a bad record
  /// (bad MAC, truncated body, unexpected record type).
  [[nodiscard]] status read_plain(std::vector<std::uint8_t>& out);

  /// Encrypts all of `plain` into the output. Before the handshake is done
  /// the plaintext is held and encrypted as soon as it completes (the
  /// broker never needs this: it writes only after reading CONNECT).
  /// Returns `closed` after `shutdown()` (the data is dropped).
  [[nodiscard]] status write_plain(std::span<const std::uint8_t> plain);

  /// Queues a close_notify alert: send `output()`, then close the socket.
  /// Returns `ok` when the alert was queued, `closed` when there is nothing
  /// to send (handshake unfinished, or already shut down), `failed` after a
  /// failure. Later writes return `closed`.
  [[nodiscard]] status shutdown();

  /// True when ciphertext waits to be sent.
  [[nodiscard]] bool has_output() const noexcept { return out_pos_ < out_.size(); }
  /// The ciphertext waiting to be sent; valid until the next non-const call.
  [[nodiscard]] std::span<const std::uint8_t> output() const noexcept {
    return {out_.data() + out_pos_, out_.size() - out_pos_};
  }
  /// `n` bytes of `output()` were sent (clamped to its size).
  void consume_output(std::size_t n) noexcept;

  /// True once the handshake has completed (and stays true).
  [[nodiscard]] bool handshake_done() const noexcept { return done_; }
  /// True after a fatal error.
  [[nodiscard]] bool failed() const noexcept { return failed_; }
  /// Why the engine failed, lowercase: "wrong version number" (plaintext
  /// MQTT on the TLS port), "http request", "no shared cipher",
  /// "certificate verify failed (Hostname mismatch)", "peer did not return a
  /// certificate", "peer sent alert: unknown ca", ...; empty if it has not.
  [[nodiscard]] std::string_view error() const noexcept { return error_; }
  /// "TLSv1.2" or "TLSv1.3" once the handshake is done, else empty.
  [[nodiscard]] std::string_view version() const noexcept;
  /// The negotiated TLS 1.2-style suite name ("ECDHE-RSA-AES128-GCM-SHA256",
  /// "AES128-SHA", "TLS_AES_128_GCM_SHA256"), empty before the handshake.
  [[nodiscard]] std::string_view cipher() const noexcept;
  /// Subject of the peer's certificate in RFC 2253 form
  /// ("CN=localhost,O=iotbroker development"), empty without one.
  [[nodiscard]] std::string peer_cert_subject() const;

 private:
  tls_engine() = default;
  status handshake();
  status fail_from(int ret);
  void drain_output();

  std::shared_ptr<const tls_context> ctx_;
  ssl_st* ssl_ = nullptr;
  bio_st* rbio_ = nullptr;  // owned by ssl_
  bio_st* wbio_ = nullptr;  // owned by ssl_
  std::vector<std::uint8_t> out_;
  std::size_t out_pos_ = 0;
  std::vector<std::uint8_t> pending_plain_;  // written before the handshake
  std::string error_;
  bool done_ = false;
  bool failed_ = false;
  bool peer_closed_ = false;
  bool shut_down_ = false;
};

}  // namespace iotb::tls
