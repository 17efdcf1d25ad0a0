#pragma once
/// @file
/// HMAC-MD5/SHA1/SHA256 for device signatures (SPEC §2.1), via BoringSSL.
/// No OpenSSL type appears in this header.
///
/// Thread-safety: every function may be called from any thread.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace iotb::tls {

/// The sign methods of the device SDKs.
enum class sign_method : std::uint8_t { hmacmd5, hmacsha1, hmacsha256 };

/// Parses a signmethod value, case-insensitively (SDKs send `hmacsha256`,
/// `hmacSha256`, `HmacSHA1`). Nothing for other methods.
[[nodiscard]] std::optional<sign_method> parse_sign_method(std::string_view s) noexcept;

/// "hmacmd5", "hmacsha1" or "hmacsha256".
[[nodiscard]] std::string_view to_string(sign_method m) noexcept;

/// HMAC of `data` with `key`, as lowercase hex.
[[nodiscard]] std::string hmac_hex(sign_method m, std::string_view key, std::string_view data);

/// True when `given_hex` (either case) is the HMAC of `data` with `key`.
/// Allocation-free; compares in constant time for inputs of the right
/// length (a wrong length is refused at once: it reveals nothing secret).
[[nodiscard]] bool hmac_verify(sign_method m, std::string_view key, std::string_view data,
                               std::string_view given_hex) noexcept;

}  // namespace iotb::tls
