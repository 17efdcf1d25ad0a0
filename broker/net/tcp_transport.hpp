#pragma once
/// @file
/// One MQTT connection's socket side: framing and decoding on the reading
/// I/O thread, direct non-blocking `writev` from the owning actor.
///
/// Threads: reads, timers and close run on the connection's io_context
/// thread. `write` is called by the owning actor only (one writer); the
/// socket is non-blocking, so the actor writes without a thread hop and asks
/// the io thread to wait for writability only when the kernel buffer is
/// full. The file descriptor is closed only by `close()` — which the owner
/// calls after its last write — so a write can never hit a reused fd.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "broker/limits/token_bucket.hpp"
#include "broker/mqtt/codec.hpp"
#include "broker/net/out_queue.hpp"

namespace iotb::tls {
class tls_context;
class tls_engine;
}  // namespace iotb::tls

namespace iotb::net {

/// Why a transport stopped reading.
struct close_info {
  enum class kind : std::uint8_t {
    peer_closed,         ///< orderly EOF
    io_error,            ///< reset or other socket error
    decode_error,        ///< a malformed packet (see `error`)
    keep_alive_timeout,  ///< no packet for 1.5 × keep-alive
  };
  kind what = kind::peer_closed;
  mqtt::decode_error error{mqtt::errc::malformed, ""};
  std::string detail;  ///< errno text for io_error
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

class tcp_transport;
using transport_ptr = std::shared_ptr<tcp_transport>;

/// Called (on the I/O thread) with the first packet, a decoded CONNECT.
/// Reading stays paused until `attach`.
using connect_handler = std::function<void(transport_ptr, mqtt::connect&&)>;

/// Settings a transport needs from the broker configuration.
struct transport_settings {
  std::uint32_t max_packet_size = 256 * 1024;
  std::chrono::seconds connect_timeout{10};
  std::size_t max_batches_in_flight = 4;  ///< read back-pressure
  /// Bytes per second read from one connection (SPEC §6: 8 Mbit/s); above
  /// it reading pauses until the budget refills. 0 = no limit.
  std::uint32_t max_bytes_per_s = 0;
  bool anonymous_allowed = false;               ///< of the listener it came from
  bool secure = false;                          ///< a TLS listener
  std::shared_ptr<const tls::tls_context> tls;  ///< set on TLS listeners
  std::string listener_name;                    ///< "mqtt" for logs
};

/// One accepted TCP connection, plain or TLS. With TLS, the engine (memory
/// BIOs, broker/tls/engine.hpp) sits between the socket and the framing:
/// the I/O thread decrypts what it reads, the owner encrypts what it
/// writes; a mutex serialises the two (they rarely meet), and ciphertext
/// that the socket does not take stays in the engine until it is writable.
class tcp_transport : public std::enable_shared_from_this<tcp_transport> {
 public:
  /// Result of `write`.
  enum class write_status : std::uint8_t { done, would_block, failed };

  tcp_transport(boost::asio::ip::tcp::socket socket,
                std::shared_ptr<const transport_settings> settings, connect_handler on_connect);
  ~tcp_transport();

  /// Starts reading, expecting CONNECT within the connect timeout.
  /// I/O thread only.
  void start();

  /// Hands the connection to its owner and resumes reading (any thread).
  /// `keep_alive` (seconds, 0 = none) arms the 1.5× idle timer.
  void attach(std::shared_ptr<transport_listener> owner, std::uint16_t keep_alive);

  /// Writes as much of `q` as the socket takes now, removing what was
  /// written. On `would_block` the owner gets `on_writable` later.
  /// Owner's thread only.
  [[nodiscard]] write_status write(out_queue& q);

  /// Sends `bytes` (best effort, e.g. a refusing CONNACK) and closes. For
  /// connections that were never attached. Any thread.
  void reject(std::vector<std::uint8_t> bytes);

  /// Closes the socket; the owner writes nothing after calling it. Any
  /// thread; idempotent.
  void close();

  /// Tells the transport the owner finished one `on_packets` batch (read
  /// back-pressure). Any thread.
  void batch_done();

  /// Protocol version, known after CONNECT. Set before attach.
  [[nodiscard]] mqtt::version version() const noexcept { return version_; }
  /// "ip:port" of the peer.
  [[nodiscard]] const std::string& peer() const noexcept { return peer_; }
  [[nodiscard]] const transport_settings& settings() const noexcept { return *settings_; }

 private:
  void wait_readable();
  void on_readable();
  void process(std::span<const std::uint8_t> data);
  bool handle_connect(const mqtt::frame& f);
  void deliver(std::vector<mqtt::packet>&& batch);
  void fail(close_info info);
  void arm_timer();
  void on_timer();
  void do_close();
  /// Waits (on the I/O thread) until the socket is writable, then flushes
  /// TLS output and tells the owner.
  void arm_write_wait();
  /// TLS: feeds ciphertext, processes the plaintext. @returns false when
  /// the connection ended.
  bool on_cipher(std::span<const std::uint8_t> data);
  /// TLS: sends pending ciphertext; caller holds `tls_mu_`. @returns true
  /// when everything went out, false on would-block (a wait is armed) or error.
  bool flush_tls_locked(bool& failed);
  /// Pauses reading while over the bandwidth budget. @returns true if paused.
  bool pause_for_bandwidth();
  write_status write_tls(out_queue& q);

  boost::asio::ip::tcp::socket socket_;
  boost::asio::steady_timer timer_;
  int fd_;
  std::shared_ptr<const transport_settings> settings_;
  connect_handler on_connect_;
  std::shared_ptr<transport_listener> owner_;  // io thread only
  std::vector<std::uint8_t> partial_;          // bytes of an incomplete packet
  std::string peer_;
  std::chrono::steady_clock::time_point last_rx_;
  std::chrono::milliseconds idle_limit_{0};
  std::atomic<int> batches_in_flight_{0};
  mqtt::version version_ = mqtt::version::v311;
  bool got_connect_ = false;
  bool reading_ = false;                                 // a readiness wait is pending
  bool awaiting_attach_ = false;                         // CONNECT handed over, no owner yet
  bool throttled_ = false;                               // too many batches unprocessed
  bool bw_paused_ = false;                               // over the bandwidth budget
  limits::token_bucket bw_;                              // bytes read (unlimited when rate 0)
  std::unique_ptr<boost::asio::steady_timer> bw_timer_;  // made on first pause
  bool stopped_ = false;                                 // reading ended (on_closed sent)
  bool closed_ = false;
  std::unique_ptr<tls::tls_engine> tls_;  // guarded by tls_mu_
  std::mutex tls_mu_;
  bool write_wait_ = false;  // a writability wait is armed (guarded by tls_mu_ for TLS)
};

}  // namespace iotb::net
