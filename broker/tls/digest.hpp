#pragma once
/// @file
/// Digests and encodings from BoringSSL that protocols need (the WebSocket
/// handshake's accept key) and the rules engine's crypto functions.
///
/// Thread-safety: every function may be called from any thread (no state).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace iotb::tls {

/// Standard base64 (with padding) of `data`.
[[nodiscard]] std::string base64_encode(std::string_view data);

/// Decodes standard base64; nothing when `text` is not valid base64.
[[nodiscard]] std::optional<std::string> base64_decode(std::string_view text);

/// The `Sec-WebSocket-Accept` value for a client's `Sec-WebSocket-Key`
/// (RFC 6455 §4.2.2: base64 of SHA-1 of the key and a fixed GUID).
[[nodiscard]] std::string websocket_accept(std::string_view client_key);

/// SHA-256 of `data` as lowercase hex (64 characters).
[[nodiscard]] std::string sha256_hex(std::string_view data);

/// The digest algorithms of `digest_hex` (the rules engine's crypto()).
enum class digest_alg : std::uint8_t { md5, sha1, sha224, sha256, sha384, sha512 };

/// Parses an algorithm name ignoring case and dashes ("MD5", "sha1",
/// "SHA-256", "sha512"); nothing for others (MD2 is not in BoringSSL).
[[nodiscard]] std::optional<digest_alg> parse_digest_alg(std::string_view name) noexcept;

/// The digest of `data` as lowercase hex.
[[nodiscard]] std::string digest_hex(digest_alg alg, std::string_view data);

}  // namespace iotb::tls
