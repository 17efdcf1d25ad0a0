#pragma once
/// @file
/// WebSocket, client side (RFC 6455), as a `net::stream_layer` for the load
/// generator's MQTT over WebSocket: it queues the HTTP upgrade request
/// (path, subprotocol `mqtt`) at construction, checks the 101 answer
/// (status, `Upgrade`, `Sec-WebSocket-Accept`, the subprotocol), then wraps
/// what it is given into masked binary frames and unwraps the server's
/// frames into a byte stream: MQTT packets may span frames, a frame may
/// hold several packets. Socket-free; unit-tested in ws_client.test.cpp.
///
/// Efficiency: one `encode` call is one frame (the load generator encodes
/// one write batch at a time), split only beyond `max_frame_out`; masking
/// XORs eight bytes at a time with a key from a fast generator seeded from
/// BoringSSL's RAND_bytes (unpredictable to anything outside the process,
/// which is what the mask is for).
///
/// Before the 101 arrives, `encode` keeps the data and frames it once the
/// upgrade is done (a client must not send frames before the answer).
/// Pings are answered with pongs; a close frame is answered and ends the
/// stream (`closed`); text frames, reserved bits, masked server frames,
/// unknown opcodes, frames over `max_frame_in` and a bad upgrade answer
/// fail (`failed`, `error()` says why).
///
/// Thread-safety: none (see stream_layer).

#include <cstdint>
#include <string>
#include <vector>

#include "broker/net/stream_layer.hpp"
#include "broker/net/ws_frame.hpp"

namespace iotb::loadgen {

class ws_client_layer final : public net::stream_layer {
 public:
  struct options {
    std::string host = "127.0.0.1";  ///< the `Host` header
    std::string path = "/mqtt";      ///< the request target
    std::string subprotocol = "mqtt";
    /// Larger `encode` calls are split into frames of this size (iotbroker
    /// closes frames over 256 KiB with 1009).
    std::size_t max_frame_out = std::size_t{128} * 1024;
    std::size_t max_frame_in = std::size_t{64} << 20;   ///< sanity cap on server frames
    std::size_t max_handshake = std::size_t{8} * 1024;  ///< bytes of the 101 answer
  };

  /// Queues the upgrade request (a fresh random `Sec-WebSocket-Key`).
  explicit ws_client_layer(options opts);

  net::layer_status decode(std::span<const std::uint8_t> in,
                           std::vector<std::uint8_t>& up) override;
  net::layer_status encode(const iovec* iov, std::size_t n) override;
  void shutdown() override;
  [[nodiscard]] std::span<const std::uint8_t> output() const noexcept override {
    return {out_.data() + out_pos_, out_.size() - out_pos_};
  }
  void consume_output(std::size_t n) noexcept override;
  [[nodiscard]] std::string_view error() const noexcept override { return error_; }

  /// True once the server answered the upgrade with a valid 101.
  [[nodiscard]] bool established() const noexcept { return established_; }
  /// The `Sec-WebSocket-Key` sent (tests compute the answer from it).
  [[nodiscard]] const std::string& key() const noexcept { return key_; }

  /// Appends one frame (FIN set) with `payload` to `out`, masked with `mask`
  /// when given. Pure; exposed for tests and benchmarks.
  static void put_frame(std::vector<std::uint8_t>& out, std::uint8_t opcode,
                        std::span<const std::uint8_t> payload, const std::uint8_t* mask);

  /// Opcodes (RFC 6455 §5.2).
  static constexpr std::uint8_t op_continuation = 0x0;
  static constexpr std::uint8_t op_text = 0x1;
  static constexpr std::uint8_t op_binary = 0x2;
  static constexpr std::uint8_t op_close = 0x8;
  static constexpr std::uint8_t op_ping = 0x9;
  static constexpr std::uint8_t op_pong = 0xA;

 private:
  enum class state : std::uint8_t { handshake, open, closed };

  net::layer_status handshake(std::span<const std::uint8_t> in, std::vector<std::uint8_t>& up);
  /// Checks the answer in `response_[0, len)`.
  net::layer_status check_answer(std::size_t len);
  net::layer_status frames(std::span<const std::uint8_t> in, std::vector<std::uint8_t>& up);
  /// Validates a complete frame header.
  net::layer_status start_frame(const net::ws_frame_header& h);
  net::layer_status end_control();
  net::layer_status fail(std::string why);
  /// Frames `payload` as binary data, split at `max_frame_out`.
  void put_data(std::span<const std::uint8_t> payload);
  void put_masked(std::uint8_t opcode, std::span<const std::uint8_t> payload);
  void next_mask(std::uint8_t (&mask)[4]) noexcept;

  options opts_;
  state state_ = state::handshake;
  bool established_ = false;
  std::string key_;
  std::string response_;               // the 101 answer so far
  std::vector<std::uint8_t> pending_;  // data encoded before the upgrade completed
  // The frame being read.
  net::ws_header_reader header_;
  std::uint8_t opcode_ = 0;
  std::uint64_t remaining_ = 0;
  bool in_header_ = true;
  bool in_message_ = false;  // a fragmented binary message continues
  std::vector<std::uint8_t> control_;
  bool close_sent_ = false;
  std::uint64_t rng_ = 0;  // xorshift64* state for masking keys
  std::vector<std::uint8_t> out_;
  std::size_t out_pos_ = 0;
  std::string error_;
};

}  // namespace iotb::loadgen
