#pragma once
/// @file
/// What the actors see of a client connection: an abstract MQTT transport.
/// Below it, `socket_transport` stacks byte-stream layers (TCP; TLS over
/// TCP; WebSocket over either) under one MQTT framing layer; the actors
/// never know which (see docs/architecture.md, "Transport layers").

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "broker/metrics/broker_metrics.hpp"
#include "broker/mqtt/codec.hpp"
#include "broker/net/out_queue.hpp"

namespace iotb::tls {
class tls_context;
}  // namespace iotb::tls

namespace iotb::net {

/// Why a transport stopped reading.
struct close_info {
  enum class kind : std::uint8_t {
    peer_closed,         ///< orderly EOF (TCP FIN, TLS close_notify, WebSocket close)
    io_error,            ///< reset, a TLS or WebSocket protocol error, another socket error
    decode_error,        ///< a malformed packet (see `error`)
    keep_alive_timeout,  ///< no packet for 1.5 × keep-alive
  };
  kind what = kind::peer_closed;
  mqtt::decode_error error{mqtt::errc::malformed, ""};
  std::string detail;  ///< errno or protocol text for io_error
};

/// Receives what a transport reads. Called on the transport's I/O thread;
/// implementations forward to the owning actor.
class transport_listener {
 public:
  virtual ~transport_listener() = default;
  /// Decoded packets, in order (never empty).
  virtual void on_packets(std::vector<mqtt::packet>&& batch) = 0;
  /// Reading stopped for good. No call follows. The owner must `close()`.
  virtual void on_closed(const close_info& info) = 0;
  /// The socket accepts bytes again after `write` reported would-block.
  virtual void on_writable() = 0;
};

/// The first packet of a connection, as the framing layer saw it: a decoded
/// CONNECT, or why there is none. Deciding what to answer (a refusing
/// CONNACK, authentication) is the connect gate's business, not the
/// transport's.
struct connect_attempt {
  /// The decoded CONNECT; empty when the first packet was bad.
  std::optional<mqtt::connect> connect;
  /// Why `connect` is empty.
  mqtt::decode_error error{mqtt::errc::malformed, ""};
  /// The protocol level byte the bad CONNECT named (0 when unknown), so a
  /// refusal can be encoded in the client's version.
  std::uint8_t level = 0;
  /// The first packet was another type than CONNECT.
  bool not_connect = false;
};

/// Settings a transport needs from the broker configuration.
struct transport_settings {
  std::uint32_t max_packet_size = 256 * 1024;
  /// Largest CONNECT accepted (what an unauthenticated peer may make the
  /// broker buffer); well below `max_packet_size`.
  std::uint32_t max_connect_size = 16 * 1024;
  /// CONNECT must be complete within this time of accept (an absolute
  /// deadline: trickled bytes do not extend it).
  std::chrono::seconds connect_timeout{10};
  std::size_t max_batches_in_flight = 4;  ///< read back-pressure
  /// Bytes per second read from one connection (SPEC §6: 8 Mbit/s); above
  /// it reading pauses until the budget refills. 0 = no limit.
  std::uint32_t max_bytes_per_s = 0;
  bool anonymous_allowed = false;               ///< of the listener it came from
  bool secure = false;                          ///< a TLS listener (mqtts, wss)
  std::shared_ptr<const tls::tls_context> tls;  ///< set on TLS listeners
  bool websocket = false;                       ///< MQTT over WebSocket (ws, wss)
  std::string ws_path = "/mqtt";                ///< the WebSocket upgrade path
  std::string listener_name;                    ///< "mqtt", "mqtts", "ws", "wss" for logs
  /// Where the connection counts (packets by type); null in tests.
  metrics::broker_metrics* metrics = nullptr;
  /// Its listener's figures (connections, bytes); null in tests.
  metrics::listener_metrics* listener_metrics = nullptr;
};

class transport;
using transport_ptr = std::shared_ptr<transport>;

/// Called (on the I/O thread) with the first packet. Reading stays paused
/// until `attach`; the handler must eventually `attach`, `reject` or `close`.
using connect_handler = std::function<void(transport_ptr, connect_attempt&&)>;

/// One client connection, whatever carries it.
///
/// Threads: reading, timers and the layers' own output run on the
/// connection's I/O thread. `write` is called by the owning actor only (one
/// writer). `attach`, `reject`, `close` and `batch_done` may be called from
/// any thread.
class transport {
 public:
  /// Result of `write`.
  enum class write_status : std::uint8_t { done, would_block, failed };

  virtual ~transport() = default;

  /// Hands the connection to its owner and resumes reading. `keep_alive`
  /// (seconds, 0 = none) arms the 1.5× idle timer.
  virtual void attach(std::shared_ptr<transport_listener> owner, std::uint16_t keep_alive) = 0;

  /// Writes as much of `q` as the connection takes now, removing what was
  /// written. On `would_block` the owner gets `on_writable` later.
  [[nodiscard]] virtual write_status write(out_queue& q) = 0;

  /// Sends `bytes` (best effort, e.g. a refusing CONNACK) and closes. For
  /// connections that were never attached.
  virtual void reject(std::vector<std::uint8_t> bytes) = 0;

  /// Closes the connection; the owner writes nothing after calling it.
  /// Idempotent.
  virtual void close() = 0;

  /// The owner finished one `on_packets` batch (read back-pressure).
  virtual void batch_done() = 0;

  /// Protocol version, known after CONNECT.
  [[nodiscard]] mqtt::version version() const noexcept { return version_; }
  /// "ip:port" of the peer.
  [[nodiscard]] const std::string& peer() const noexcept { return peer_; }
  [[nodiscard]] const transport_settings& settings() const noexcept { return *settings_; }

 protected:
  explicit transport(std::shared_ptr<const transport_settings> s) : settings_(std::move(s)) {}

  std::shared_ptr<const transport_settings> settings_;
  std::string peer_;
  mqtt::version version_ = mqtt::version::v311;
};

}  // namespace iotb::net
