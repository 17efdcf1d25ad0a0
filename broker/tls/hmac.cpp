#include "broker/tls/hmac.hpp"

#include "broker/tls/openssl.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/mem.h>

namespace iotb::tls {

namespace {

static_assert(EVP_MAX_MD_SIZE >= 32, "the stack buffers hold any MAC of sign_method");

const EVP_MD* md_of(sign_method m) noexcept {
  switch (m) {
    case sign_method::hmacmd5:
      return EVP_md5();
    case sign_method::hmacsha1:
      return EVP_sha1();
    case sign_method::hmacsha256:
      return EVP_sha256();
  }
  return EVP_sha256();
}

/// ASCII case-insensitive equality with a lowercase `lower` (method names are
/// public: no need for constant time here).
bool iequals(std::string_view a, std::string_view lower) noexcept {
  if (a.size() != lower.size())
    return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i] >= 'A' && a[i] <= 'Z' ? static_cast<char>(a[i] + ('a' - 'A')) : a[i];
    if (x != lower[i])
      return false;
  }
  return true;
}

/// The value of hex digit `c` (0-15); sets `bad` to 1 when `c` is not one.
/// Branch-free (comparisons become setcc/cmov, no table): the time does not
/// depend on the character.
unsigned hex_nibble(char ch, unsigned& bad) noexcept {
  unsigned c = static_cast<unsigned char>(ch);
  unsigned d = c - '0';            // 0-9 for digits, wraps otherwise
  unsigned l = (c | 0x20u) - 'a';  // 0-5 for a-f / A-F
  unsigned is_d = static_cast<unsigned>(d <= 9);
  unsigned is_l = static_cast<unsigned>(l <= 5);
  bad |= 1u ^ (is_d | is_l);
  return (d & (0u - is_d)) | ((l + 10) & (0u - is_l));
}

/// Decodes `2 * n` hex chars into `n` bytes; returns 0 when all were hex.
unsigned decode_hex(std::string_view hex, std::uint8_t* out, std::size_t n) noexcept {
  unsigned bad = 0;
  for (std::size_t i = 0; i < n; ++i) {
    unsigned hi = hex_nibble(hex[2 * i], bad);
    unsigned lo = hex_nibble(hex[2 * i + 1], bad);
    out[i] = static_cast<std::uint8_t>((hi << 4) | lo);
  }
  return bad;
}

/// The MAC into `out`; its length, or 0 when BoringSSL failed.
unsigned compute(sign_method m, std::string_view key, std::string_view data,
                 std::uint8_t* out) noexcept {
  unsigned len = 0;
  if (HMAC(md_of(m), key.data(), key.size(), reinterpret_cast<const std::uint8_t*>(data.data()),
           data.size(), out, &len) == nullptr)
    return 0;
  return len;
}

}  // namespace

std::optional<sign_method> parse_sign_method(std::string_view s) noexcept {
  if (iequals(s, "hmacmd5"))
    return sign_method::hmacmd5;
  if (iequals(s, "hmacsha1"))
    return sign_method::hmacsha1;
  if (iequals(s, "hmacsha256"))
    return sign_method::hmacsha256;
  return std::nullopt;
}

std::string_view to_string(sign_method m) noexcept {
  switch (m) {
    case sign_method::hmacmd5:
      return "hmacmd5";
    case sign_method::hmacsha1:
      return "hmacsha1";
    case sign_method::hmacsha256:
      return "hmacsha256";
  }
  return "hmacsha256";
}

std::string hmac_hex(sign_method m, std::string_view key, std::string_view data) {
  std::uint8_t mac[EVP_MAX_MD_SIZE];
  auto len = compute(m, key, data, mac);
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * std::size_t{len});
  for (unsigned i = 0; i < len; ++i) {
    out.push_back(digits[mac[i] >> 4]);
    out.push_back(digits[mac[i] & 0x0f]);
  }
  OPENSSL_cleanse(mac, sizeof mac);
  return out;
}

bool hex_equal_ct(std::string_view expected_hex, std::string_view given_hex) noexcept {
  if (expected_hex.size() != given_hex.size() || expected_hex.empty() ||
      expected_hex.size() % 2 != 0)
    return false;
  // Nibble by nibble, so that no buffer (and no length limit) is needed.
  unsigned bad = 0;
  unsigned diff = 0;
  for (std::size_t i = 0; i < expected_hex.size(); ++i)
    diff |= hex_nibble(expected_hex[i], bad) ^ hex_nibble(given_hex[i], bad);
  return (diff | bad) == 0;
}

bool hmac_verify(sign_method m, std::string_view key, std::string_view data,
                 std::string_view given_hex) noexcept {
  const auto n = digest_size(m);
  if (given_hex.size() != 2 * n)
    return false;
  std::uint8_t mac[EVP_MAX_MD_SIZE];
  if (compute(m, key, data, mac) != n)  // never fail open on a BoringSSL error
    return false;
  std::uint8_t given[EVP_MAX_MD_SIZE];
  unsigned bad = decode_hex(given_hex, given, n);
  bool same = CRYPTO_memcmp(mac, given, n) == 0;
  OPENSSL_cleanse(mac, sizeof mac);
  return same & (bad == 0);
}

}  // namespace iotb::tls
