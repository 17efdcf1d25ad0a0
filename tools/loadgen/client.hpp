#pragma once
/// @file
/// One MQTT client connection of the load generator: TCP connect, CONNECT /
/// CONNACK, an optional SUBSCRIBE / SUBACK, then a read loop that frames
/// with `mqtt::next_frame` and decodes with `mqtt::decode_packet`, and
/// batched writes: the owner appends any number of encoded packets to
/// `out()` and calls `flush()`; while one write is in flight, further
/// packets accumulate and go out together in the next one.
///
/// Between the socket and MQTT sit optional byte-stream layers
/// (`net::stream_layer`): TLS (`net::tls_layer`, the broker's memory-BIO
/// engine in client mode) and WebSocket (`ws_client_layer`: masked binary
/// frames, one per write batch), so the four transports are TCP, TLS,
/// WebSocket and WebSocket over TLS. MQTT sees only its own bytes.
///
/// Threads: everything runs on the one io_context thread.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "broker/mqtt/codec.hpp"
#include "broker/net/stream_layer.hpp"
#include "broker/tls/engine.hpp"

namespace iotb::loadgen {

class client;

/// What a client reports to its owner.
class client_events {
 public:
  virtual ~client_events() = default;
  /// CONNACK accepted and, with a subscription, SUBACK granted.
  virtual void on_ready(client& c) = 0;
  /// A PUBLISH arrived (its PUBACK or PUBREC is already queued in `out()`).
  virtual void on_publish(client& c, const mqtt::publish& p) = 0;
  /// One of our PUBLISHes completed: PUBACK (QoS 1) or PUBCOMP (QoS 2).
  virtual void on_ack(client& c, std::uint16_t packet_id) = 0;
  /// Every packet of one read has been handled (a good moment to write).
  virtual void on_read_done(client& c) = 0;
  /// The connection failed or was refused; no further calls follow.
  virtual void on_failed(client& c, const std::string& why) = 0;
};

/// Per-client settings.
struct client_options {
  std::string client_id;
  std::string subscribe_filter;  ///< empty: no SUBSCRIBE
  mqtt::qos sub_qos = mqtt::qos::at_most_once;
  mqtt::version ver = mqtt::version::v311;
  std::size_t read_buffer = std::size_t{16} * 1024;  ///< initial size; grows for big packets
  std::optional<std::string> username;               ///< e.g. a signed device CONNECT
  std::optional<std::string> password;
  std::uint16_t keep_alive = 0;  ///< seconds (devices need 30-1200)
  /// A persistent session (clean session 0; MQTT 5: session expiry 300 s),
  /// so that a broker with durable QoS 1 stores what it delivers to it.
  bool persistent = false;
  /// TLS (null: plain TCP).
  std::shared_ptr<const tls::tls_context> tls;
  /// MQTT over WebSocket (over TLS when `tls` is set) with this request
  /// path, e.g. "/mqtt"; unset: MQTT straight on the byte stream.
  std::optional<std::string> ws_path;
  /// Local address to connect from (spreads connections over 127.0.0.x
  /// beyond one address's ephemeral ports); unset: the kernel's choice.
  std::optional<boost::asio::ip::address> source;
  /// Close with a reset after the DISCONNECT (no TIME_WAIT on our side:
  /// back-to-back storms of many connections would run out of ports).
  bool reset_on_close = false;
};

class client {
 public:
  client(boost::asio::io_context& io, client_events& events, std::size_t index,
         client_options opts);
  client(const client&) = delete;
  client& operator=(const client&) = delete;

  /// Connects to `target` and starts the handshake.
  void start(const boost::asio::ip::tcp::endpoint& target);

  /// The buffer packets are appended to; `flush()` sends them.
  [[nodiscard]] mqtt::buffer& out() noexcept { return out_; }
  /// Starts writing `out()` unless a write is in flight (its completion
  /// writes what has accumulated meanwhile).
  void flush();

  /// Queues a PINGREQ and flushes (keep-alive of idle connections).
  void ping();

  /// Best-effort DISCONNECT (only when no write is in flight), then close.
  void disconnect() noexcept;

  [[nodiscard]] std::size_t index() const noexcept { return index_; }
  [[nodiscard]] mqtt::version version() const noexcept { return opts_.ver; }
  [[nodiscard]] bool ready() const noexcept { return state_ == state::ready; }
  /// True once the broker accepted the CONNECT (stays true after a failure).
  [[nodiscard]] bool accepted() const noexcept { return accepted_; }
  /// MQTT 5: the broker's Receive Maximum from CONNACK (65535 when absent).
  [[nodiscard]] std::uint16_t receive_maximum() const noexcept { return receive_maximum_; }
  /// Completed socket reads and started writes (system calls, roughly).
  [[nodiscard]] std::uint64_t reads() const noexcept { return reads_; }
  [[nodiscard]] std::uint64_t writes() const noexcept { return writes_; }

 private:
  enum class state : std::uint8_t {
    idle,
    connecting,
    awaiting_connack,
    awaiting_suback,
    ready,
    closed
  };

  void read();
  void on_read(const boost::system::error_code& ec, std::size_t n);
  /// Handles one complete packet; false when the connection failed.
  bool handle(const mqtt::frame& f);
  void write();
  /// Passes `n` bytes read into `raw_` up through the layers and appends
  /// the MQTT bytes to `in_`; false when the connection failed.
  bool unwrap(std::size_t n);
  /// Moves what layers `from` … 1 queued down to layer 0; false on failure.
  bool push_down(std::size_t from);
  [[nodiscard]] bool layers_have_output() const noexcept;
  /// The first error a layer reported, else `fallback`.
  [[nodiscard]] std::string layer_error(std::string_view fallback) const;
  void fail(const std::string& why);

  boost::asio::ip::tcp::socket socket_;
  client_events& events_;
  std::size_t index_;
  client_options opts_;
  state state_ = state::idle;
  std::vector<std::uint8_t> in_;  ///< MQTT bytes
  std::size_t in_used_ = 0;
  /// Byte-stream layers, [0] next to the socket; empty: plain TCP.
  std::vector<std::unique_ptr<net::stream_layer>> layers_;
  std::vector<std::uint8_t> raw_;                   ///< with layers: what the socket read
  std::vector<std::vector<std::uint8_t>> between_;  ///< bytes from layer i up to i + 1
  mqtt::buffer out_;
  mqtt::buffer writing_;
  bool write_in_flight_ = false;
  std::uint16_t receive_maximum_ = 65535;
  bool stream_closed_ = false;  ///< a layer ended the stream (close_notify, WebSocket close)
  bool accepted_ = false;
  std::uint64_t reads_ = 0;
  std::uint64_t writes_ = 0;
};

}  // namespace iotb::loadgen
