#pragma once
/// @file
/// A byte-stream layer between the socket and the MQTT framing: TLS, or
/// WebSocket (over TCP or over TLS). Layers never touch a socket; the
/// transport stacks them (index 0 next to the socket), moves bytes up
/// through `decode` and down through `encode`, and sends the lowest
/// layer's `output()`.
///
/// Thread-safety: none; the transport serialises all calls on its layers
/// (the I/O thread reads while the owning actor writes).

#include <sys/uio.h>

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace iotb::net {

/// Result of a layer operation.
enum class layer_status : std::uint8_t {
  ok,      ///< progress made (there may be output to send)
  closed,  ///< the peer ended the stream in order (close_notify, WebSocket close)
  failed,  ///< fatal; see `error()`: send `output()` (an alert, a close frame, an HTTP error), then
           ///< close
};

class stream_layer {
 public:
  virtual ~stream_layer() = default;

  /// Consumes `in` (bytes from the layer below) and appends the payload for
  /// the layer above to `up`. What the layer must send by itself (handshake
  /// messages, a pong, a close frame) goes to its output. On `closed` or
  /// `failed`, `up` still holds what came before the end.
  [[nodiscard]] virtual layer_status decode(std::span<const std::uint8_t> in,
                                            std::vector<std::uint8_t>& up) = 0;

  /// Wraps the concatenation of `iov[0..n)` into the output (one record or
  /// frame where the protocol allows). `failed` after a fatal error;
  /// `closed` after `shutdown` (the data is dropped).
  [[nodiscard]] virtual layer_status encode(const iovec* iov, std::size_t n) = 0;

  /// Queues an orderly end of the stream (close_notify, a close frame) when
  /// the layer is established and has not ended yet; otherwise nothing.
  virtual void shutdown() = 0;

  /// Bytes for the layer below; valid until the next non-const call.
  [[nodiscard]] virtual std::span<const std::uint8_t> output() const noexcept = 0;
  /// `n` bytes of `output()` went down (clamped to its size).
  virtual void consume_output(std::size_t n) noexcept = 0;

  /// Why the layer failed or closed ("tls: no shared cipher", "websocket:
  /// text frame"), for the log; empty otherwise.
  [[nodiscard]] virtual std::string_view error() const noexcept = 0;
};

}  // namespace iotb::net
