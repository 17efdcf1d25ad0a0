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

}  // namespace iotb::tls
