#pragma once
/// @file
/// Internal: a bounds-checked reader over a packet body. Every read either
/// succeeds or records the first error and returns false; the decoders turn
/// that error into their result with `error()`. Not part of the public API.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "broker/mqtt/codec.hpp"
#include "broker/mqtt/errors.hpp"
#include "broker/util/expected.hpp"

namespace iotb::mqtt::detail {

/// Reads MQTT data types from a byte span, never past its end.
class reader {
 public:
  explicit reader(bytes data) noexcept : data_(data) {}

  /// Bytes not yet consumed.
  [[nodiscard]] std::size_t remaining() const noexcept { return data_.size() - pos_; }

  /// True when every byte has been consumed.
  [[nodiscard]] bool at_end() const noexcept { return pos_ == data_.size(); }

  /// Records `{code, what}` as the error and returns false.
  bool fail(errc code, const char* what) noexcept {
    err_ = decode_error{code, what};
    return false;
  }

  /// Records `e` as the error (from a nested reader) and returns false.
  bool fail(decode_error e) noexcept {
    err_ = e;
    return false;
  }

  /// The recorded error, ready to return from a decoder.
  [[nodiscard]] unexpected<decode_error> error() const noexcept { return unexpected{err_}; }

  /// The recorded error as a plain value.
  [[nodiscard]] decode_error last_error() const noexcept { return err_; }

  /// One byte; `what` describes the field for the truncation error.
  bool u8(std::uint8_t& x, const char* what) noexcept {
    if (remaining() < 1)
      return fail(errc::malformed, what);
    x = data_[pos_++];
    return true;
  }

  /// Two-byte big-endian integer.
  bool u16(std::uint16_t& x, const char* what) noexcept {
    if (remaining() < 2)
      return fail(errc::malformed, what);
    x = static_cast<std::uint16_t>((data_[pos_] << 8) | data_[pos_ + 1]);
    pos_ += 2;
    return true;
  }

  /// Four-byte big-endian integer.
  bool u32(std::uint32_t& x, const char* what) noexcept {
    if (remaining() < 4)
      return fail(errc::malformed, what);
    x = (std::uint32_t{data_[pos_]} << 24) | (std::uint32_t{data_[pos_ + 1]} << 16) |
        (std::uint32_t{data_[pos_ + 2]} << 8) | std::uint32_t{data_[pos_ + 3]};
    pos_ += 4;
    return true;
  }

  /// Variable byte integer of at most four bytes (non-minimal encodings are
  /// accepted). A fifth byte or a truncated integer is malformed.
  bool varint(std::uint32_t& x, const char* what) noexcept {
    std::uint32_t value = 0;
    for (int i = 0; i < 4; ++i) {
      if (remaining() < 1)
        return fail(errc::malformed, what);
      auto b = data_[pos_++];
      value |= std::uint32_t{static_cast<std::uint8_t>(b & 0x7F)} << (7 * i);
      if ((b & 0x80) == 0) {
        x = value;
        return true;
      }
    }
    return fail(errc::malformed, "variable byte integer longer than 4 bytes");
  }

  /// Binary data: a two-byte length, then that many bytes.
  bool binary(std::string& x, const char* what) {
    std::uint16_t len = 0;
    if (!u16(len, what))
      return false;
    if (remaining() < len)
      return fail(errc::malformed, what);
    x.assign(reinterpret_cast<const char*>(data_.data() + pos_), len);
    pos_ += len;
    return true;
  }

  /// UTF-8 encoded string: like binary data, then checked with `valid_utf8`;
  /// `bad_utf8` is the error text when that check fails.
  bool utf8(std::string& x, const char* what, const char* bad_utf8) {
    if (!binary(x, what))
      return false;
    if (!valid_utf8(x))
      return fail(errc::invalid_utf8, bad_utf8);
    return true;
  }

  /// Consumes and returns the next `n` bytes (n <= remaining()).
  bytes take(std::size_t n) noexcept {
    auto result = data_.subspan(pos_, n);
    pos_ += n;
    return result;
  }

  /// Consumes and returns every remaining byte.
  bytes rest() noexcept { return take(remaining()); }

  /// Fails with `errc::malformed` and `what` when bytes remain.
  bool expect_end(const char* what) noexcept {
    return at_end() ? true : fail(errc::malformed, what);
  }

 private:
  bytes data_;
  std::size_t pos_ = 0;
  decode_error err_{errc::malformed, "malformed packet"};
};

/// Shorthand for returning an error from a decoder.
[[nodiscard]] inline unexpected<decode_error> fail(errc code, const char* what) noexcept {
  return unexpected{decode_error{code, what}};
}

}  // namespace iotb::mqtt::detail
