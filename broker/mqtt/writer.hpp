#pragma once
/// @file
/// Internal: output sinks for the encoders. `writer` appends to a buffer;
/// `counter` has the same interface and only counts bytes. Each encoder
/// writes its body through a generic lambda, once into a counter (for the
/// remaining length) and once into the buffer, so sizes cannot disagree.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "broker/mqtt/codec.hpp"

namespace iotb::mqtt::detail {

/// Bytes a variable byte integer takes.
[[nodiscard]] constexpr std::size_t varint_size(std::uint32_t x) noexcept {
  std::size_t n = 1;
  while (x >= 0x80) {
    x >>= 7;
    ++n;
  }
  return n;
}

/// Appends MQTT data types to a buffer.
class writer {
 public:
  explicit writer(buffer& out) noexcept : out_(out) {}

  void u8(std::uint8_t x) { out_.push_back(x); }

  void u16(std::uint16_t x) {
    out_.push_back(static_cast<std::uint8_t>(x >> 8));
    out_.push_back(static_cast<std::uint8_t>(x));
  }

  void u32(std::uint32_t x) {
    u16(static_cast<std::uint16_t>(x >> 16));
    u16(static_cast<std::uint16_t>(x));
  }

  void varint(std::uint32_t x) {
    do {
      auto b = static_cast<std::uint8_t>(x & 0x7F);
      x >>= 7;
      if (x != 0)
        b |= 0x80;
      out_.push_back(b);
    } while (x != 0);
  }

  /// Raw bytes, no length prefix.
  void raw(std::string_view s) {
    auto* p = reinterpret_cast<const std::uint8_t*>(s.data());
    out_.insert(out_.end(), p, p + s.size());
  }

  /// A UTF-8 string or binary data: two-byte length, then the bytes.
  void str(std::string_view s) {
    u16(static_cast<std::uint16_t>(s.size()));
    raw(s);
  }

 private:
  buffer& out_;
};

/// Counts the bytes a `writer` would append.
class counter {
 public:
  void u8(std::uint8_t) noexcept { n_ += 1; }
  void u16(std::uint16_t) noexcept { n_ += 2; }
  void u32(std::uint32_t) noexcept { n_ += 4; }
  void varint(std::uint32_t x) noexcept { n_ += varint_size(x); }
  void raw(std::string_view s) noexcept { n_ += s.size(); }
  void str(std::string_view s) noexcept { n_ += 2 + s.size(); }

  [[nodiscard]] std::size_t size() const noexcept { return n_; }

 private:
  std::size_t n_ = 0;
};

/// Appends one packet: the fixed header with `first_byte` and the remaining
/// length, then the body written by `body(sink)`. `extra` bytes are counted
/// in the remaining length but not written (a payload the caller sends).
/// @returns the number of bytes appended.
template <class Body>
std::size_t encode_packet(buffer& out, std::uint8_t first_byte, Body&& body,
                          std::size_t extra = 0) {
  counter c;
  body(c);
  auto remaining = static_cast<std::uint32_t>(c.size() + extra);
  auto before = out.size();
  // Grow geometrically: encoders append packet after packet to one buffer.
  auto needed = before + 1 + varint_size(remaining) + c.size();
  if (out.capacity() < needed)
    out.reserve(needed > 2 * out.capacity() ? needed : 2 * out.capacity());
  writer w{out};
  w.u8(first_byte);
  w.varint(remaining);
  body(w);
  return out.size() - before;
}

}  // namespace iotb::mqtt::detail
