#pragma once
/// @file
/// HMAC-MD5/SHA1/SHA256 for device signatures (SPEC §2.1), via BoringSSL.
/// No OpenSSL type appears in this header; hmac.cpp is the only user of the
/// OpenSSL HMAC API in the tree.
///
/// Thread-safety: every function may be called from any thread (no state).
/// Secrets: nothing here logs or keeps a key; callers must not log them either.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace iotb::tls {

/// The sign methods of the device SDKs (the `signmethod` client-id key).
enum class sign_method : std::uint8_t {
  hmacmd5,     ///< HMAC-MD5, 16-byte MAC; the default when signmethod is absent
  hmacsha1,    ///< HMAC-SHA1, 20-byte MAC
  hmacsha256,  ///< HMAC-SHA256, 32-byte MAC (what the 3.2 and 4.x C SDKs use)
};

/// Parses a signmethod value, case-insensitively (SDKs send `hmacsha256`,
/// `hmacSha256`, `HmacSHA1`). Nothing for other methods (`hmacsha512`,
/// the documented-but-unexplained `sha256`, the empty string).
[[nodiscard]] std::optional<sign_method> parse_sign_method(std::string_view s) noexcept;

/// The canonical lowercase name: "hmacmd5", "hmacsha1" or "hmacsha256".
[[nodiscard]] std::string_view to_string(sign_method m) noexcept;

/// Size of the MAC in bytes (16, 20 or 32); its hex form is twice as long.
[[nodiscard]] constexpr std::size_t digest_size(sign_method m) noexcept {
  switch (m) {
    case sign_method::hmacmd5:
      return 16;
    case sign_method::hmacsha1:
      return 20;
    case sign_method::hmacsha256:
      return 32;
  }
  return 32;
}

/// HMAC of `data` with `key`, as lowercase hex (2 × digest_size chars).
/// Used to make passwords (CLI, tests, load generator); the broker verifies
/// with `hmac_verify`, which does not allocate.
[[nodiscard]] std::string hmac_hex(sign_method m, std::string_view key, std::string_view data);

/// True when `expected_hex` and `given_hex` spell the same bytes in hex,
/// ignoring letter case. The time taken depends only on the lengths, never
/// on the characters (a length mismatch returns at once: lengths are not
/// secret). False when either string holds a non-hex character or has an
/// odd length; two empty strings are *not* equal (nothing was compared).
[[nodiscard]] bool hex_equal_ct(std::string_view expected_hex, std::string_view given_hex) noexcept;

/// True when `given_hex` (either case) is the HMAC of `data` with `key`.
/// Allocation-free: the MAC goes to a stack buffer, `given_hex` is decoded
/// branch-free and compared with CRYPTO_memcmp, so the time does not depend
/// on how many bytes match. A wrong length is refused before any HMAC is
/// computed (it reveals nothing secret). False if BoringSSL fails.
[[nodiscard]] bool hmac_verify(sign_method m, std::string_view key, std::string_view data,
                               std::string_view given_hex) noexcept;

}  // namespace iotb::tls
