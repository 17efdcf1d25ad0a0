#pragma once
/// @file
/// WebSocket (RFC 6455, server side) as a stream layer for MQTT over
/// WebSocket: the HTTP upgrade (parsed with Boost.Beast; path and the
/// `mqtt` subprotocol checked), then binary frames in both directions.
/// MQTT is a byte stream over the frames: a packet may span frames and a
/// frame may hold several packets. Socket-free; unit-tested in
/// ws_layer.test.cpp and fuzzed.
///
/// Refusals end the stream cleanly: a bad upgrade gets an HTTP error
/// response; a text frame (1003), an oversize frame (1009) and protocol
/// errors (1002) get a close frame with the code. `error()` says why.
///
/// Thread-safety: none (see stream_layer).

#include <cstdint>
#include <string>

#include "broker/net/stream_layer.hpp"
#include "broker/net/ws_frame.hpp"

namespace iotb::net {

class ws_layer final : public stream_layer {
 public:
  struct options {
    std::string path = "/mqtt";                         ///< the only upgrade path served
    std::size_t max_frame = std::size_t{256} * 1024;    ///< larger data frames close with 1009
    std::size_t max_handshake = std::size_t{8} * 1024;  ///< bytes of the upgrade request
  };

  explicit ws_layer(options opts) : opts_(std::move(opts)) {}

  layer_status decode(std::span<const std::uint8_t> in, std::vector<std::uint8_t>& up) override;
  layer_status encode(const iovec* iov, std::size_t n) override;
  void shutdown() override;
  [[nodiscard]] std::span<const std::uint8_t> output() const noexcept override {
    return {out_.data() + out_pos_, out_.size() - out_pos_};
  }
  void consume_output(std::size_t n) noexcept override;
  [[nodiscard]] std::string_view error() const noexcept override { return error_; }

  /// True once the upgrade was answered with 101.
  [[nodiscard]] bool established() const noexcept { return state_ != state::handshake; }
  /// The subprotocol agreed on ("mqtt" or "mqttv3.1").
  [[nodiscard]] const std::string& subprotocol() const noexcept { return subprotocol_; }

  /// Close codes (RFC 6455 §7.4.1).
  static constexpr std::uint16_t close_normal = 1000;
  static constexpr std::uint16_t close_protocol_error = 1002;
  static constexpr std::uint16_t close_unsupported_data = 1003;
  static constexpr std::uint16_t close_too_big = 1009;

 private:
  enum class state : std::uint8_t { handshake, open, closed };

  layer_status handshake(std::span<const std::uint8_t> in, std::vector<std::uint8_t>& up);
  /// Answers the upgrade request in `request_[0, len)`.
  layer_status upgrade(std::size_t len);
  layer_status frames(std::span<const std::uint8_t> in, std::vector<std::uint8_t>& up);
  /// Validates a complete frame header.
  layer_status start_frame(const ws_frame_header& h);
  layer_status end_control();
  /// Writes an HTTP error response and fails.
  layer_status refuse(int status, std::string_view reason, std::string why,
                      std::string_view extra_header = {});
  /// Sends a close frame with `code` and fails with `why`.
  layer_status protocol_error(std::uint16_t code, std::string why);
  void put_frame(std::uint8_t opcode, const iovec* iov, std::size_t n);
  void put_close(std::uint16_t code, std::string_view reason);

  options opts_;
  state state_ = state::handshake;
  std::string request_;  // upgrade request bytes so far
  std::string subprotocol_;
  // The frame being read.
  ws_header_reader header_;
  std::uint8_t opcode_ = 0;
  bool fin_ = false;
  std::uint8_t mask_[4] = {};
  std::uint64_t remaining_ = 0;
  std::uint64_t mask_pos_ = 0;
  bool in_header_ = true;
  bool in_message_ = false;  // a fragmented binary message continues
  std::vector<std::uint8_t> control_;
  bool close_sent_ = false;
  std::vector<std::uint8_t> out_;
  std::size_t out_pos_ = 0;
  std::string error_;
};

}  // namespace iotb::net
