#include "broker/tls/digest.hpp"

#include "broker/tls/openssl.hpp"

#include <openssl/base64.h>
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

std::string sha256_hex(std::string_view data) {
  std::uint8_t md[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const std::uint8_t*>(data.data()), data.size(), md);
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * sizeof md);
  for (auto b : md) {
    out.push_back(hex[b >> 4]);
    out.push_back(hex[b & 15]);
  }
  return out;
}

}  // namespace iotb::tls
