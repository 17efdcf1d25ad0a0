#include "broker/tls/password.hpp"

#include <charconv>

#include "broker/tls/openssl.hpp"

#include <openssl/base64.h>
#include <openssl/evp.h>
#include <openssl/mem.h>

namespace iotb::tls {

namespace {

constexpr std::string_view scheme = "pbkdf2-sha256";

/// Splits `s` at '$' into exactly `n` parts.
bool split(std::string_view s, std::string_view* parts, std::size_t n) noexcept {
  for (std::size_t i = 0; i + 1 < n; ++i) {
    auto d = s.find('$');
    if (d == std::string_view::npos)
      return false;
    parts[i] = s.substr(0, d);
    s.remove_prefix(d + 1);
  }
  if (s.find('$') != std::string_view::npos)
    return false;
  parts[n - 1] = s;
  return true;
}

}  // namespace

std::vector<std::uint8_t> pbkdf2_sha256(std::string_view password, std::string_view salt,
                                        std::uint32_t rounds, std::size_t out_len) {
  std::vector<std::uint8_t> out(out_len);
  if (PKCS5_PBKDF2_HMAC(password.data(), password.size(),
                        reinterpret_cast<const std::uint8_t*>(salt.data()), salt.size(), rounds,
                        EVP_sha256(), out.size(), out.data()) != 1)
    return {};
  return out;
}

expected<std::string, password_errc> hash_password(std::string_view password,
                                                   std::uint32_t rounds) {
  if (rounds == 0 || rounds > password_max_rounds)
    return unexpected{password_errc::rounds};
  std::string salt(password_salt_size, '\0');
  if (RAND_bytes(reinterpret_cast<std::uint8_t*>(salt.data()), salt.size()) != 1)
    return unexpected{password_errc::crypto};
  auto dk = pbkdf2_sha256(password, salt, rounds, password_hash_size);
  if (dk.empty())
    return unexpected{password_errc::crypto};
  std::string out(scheme);
  out += '$';
  out += std::to_string(rounds);
  out += '$';
  out += base64_encode(salt);
  out += '$';
  out += base64_encode({reinterpret_cast<const char*>(dk.data()), dk.size()});
  OPENSSL_cleanse(dk.data(), dk.size());
  return out;
}

bool secrets_equal(std::string_view a, std::string_view b) noexcept {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

bool verify_password(std::string_view password, std::string_view stored) noexcept {
  std::string_view parts[4];
  if (!split(stored, parts, 4) || parts[0] != scheme)
    return false;
  std::uint32_t rounds = 0;
  auto [p, ec] = std::from_chars(parts[1].data(), parts[1].data() + parts[1].size(), rounds);
  if (ec != std::errc{} || p != parts[1].data() + parts[1].size() || rounds == 0 ||
      rounds > password_max_rounds)
    return false;
  auto salt = base64_decode(parts[2]);
  auto want = base64_decode(parts[3]);
  if (!salt || !want || want->empty() || want->size() > 64)
    return false;
  auto got = pbkdf2_sha256(password, *salt, rounds, want->size());
  if (got.size() != want->size())
    return false;
  bool equal = CRYPTO_memcmp(got.data(), want->data(), got.size()) == 0;
  OPENSSL_cleanse(got.data(), got.size());
  return equal;
}

}  // namespace iotb::tls
