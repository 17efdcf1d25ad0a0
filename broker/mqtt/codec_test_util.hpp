#pragma once
/// @file
/// Helpers shared by the codec's unit tests (*.test.cpp): hex literals, a
/// byte builder for hand-made packets, and decode shortcuts.

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "broker/mqtt/codec.hpp"

namespace iotb::mqtt::test {

/// Parses "10 2a 00" (spaces optional) into bytes.
inline buffer hex(std::string_view s) {
  buffer out;
  int hi = -1;
  for (char ch : s) {
    int v;
    if (ch >= '0' && ch <= '9')
      v = ch - '0';
    else if (ch >= 'a' && ch <= 'f')
      v = ch - 'a' + 10;
    else if (ch >= 'A' && ch <= 'F')
      v = ch - 'A' + 10;
    else
      continue;
    if (hi < 0) {
      hi = v;
    } else {
      out.push_back(static_cast<std::uint8_t>(hi * 16 + v));
      hi = -1;
    }
  }
  return out;
}

/// Builds packet bodies by hand, field by field.
class builder {
 public:
  builder& u8(std::uint8_t x) {
    b_.push_back(x);
    return *this;
  }
  builder& u16(std::uint16_t x) { return u8(static_cast<std::uint8_t>(x >> 8)).u8(x & 0xFF); }
  builder& u32(std::uint32_t x) { return u16(static_cast<std::uint16_t>(x >> 16)).u16(x & 0xFFFF); }
  builder& varint(std::uint32_t x) {
    do {
      auto b = static_cast<std::uint8_t>(x & 0x7F);
      x >>= 7;
      u8(x != 0 ? (b | 0x80) : b);
    } while (x != 0);
    return *this;
  }
  builder& raw(std::string_view s) {
    b_.insert(b_.end(), s.begin(), s.end());
    return *this;
  }
  builder& raw(const buffer& s) {
    b_.insert(b_.end(), s.begin(), s.end());
    return *this;
  }
  /// Two-byte length, then the bytes.
  builder& str(std::string_view s) { return u16(static_cast<std::uint16_t>(s.size())).raw(s); }
  /// A property block: the length of `props`, then `props`.
  builder& props(const builder& p) {
    varint(static_cast<std::uint32_t>(p.b_.size()));
    return raw(p.b_);
  }
  [[nodiscard]] const buffer& bytes() const { return b_; }
  /// The body wrapped into a complete packet with `first_byte`.
  [[nodiscard]] buffer packet(std::uint8_t first_byte) const {
    builder out;
    out.u8(first_byte).varint(static_cast<std::uint32_t>(b_.size())).raw(b_);
    return out.b_;
  }

 private:
  buffer b_;
};

/// Frames and decodes exactly one packet that must fill `in`.
inline expected<packet, decode_error> decode(const buffer& in, version v) {
  auto f = next_frame(in, max_remaining_length + 5);
  if (!f)
    return unexpected{f.error()};
  if (f->total != in.size())
    return unexpected{decode_error{errc::malformed, "test: input is not exactly one packet"}};
  return decode_packet(f->header, f->body, v);
}

/// The error code of decoding `in`; fails the test when decoding succeeds.
inline errc error_of(const buffer& in, version v) {
  auto p = decode(in, v);
  if (p) {
    ADD_FAILURE() << "decoding succeeded where an error was expected";
    return errc::need_more;
  }
  return p.error().code;
}

/// Decodes `in` as a T, failing the test (and returning T{}) otherwise.
template <class T>
T decode_as(const buffer& in, version v) {
  auto p = decode(in, v);
  if (!p) {
    ADD_FAILURE() << "decode failed: " << to_string(p.error().code) << ": " << p.error().what;
    return T{};
  }
  if (auto* x = std::get_if<T>(&*p))
    return *x;
  ADD_FAILURE() << "decoded another packet type";
  return T{};
}

/// Encodes `p` for version `v`.
inline buffer encoded(const packet& p, version v) {
  buffer out;
  encode(p, v, out);
  return out;
}

/// Encodes then decodes `p`; the result must equal `p`.
inline void expect_round_trip(const packet& p, version v) {
  auto bytes = encoded(p, v);
  auto back = decode(bytes, v);
  ASSERT_TRUE(back.has_value()) << to_string(back.error().code) << ": " << back.error().what;
  EXPECT_TRUE(*back == p) << "round trip changed the packet (index " << p.index() << ")";
}

}  // namespace iotb::mqtt::test
