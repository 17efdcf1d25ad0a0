#pragma once
/// @file
/// Reading a WebSocket frame header (RFC 6455 §5.2) that may arrive split
/// across reads: shared by the broker's `ws_layer` (client frames, masked)
/// and loadgen's client layer (server frames, unmasked). Each side checks
/// what it requires of the header (masking, opcodes, length) itself.
///
/// Thread-safety: none; one per connection.

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <span>

namespace iotb::net {

/// One frame header, as read.
struct ws_frame_header {
  bool fin = false;
  bool reserved = false;  ///< RSV1-3: one of them is set
  std::uint8_t opcode = 0;
  bool masked = false;
  std::uint64_t length = 0;
  std::uint8_t mask[4] = {};  ///< when `masked`
};

/// Accumulates one header (2 to 14 bytes) at a time.
class ws_header_reader {
 public:
  /// Takes header bytes from `in` at `i` (advancing `i`). @returns true
  /// once the header is complete (see `header()`); `reset()` starts the
  /// next one.
  bool feed(std::span<const std::uint8_t> in, std::size_t& i) noexcept {
    for (;;) {
      auto take = std::min(need_ - len_, in.size() - i);
      std::memcpy(buf_ + len_, in.data() + i, take);
      len_ += take;
      i += take;
      if (len_ < need_)
        return false;
      if (need_ == 2) {
        // The first two bytes tell the header's full size.
        auto len7 = buf_[1] & 0x7F;
        need_ = 2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0) + ((buf_[1] & 0x80) ? 4 : 0);
        if (need_ > len_)
          continue;
      }
      decode();
      return true;
    }
  }
  [[nodiscard]] const ws_frame_header& header() const noexcept { return h_; }
  void reset() noexcept {
    len_ = 0;
    need_ = 2;
  }

 private:
  void decode() noexcept {
    h_.fin = (buf_[0] & 0x80) != 0;
    h_.reserved = (buf_[0] & 0x70) != 0;
    h_.opcode = buf_[0] & 0x0F;
    h_.masked = (buf_[1] & 0x80) != 0;
    std::uint64_t len = buf_[1] & 0x7F;
    std::size_t p = 2;
    if (len == 126) {
      len = (std::uint64_t{buf_[2]} << 8) | buf_[3];
      p = 4;
    } else if (len == 127) {
      len = 0;
      for (int k = 0; k < 8; ++k)
        len = (len << 8) | buf_[2 + k];
      p = 10;
    }
    h_.length = len;
    if (h_.masked)
      std::memcpy(h_.mask, buf_ + p, 4);
  }

  std::uint8_t buf_[14] = {};
  std::size_t len_ = 0;
  std::size_t need_ = 2;
  ws_frame_header h_;
};

}  // namespace iotb::net
