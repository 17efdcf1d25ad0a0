#include "broker/tls/hmac.hpp"

#include "broker/tls/openssl.hpp"

#include <openssl/hmac.h>
#include <openssl/mem.h>

namespace iotb::tls {

namespace {

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

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size())
    return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i] >= 'A' && a[i] <= 'Z' ? static_cast<char>(a[i] + 32) : a[i];
    if (x != b[i])
      return false;
  }
  return true;
}

/// Hex digit value, or -1 (branch-light: no secret-dependent table lookup).
int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

unsigned compute(sign_method m, std::string_view key, std::string_view data,
                 std::uint8_t* out) noexcept {
  unsigned len = 0;
  HMAC(md_of(m), key.data(), key.size(), reinterpret_cast<const std::uint8_t*>(data.data()),
       data.size(), out, &len);
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
  out.reserve(2 * len);
  for (unsigned i = 0; i < len; ++i) {
    out.push_back(digits[mac[i] >> 4]);
    out.push_back(digits[mac[i] & 0x0f]);
  }
  return out;
}

bool hmac_verify(sign_method m, std::string_view key, std::string_view data,
                 std::string_view given_hex) noexcept {
  std::uint8_t mac[EVP_MAX_MD_SIZE];
  auto len = compute(m, key, data, mac);
  if (given_hex.size() != 2 * std::size_t{len})
    return false;
  std::uint8_t given[EVP_MAX_MD_SIZE];
  int bad = 0;
  for (unsigned i = 0; i < len; ++i) {
    int hi = hex_value(given_hex[2 * i]);
    int lo = hex_value(given_hex[2 * i + 1]);
    bad |= (hi | lo) < 0 ? 1 : 0;
    given[i] = static_cast<std::uint8_t>(((hi & 0xf) << 4) | (lo & 0xf));
  }
  return (CRYPTO_memcmp(mac, given, len) == 0) & (bad == 0);
}

}  // namespace iotb::tls
