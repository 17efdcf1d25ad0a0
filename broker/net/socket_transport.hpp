#pragma once
/// @file
/// The one `transport` implementation: a TCP socket, an optional stack of
/// byte-stream layers (TLS, WebSocket, or WebSocket over TLS) and the MQTT
/// framing layer on top.
///
/// Reading: the socket is registered once, edge-triggered, with its I/O
/// thread's `poller`; on readiness the I/O thread reads into its 64 KiB
/// buffer until EAGAIN, passes the bytes up through the layers and the
/// framing, and hands decoded packets to the owner (one call per read). Writing: the owning actor
/// writes without a thread hop — plain TCP straight from its `out_queue` with `sendmsg`, layered
/// connections through the layers (under `mu_`, which also guards the I/O thread's use of them) —
/// and the I/O thread waits for writability only when the kernel buffer is full. The descriptor is
/// closed only by `close()`, which the owner calls after its last write, so
/// a write never hits a reused fd.

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>

#include <boost/asio/steady_timer.hpp>

#include "broker/limits/token_bucket.hpp"
#include "broker/net/mqtt_framing.hpp"
#include "broker/net/poller.hpp"
#include "broker/net/stream_layer.hpp"
#include "broker/net/transport.hpp"

namespace iotb::net {

class socket_transport final : public transport,
                               public poll_watcher,
                               public std::enable_shared_from_this<socket_transport> {
 public:
  /// `fd`: a connected, non-blocking TCP socket, owned from now on; it is
  /// served by `p`'s I/O thread. `layers[0]` sits next to the socket;
  /// empty for plain TCP.
  socket_transport(int fd, poller& p, std::shared_ptr<const transport_settings> settings,
                   connect_handler on_connect, std::vector<std::unique_ptr<stream_layer>> layers);
  ~socket_transport() override;

  /// Starts reading, expecting CONNECT within the connect timeout.
  /// I/O thread only.
  void start();

  void attach(std::shared_ptr<transport_listener> owner, std::uint16_t keep_alive) override;
  [[nodiscard]] write_status write(out_queue& q) override;
  void reject(std::vector<std::uint8_t> bytes) override;
  void close() override;
  void batch_done() override;

  /// Readiness from the poller (I/O thread).
  void on_ready(std::uint32_t events) override;
  /// The poller's tick: the CONNECT deadline, then the keep-alive.
  void on_tick(std::chrono::steady_clock::time_point now) override;

 private:
  /// Nothing stops reading (CONNECT handed over, throttled, over budget,
  /// ended).
  [[nodiscard]] bool may_read() const noexcept {
    return !(awaiting_attach_ || throttled_ || bw_paused_ || stopped_ || closed_);
  }
  /// Reads again (posted) when reading may resume and bytes may wait;
  /// otherwise the next edge from the poller starts it.
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
  void fail(const close_info& info);
  /// True when bytes wait in the socket (a peer we did not read is alive).
  [[nodiscard]] bool readable_now() const;
  void do_close();
  /// Waits (on the I/O thread) until the socket is writable, then flushes
  /// the layers' output and tells the owner.
  void arm_write_wait();
  /// The socket is writable again: flush the layers, tell the owner.
  void on_write_ready();
  /// Moves each layer's output into the one below and sends the lowest
  /// one's; caller holds `mu_`. @returns true when everything went out,
  /// false on would-block (a wait is armed) or error (`failed` set).
  bool flush_layers_locked(bool& failed);
  /// Pauses reading while over the bandwidth budget. @returns true if paused.
  bool pause_for_bandwidth();
  write_status write_layered(out_queue& q);

  poller& poller_;
  poller::handle poll_handle_ = 0;
  int fd_;
  connect_handler on_connect_;
  std::shared_ptr<transport_listener> owner_;  // io thread only
  mqtt_framing framing_;
  std::chrono::steady_clock::time_point last_rx_;
  std::chrono::steady_clock::time_point connect_deadline_;
  std::chrono::milliseconds idle_limit_{0};             // 0: no keep-alive check
  std::chrono::steady_clock::time_point recheck_at_{};  // a silent peer with unread bytes
  std::atomic<int> batches_in_flight_{0};
  bool readable_ = true;          // bytes may wait unread (no EAGAIN since the last edge)
  bool read_posted_ = false;      // a read attempt is posted
  bool peer_done_ = false;        // epoll reported EPOLLRDHUP/HUP/ERR: read up to the end
  bool write_armed_ = false;      // waiting for EPOLLOUT (I/O thread)
  bool awaiting_attach_ = false;  // CONNECT handed over, no owner yet
  bool throttled_ = false;        // too many batches unprocessed
  bool bw_paused_ = false;        // over the bandwidth budget
  limits::token_bucket bw_;       // bytes read (unlimited when rate 0)
  std::unique_ptr<boost::asio::steady_timer> bw_timer_;  // made on first pause
  bool stopped_ = false;                                 // reading ended (on_closed sent)
  bool closed_ = false;
  bool counted_ = false;                               // in its listener's connection gauge
  std::vector<std::unique_ptr<stream_layer>> layers_;  // guarded by mu_
  std::mutex mu_;
  bool write_wait_ = false;  // a writability wait is armed (guarded by mu_ when layered)
};

}  // namespace iotb::net
