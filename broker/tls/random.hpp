#pragma once
/// @file
/// Cryptographically strong random values (BoringSSL's RAND_bytes).

#include <cstddef>
#include <string>

namespace iotb::tls {

/// `n` random bytes as lowercase hex (2n characters). Thread-safe.
[[nodiscard]] std::string random_hex(std::size_t n);

/// `n` random characters of `[A-Za-z0-9]`, uniformly chosen (rejection
/// sampling, no modulo bias). Thread-safe.
[[nodiscard]] std::string random_alnum(std::size_t n);

}  // namespace iotb::tls
