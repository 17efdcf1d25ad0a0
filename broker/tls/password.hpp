#pragma once
/// @file
/// Password hashing for admin users (SPEC §12): PBKDF2-HMAC-SHA256 from
/// BoringSSL with a 16-byte random salt, stored as one self-describing
/// string `pbkdf2-sha256$<rounds>$<salt base64>$<hash base64>` so that the
/// round count can be raised later without breaking stored hashes.
///
/// Thread-safety: every function may be called from any thread (no state).
/// Secrets: nothing here logs or keeps a password; callers must not either.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "broker/tls/digest.hpp"
#include "broker/util/expected.hpp"

namespace iotb::tls {

/// Rounds used for new hashes (SPEC §12: at least 100,000).
inline constexpr std::uint32_t password_rounds = 100'000;
/// Stored hashes with more rounds than this are refused (a tampered record
/// must not make one login cost minutes of CPU).
inline constexpr std::uint32_t password_max_rounds = 10'000'000;
/// Bytes of salt and of derived key in new hashes.
inline constexpr std::size_t password_salt_size = 16;
inline constexpr std::size_t password_hash_size = 32;

/// Errors of `hash_password`.
enum class password_errc : std::uint8_t {
  crypto,  ///< BoringSSL failed (random source or PBKDF2)
  rounds,  ///< `rounds` is 0 or above `password_max_rounds`
};

/// Hashes `password` with a fresh random salt and `rounds` iterations.
/// @returns the self-describing string. Errors: crypto, rounds.
[[nodiscard]] expected<std::string, password_errc> hash_password(
    std::string_view password, std::uint32_t rounds = password_rounds);

/// True when `password` matches `stored` (a string made by `hash_password`).
/// The final comparison is constant-time (CRYPTO_memcmp). False for a
/// malformed `stored` string (unknown scheme, bad base64, rounds out of
/// range, empty hash) — never an exception, never a crash.
[[nodiscard]] bool verify_password(std::string_view password, std::string_view stored) noexcept;

/// Constant-time equality of two secrets (CRYPTO_memcmp); a length
/// mismatch returns at once (lengths are not secret).
[[nodiscard]] bool secrets_equal(std::string_view a, std::string_view b) noexcept;

/// Raw PBKDF2-HMAC-SHA256 (exposed for known-answer tests). @returns
/// `out_len` bytes, or an empty vector when BoringSSL fails.
[[nodiscard]] std::vector<std::uint8_t> pbkdf2_sha256(std::string_view password,
                                                      std::string_view salt, std::uint32_t rounds,
                                                      std::size_t out_len);

// base64_encode / base64_decode: broker/tls/digest.hpp.

}  // namespace iotb::tls
