#pragma once
/// @file
/// The MQTT framing layer: a byte stream in (split anywhere: TCP segments,
/// TLS records, WebSocket frames), decoded packets out. Socket-free; the
/// transport feeds it whatever its lower layers produced.
///
/// The first packet is special: it must be a CONNECT no larger than
/// `max_connect_size` (what an unauthenticated peer can make the broker
/// hold), and framing stops after it until the connection is attached, so
/// that the session decides the protocol version before the rest is
/// decoded. Sizes are checked from the fixed header, before any body byte
/// is buffered.
///
/// Thread-safety: none; owned by one transport (its I/O thread).

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "broker/mqtt/codec.hpp"
#include "broker/net/transport.hpp"

namespace iotb::net {

/// What one `feed` produced, in stream order: packets, then possibly the
/// end of the stream (`error`). The CONNECT comes alone.
struct framing_output {
  std::vector<mqtt::packet> batch;          ///< decoded packets (after CONNECT)
  std::optional<connect_attempt> connect;   ///< the first packet, decoded or not
  std::optional<mqtt::decode_error> error;  ///< the stream is broken after `batch`

  void clear() {
    batch.clear();
    connect.reset();
    error.reset();
  }
};

class mqtt_framing {
 public:
  mqtt_framing(std::uint32_t max_packet_size, std::uint32_t max_connect_size)
      : max_packet_(max_packet_size), max_connect_(std::min(max_connect_size, max_packet_size)) {}

  /// Frames and decodes `data` (plus what an earlier call kept). Keeps the
  /// bytes of an incomplete packet, and everything after the CONNECT until
  /// `resume()`. After an error or a CONNECT attempt that failed, further
  /// input is ignored.
  void feed(std::span<const std::uint8_t> data, framing_output& out);

  /// The connection was attached: decode the rest (call `feed({})` to
  /// process what was kept).
  void resume() noexcept { paused_ = false; }

  /// Packets are decoded for this version (set from the CONNECT).
  [[nodiscard]] mqtt::version version() const noexcept { return version_; }
  /// True once a valid CONNECT was seen.
  [[nodiscard]] bool got_connect() const noexcept { return got_connect_; }
  /// True while framing waits for `resume()`.
  [[nodiscard]] bool paused() const noexcept { return paused_; }
  /// Bytes kept (an incomplete packet, or input after CONNECT).
  [[nodiscard]] std::size_t buffered() const noexcept { return partial_.size(); }

 private:
  /// Handles the first frame. @returns false when the stream ends.
  bool first_packet(const mqtt::frame& f, framing_output& out);

  std::uint32_t max_packet_;
  std::uint32_t max_connect_;
  std::vector<std::uint8_t> partial_;
  mqtt::version version_ = mqtt::version::v311;
  bool got_connect_ = false;
  bool paused_ = false;
  bool broken_ = false;
};

}  // namespace iotb::net
