#pragma once
/// @file
/// The `rrpc` scenario (issue 11: RRPC round trips per second and p99 with
/// 1,000 devices): N devices hold signed CONNECTs with `_ss=1` (the
/// broker's automatic subscription includes `…/rrpc/request/+`) and echo
/// every request payload on `…/rrpc/response/${messageId}`; a driver of K
/// HTTP/1.1 keep-alive connections to the admin API, one call in flight
/// each, POSTs `…/devices/${dn}/rrpc` to the devices in turn (rrpc.hpp).
///
/// Closed loop: each connection sends its next call when the previous one
/// is answered. Paced (`rate`): call k is due k / rate s after the start
/// and goes out on the first free connection; its latency counts from its
/// due time (rrpc_pacer). A round trip is a call answered `SUCCESS` with
/// its own payload echoed; anything else is counted by outcome and the run
/// fails. Calls still open `drain_s` after the window are `NO_ANSWER`.
///
/// Threads: one io_context thread for devices and driver alike.

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "tools/loadgen/client.hpp"
#include "tools/loadgen/device_auth.hpp"
#include "tools/loadgen/histogram.hpp"
#include "tools/loadgen/rrpc.hpp"
#include "tools/loadgen/rrpc_http.hpp"
#include "tools/loadgen/scenario.hpp"

namespace iotb::loadgen {

struct options;

struct rrpc_config {
  connection_config conn;                  ///< the MQTT side (devices)
  boost::asio::ip::tcp::endpoint admin;    ///< the admin API
  std::string authorization;               ///< e.g. "Bearer …"
  std::vector<device_credential> devices;  ///< at least `clients`
  std::size_t clients = 1000;              ///< devices connected and called
  std::size_t http_conns = 16;             ///< driver connections, one call in flight each
  double duration_s = 10;                  ///< measurement window
  double rate = 0;                         ///< calls/s; 0: closed loop
  unsigned timeout_ms = 3000;              ///< the calls' `timeoutMs`
  double drain_s = 4;                      ///< after the window, for calls still open
  std::uint16_t keep_alive = 300;
};

struct rrpc_results {
  std::uint64_t calls = 0;                 ///< POSTs sent (all in the window)
  rrpc_tally outcomes{};                   ///< every call's outcome, drain included
  std::uint64_t success_in_window = 0;     ///< SUCCESS answered during the window
  std::uint64_t requests_seen = 0;         ///< rrpc/request PUBLISHes the devices got
  std::uint64_t unexpected_publishes = 0;  ///< other PUBLISHes the devices got
  double window_s = 0;
  double calls_per_s = 0;              ///< success_in_window / window_s
  histogram latency_ns;                ///< SUCCESS calls: answer read − sent (paced: − due)
  histogram service_ns;                ///< SUCCESS calls: answer read − sent (paced too)
  std::optional<double> broker_cpu_s;  ///< during the window
  std::optional<long> broker_rss_kib;  ///< at the end
  double loadgen_cpu_s = 0;
  std::uint64_t backlog_max = 0;  ///< paced: most calls due but not yet sent
  std::string first_failure;      ///< the first non-SUCCESS answer (status and body)
  bool drained = false;           ///< no call open at the end
  std::string error;              ///< non-empty when the run failed

  /// Calls that did not end SUCCESS.
  [[nodiscard]] std::uint64_t failed() const noexcept {
    return calls - outcomes[static_cast<std::size_t>(rrpc_outcome::success)];
  }
};

class rrpc_scenario final : public client_events {
 public:
  rrpc_scenario(boost::asio::io_context& io, rrpc_config cfg);
  ~rrpc_scenario() override;

  /// Connects devices and driver, measures, drains; blocks until done.
  rrpc_results run();

 private:
  struct device {
    std::unique_ptr<client> conn;
    const device_credential* cred = nullptr;
    std::string target;  ///< the API path of its RRPC
  };
  struct caller {
    std::unique_ptr<http_caller> http;
    std::string payload;           ///< the call in flight's payload
    std::uint64_t started_ns = 0;  ///< its due (paced) or send time
    std::uint64_t sent_ns = 0;     ///< when it was sent
    bool in_window = false;
  };
  enum class phase : std::uint8_t { connecting, running, draining, done };

  void on_ready(client& c) override;
  void on_publish(client& c, const mqtt::publish& p) override;
  void on_ack(client&, std::uint16_t) override {}
  void on_read_done(client& c) override;
  void on_failed(client& c, const std::string& why) override;

  void connect_devices();
  void connect_callers();
  void start_window();
  void measure_window();
  void stop_window();
  void finish(std::string error = {});
  /// Sends the next call on `c` (free), started (latency origin) at `t_ns`.
  void call(std::size_t c, std::uint64_t t_ns);
  void on_answer(std::size_t c, const boost::system::error_code& ec, unsigned status,
                 std::string_view body);
  /// Paced: sends the calls due by now on free connections.
  void send_due();
  /// Paced: `send_due` every millisecond while the window runs.
  void pace();
  void tick();
  [[nodiscard]] std::size_t open_calls() const noexcept;

  boost::asio::io_context& io_;
  rrpc_config cfg_;
  std::vector<device> devices_;
  std::vector<caller> callers_;
  std::vector<std::size_t> free_;  ///< paced: callers without a call in flight
  boost::asio::steady_timer phase_timer_;
  boost::asio::steady_timer tick_timer_;
  boost::asio::steady_timer pace_timer_;
  phase phase_ = phase::connecting;
  std::size_t next_connect_ = 0;
  std::size_t connecting_ = 0;
  std::size_t ready_ = 0;
  std::size_t callers_ready_ = 0;
  std::size_t next_device_ = 0;  ///< round robin
  std::uint64_t seq_ = 0;        ///< calls made (payload numbering)
  std::optional<rrpc_pacer> pacer_;
  std::uint64_t paced_sent_ = 0;  ///< paced: calls taken from the schedule
  std::uint64_t t0_ns_ = 0;
  std::optional<double> broker_cpu0_;
  double own_cpu0_ = 0;
  std::uint64_t last_tick_success_ = 0;
  histogram tick_latency_ns_;
  rrpc_results r_;
};

/// Runs the scenario from loadgen's command line (options.hpp: --admin-port,
/// --token or $IOTB_TOKEN, --http-conns, --rrpc-timeout-ms, --rate) with the
/// MQTT settings and device credentials main.cpp made of it, and prints its
/// summary (and JSON with --json; rrpc_report.cpp). Returns the exit
/// status: 0 when every call succeeded, 2 otherwise; dies (64) without a
/// token.
[[nodiscard]] int run_rrpc(const options& o, connection_config conn,
                           std::vector<device_credential> devices);

}  // namespace iotb::loadgen
