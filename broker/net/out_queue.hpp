#pragma once
/// @file
/// Bytes waiting to be written to one socket: small packets are copied into
/// contiguous chunks, large payloads are referenced from the shared message
/// (no copy). `flush` turns the front of the queue into one `writev`.
///
/// Thread-safety: none; owned by one actor.

#include <sys/uio.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <vector>

#include "broker/core/message.hpp"
#include "broker/util/ring.hpp"

namespace iotb::net {

/// The write queue of one connection.
class out_queue {
 public:
  /// Payloads at least this large are referenced instead of copied.
  static constexpr std::size_t ref_threshold = 1024;

  /// Appends bytes, copying them.
  void append(std::span<const std::uint8_t> bytes);

  /// Appends `len` bytes at `data` that live inside `*owner` (kept alive
  /// until written). Small ranges are copied instead.
  void append_ref(const message_ptr& owner, const char* data, std::size_t len);

  /// Lets `f(std::vector<std::uint8_t>&)` append bytes (e.g. an encoder)
  /// directly to the tail of the queue.
  template <class F>
  void emit(F&& f) {
    auto& buf = tail_buffer();
    auto before = buf.size();
    f(buf);
    bytes_ += buf.size() - before;
  }

  /// Bytes queued.
  [[nodiscard]] std::size_t size() const noexcept { return bytes_; }
  [[nodiscard]] bool empty() const noexcept { return bytes_ == 0; }

  /// Fills `iov` (at most `max` entries) with the front of the queue.
  /// @returns the number of entries used.
  std::size_t gather(iovec* iov, std::size_t max) const;

  /// Removes `n` written bytes from the front.
  void consume(std::size_t n);

  /// Drops everything.
  void clear();

 private:
  struct chunk {
    std::vector<std::uint8_t> data;  ///< owned bytes, or empty when `ref`
    message_ptr ref;                 ///< keeps a referenced payload alive
    const char* ref_data = nullptr;
    std::size_t ref_len = 0;
    std::size_t offset = 0;  ///< bytes of this chunk already written
    [[nodiscard]] std::size_t size() const noexcept {
      return (ref ? ref_len : data.size()) - offset;
    }
  };
  static constexpr std::size_t max_chunk = std::size_t{64} * 1024;
  std::vector<std::uint8_t>& tail_buffer();
  util::ring<chunk> chunks_;
  std::size_t bytes_ = 0;
};

}  // namespace iotb::net
