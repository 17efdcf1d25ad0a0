#pragma once
/// @file
/// The one `transport` implementation: a TCP socket, an optional stack of
/// byte-stream layers (TLS, WebSocket, or WebSocket over TLS) and the MQTT
/// framing layer on top.
///
/// Reading: the I/O thread reads into its 64 KiB buffer, passes the bytes
/// up through the layers and the framing, and hands decoded packets to the
/// owner (one call per read). Writing: the owning actor writes without a
/// thread hop — plain TCP straight from its `out_queue` with `sendmsg`,
/// layered connections through the layers (under `mu_`, which also guards
/// the I/O thread's use of them) — and the I/O thread waits for
/// writability only when the kernel buffer is full. The descriptor is
/// closed only by `close()`, which the owner calls after its last write, so
/// a write never hits a reused fd.

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "broker/limits/token_bucket.hpp"
#include "broker/net/mqtt_framing.hpp"
#include "broker/net/stream_layer.hpp"
#include "broker/net/transport.hpp"

namespace iotb::net {

class socket_transport final : public transport,
                               public std::enable_shared_from_this<socket_transport> {
 public:
  /// `layers[0]` sits next to the socket; empty for plain TCP.
  socket_transport(boost::asio::ip::tcp::socket socket,
                   std::shared_ptr<const transport_settings> settings, connect_handler on_connect,
                   std::vector<std::unique_ptr<stream_layer>> layers);
  ~socket_transport() override;

  /// Starts reading, expecting CONNECT within the connect timeout.
  /// I/O thread only.
  void start();

  void attach(std::shared_ptr<transport_listener> owner, std::uint16_t keep_alive) override;
  [[nodiscard]] write_status write(out_queue& q) override;
  void reject(std::vector<std::uint8_t> bytes) override;
  void close() override;
  void batch_done() override;

 private:
  void wait_readable();
  void on_readable();
  /// Bytes read from the socket. @returns false when the connection ended.
  bool on_input(std::span<const std::uint8_t> data);
  /// Layers: passes `data` up the stack into `plain`; sends what the layers
  /// answer by themselves. @returns false when the connection ended.
  bool decode_layers(std::span<const std::uint8_t> data, std::span<const std::uint8_t>& plain);
  /// Feeds the framing and acts on what it produced.
  void frame(std::span<const std::uint8_t> plain);
  void on_connect_attempt(connect_attempt&& a);
  void deliver(std::vector<mqtt::packet>&& batch);
  void fail(close_info info);
  void arm_timer();
  void on_timer();
  /// True when bytes wait in the socket (a peer we did not read is alive).
  [[nodiscard]] bool readable_now() const;
  void do_close();
  /// Waits (on the I/O thread) until the socket is writable, then flushes
  /// the layers' output and tells the owner.
  void arm_write_wait();
  /// Moves each layer's output into the one below and sends the lowest
  /// one's; caller holds `mu_`. @returns true when everything went out,
  /// false on would-block (a wait is armed) or error (`failed` set).
  bool flush_layers_locked(bool& failed);
  /// Pauses reading while over the bandwidth budget. @returns true if paused.
  bool pause_for_bandwidth();
  write_status write_layered(out_queue& q);

  boost::asio::ip::tcp::socket socket_;
  boost::asio::steady_timer timer_;
  int fd_;
  connect_handler on_connect_;
  std::shared_ptr<transport_listener> owner_;  // io thread only
  mqtt_framing framing_;
  std::chrono::steady_clock::time_point last_rx_;
  std::chrono::steady_clock::time_point connect_deadline_;
  std::chrono::milliseconds idle_limit_{0};
  std::atomic<int> batches_in_flight_{0};
  bool reading_ = false;                                 // a readiness wait is pending
  bool awaiting_attach_ = false;                         // CONNECT handed over, no owner yet
  bool throttled_ = false;                               // too many batches unprocessed
  bool bw_paused_ = false;                               // over the bandwidth budget
  limits::token_bucket bw_;                              // bytes read (unlimited when rate 0)
  std::unique_ptr<boost::asio::steady_timer> bw_timer_;  // made on first pause
  bool stopped_ = false;                                 // reading ended (on_closed sent)
  bool closed_ = false;
  bool counted_ = false;                               // in its listener's connection gauge
  std::vector<std::unique_ptr<stream_layer>> layers_;  // guarded by mu_
  std::mutex mu_;
  bool write_wait_ = false;  // a writability wait is armed (guarded by mu_ when layered)
};

}  // namespace iotb::net
