#pragma once
/// @file
/// The load scenarios, run closed-loop on one io_context thread:
///
/// - fan-in: N publishers, publisher i on `bench/in/<i>`; one subscriber on
///   `bench/in/#`;
/// - fan-out: one publisher on `bench/out`; N subscribers on `bench/out`.
///
/// Every payload starts with (publisher id u32, sequence u64, send time in
/// steady-clock ns u64), padded to the payload size. A publisher keeps at
/// most `window` messages unresolved (see window.hpp), so the measured rate
/// is what the broker sustains without loss and with bounded queues. A
/// publisher refills once half its window is free, so that it writes several
/// PUBLISHes per system call. A message the broker drops is resolved when a
/// later one from the same publisher arrives (the gap counts as lost); if
/// the broker drops the whole tail of a window, that publisher stalls, which
/// shows as a low rate and `lost` > 0.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "tools/loadgen/client.hpp"
#include "tools/loadgen/histogram.hpp"
#include "tools/loadgen/window.hpp"

namespace iotb::loadgen {

enum class scenario_kind : std::uint8_t { fan_in, fan_out };

struct scenario_config {
  scenario_kind kind = scenario_kind::fan_in;
  boost::asio::ip::tcp::endpoint target;
  std::size_t clients = 100;  ///< N
  mqtt::qos q = mqtt::qos::at_most_once;
  std::size_t payload = 64;   ///< bytes (at least the 20-byte header)
  double duration_s = 10;     ///< measurement window
  std::uint32_t window = 64;  ///< per publisher
  mqtt::version ver = mqtt::version::v311;
  std::optional<int> broker_pid;
  bool progress = false;    ///< one stderr line per second
  bool persistent = false;  ///< subscribers keep persistent sessions (durable QoS 1)
};

/// Smallest payload: publisher id, sequence, timestamp.
inline constexpr std::size_t payload_header = 4 + 8 + 8;

/// What a run measured.
struct results {
  std::uint64_t sent = 0;                ///< PUBLISHes sent (all in the window)
  std::uint64_t received = 0;            ///< deliveries, every subscriber, drain included
  std::uint64_t received_in_window = 0;  ///< deliveries during the window
  std::uint64_t lost = 0;                ///< expected deliveries that never came
  std::uint64_t duplicates = 0;
  double window_s = 0;    ///< measured window length
  double msgs_per_s = 0;  ///< received_in_window / window_s
  histogram latency_ns;
  std::optional<double> broker_cpu_s;  ///< during the window
  std::optional<long> broker_rss_kib;  ///< at the end
  double loadgen_cpu_s = 0;            ///< our own CPU during the window
  std::uint64_t loadgen_reads = 0;     ///< our socket reads during the window
  std::uint64_t loadgen_writes = 0;    ///< our socket writes during the window
  bool drained = false;                ///< everything resolved before the 2 s limit
  std::string error;                   ///< non-empty when the run failed
};

class scenario final : public client_events {
 public:
  scenario(boost::asio::io_context& io, scenario_config cfg);
  ~scenario() override;

  /// Connects everyone, measures, drains; blocks until done.
  results run();

 private:
  struct publisher {
    client* conn = nullptr;
    std::string topic;
    std::string payload;  ///< template: header rewritten per message
    window win;
    std::uint64_t sent = 0;
    std::uint32_t subscribers = 0;  ///< deliveries expected per message
    bool queued = false;            ///< in `to_pump_`
  };
  struct subscriber {
    client* conn = nullptr;
    std::vector<std::int64_t> last;  ///< per publisher: highest sequence seen
  };
  enum class phase : std::uint8_t { connecting, running, draining, done };

  void on_ready(client& c) override;
  void on_publish(client& c, const mqtt::publish& p) override;
  void on_puback(client& c, std::uint16_t packet_id) override;
  void on_read_done(client& c) override;
  void on_failed(client& c, const std::string& why) override;

  void connect_more();
  void start_window();
  void measure_window();
  void stop_window();
  void finish(std::string error = {});
  void pump(publisher& p);
  void opened(std::size_t pub_index, std::uint64_t n);
  void tick_progress();
  /// Sums of every client's reads and writes so far.
  [[nodiscard]] std::pair<std::uint64_t, std::uint64_t> io_counts() const noexcept;
  [[nodiscard]] publisher* publisher_of(const client& c) noexcept;

  boost::asio::io_context& io_;
  scenario_config cfg_;
  std::vector<std::unique_ptr<client>> clients_;  ///< subscribers first
  std::vector<subscriber> subs_;
  std::vector<publisher> pubs_;
  std::vector<std::size_t> to_pump_;  ///< publishers whose window opened
  boost::asio::steady_timer phase_timer_;
  boost::asio::steady_timer progress_timer_;
  phase phase_ = phase::connecting;
  std::size_t next_connect_ = 0;
  std::size_t connecting_ = 0;
  std::size_t ready_ = 0;
  std::uint64_t outstanding_ = 0;  ///< unresolved messages, all publishers
  std::chrono::steady_clock::time_point t0_;
  std::optional<double> broker_cpu0_;
  double own_cpu0_ = 0;
  std::pair<std::uint64_t, std::uint64_t> io0_;
  std::uint64_t last_progress_received_ = 0;
  results r_;
};

}  // namespace iotb::loadgen
