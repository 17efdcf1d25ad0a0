#include "broker/tls/random.hpp"

#include <vector>

#include "broker/tls/openssl.hpp"

namespace iotb::tls {

std::string random_hex(std::size_t n) {
  std::vector<std::uint8_t> raw(n);
  RAND_bytes(raw.data(), raw.size());
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * n);
  for (auto b : raw) {
    out.push_back(digits[b >> 4]);
    out.push_back(digits[b & 0x0f]);
  }
  return out;
}

std::string random_alnum(std::size_t n) {
  static constexpr char alphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  std::string out;
  out.reserve(n);
  std::uint8_t raw[64];
  while (out.size() < n) {
    RAND_bytes(raw, sizeof raw);
    for (auto b : raw) {
      if (b >= 248)  // 248 = 4 × 62: keeps the choice uniform
        continue;
      out.push_back(alphabet[b % 62]);
      if (out.size() == n)
        break;
    }
  }
  return out;
}

}  // namespace iotb::tls
