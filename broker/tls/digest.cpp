#include "broker/tls/digest.hpp"

#include "broker/tls/openssl.hpp"

#include <openssl/base64.h>
#include <openssl/digest.h>
#include <openssl/sha.h>

namespace iotb::tls {

std::string base64_encode(std::string_view data) {
  std::size_t len = 0;
  if (!EVP_EncodedLength(&len, data.size()))
    return {};
  std::string out(len, '\0');
  auto n = EVP_EncodeBlock(reinterpret_cast<std::uint8_t*>(out.data()),
                           reinterpret_cast<const std::uint8_t*>(data.data()), data.size());
  out.resize(n);
  return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
  std::size_t max = 0;
  if (!EVP_DecodedLength(&max, text.size()))
    return std::nullopt;
  std::string out(max, '\0');
  std::size_t n = 0;
  if (!EVP_DecodeBase64(reinterpret_cast<std::uint8_t*>(out.data()), &n, max,
                        reinterpret_cast<const std::uint8_t*>(text.data()), text.size()))
    return std::nullopt;
  out.resize(n);
  return out;
}

std::string websocket_accept(std::string_view client_key) {
  static constexpr std::string_view guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
  SHA_CTX ctx;
  SHA1_Init(&ctx);
  SHA1_Update(&ctx, client_key.data(), client_key.size());
  SHA1_Update(&ctx, guid.data(), guid.size());
  std::uint8_t md[SHA_DIGEST_LENGTH];
  SHA1_Final(md, &ctx);
  return base64_encode({reinterpret_cast<const char*>(md), sizeof md});
}

namespace {

std::string to_hex(const std::uint8_t* md, std::size_t n) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * n);
  for (std::size_t i = 0; i < n; ++i) {
    out.push_back(hex[md[i] >> 4]);
    out.push_back(hex[md[i] & 15]);
  }
  return out;
}

}  // namespace

std::string sha256_hex(std::string_view data) {
  std::uint8_t md[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const std::uint8_t*>(data.data()), data.size(), md);
  return to_hex(md, sizeof md);
}

std::optional<digest_alg> parse_digest_alg(std::string_view name) noexcept {
  char buf[8];
  std::size_t n = 0;
  for (char c : name) {
    if (c == '-' || c == '_')
      continue;
    if (n == sizeof buf)
      return std::nullopt;
    buf[n++] = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  }
  std::string_view s(buf, n);
  if (s == "md5")
    return digest_alg::md5;
  if (s == "sha1")
    return digest_alg::sha1;
  if (s == "sha224")
    return digest_alg::sha224;
  if (s == "sha256")
    return digest_alg::sha256;
  if (s == "sha384")
    return digest_alg::sha384;
  if (s == "sha512")
    return digest_alg::sha512;
  return std::nullopt;
}

std::string digest_hex(digest_alg alg, std::string_view data) {
  const EVP_MD* md = nullptr;
  switch (alg) {
    case digest_alg::md5:
      md = EVP_md5();
      break;
    case digest_alg::sha1:
      md = EVP_sha1();
      break;
    case digest_alg::sha224:
      md = EVP_sha224();
      break;
    case digest_alg::sha256:
      md = EVP_sha256();
      break;
    case digest_alg::sha384:
      md = EVP_sha384();
      break;
    case digest_alg::sha512:
      md = EVP_sha512();
      break;
  }
  std::uint8_t out[EVP_MAX_MD_SIZE];
  unsigned len = 0;
  if (!md || !EVP_Digest(data.data(), data.size(), out, &len, md, nullptr))
    return {};
  return to_hex(out, len);
}

}  // namespace iotb::tls
