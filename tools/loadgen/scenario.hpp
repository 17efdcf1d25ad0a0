#pragma once
/// @file
/// The message scenarios, run on one io_context thread:
///
/// - fan-in: N publishers, publisher i on `bench/in/<i>`; M subscribers
///   (default 1), each on `bench/in/+`;
/// - fan-out: one publisher on `bench/out`; N subscribers on `bench/out`;
/// - p2p: N pairs, publisher i on `bench/p2p/<i>`, subscriber i on that
///   topic only;
/// - shared: N publishers on `bench/shared/<i>`; a `$share/bench/...`
///   group of M consumers (default 4): each message goes to one of them;
/// - thing: N devices (signed CONNECTs with `_ss=1`), each posting Alink
///   properties on its own topic and receiving the broker's reply on its
///   own connection (thing.hpp: the post's id carries what the header
///   below carries, and the reply echoes it).
///
/// `topic` overrides the pattern: `%i` stands for the publisher index (the
/// subscribers' filters use `+` there, p2p uses the index).
///
/// Every other payload starts with (publisher id u32, sequence u64, send time in
/// steady-clock ns u64), padded to the payload size. A publisher keeps at
/// most `window` messages unresolved (see ledger.hpp), so the measured
/// rate is what the broker sustains with bounded queues. Without a target
/// rate a publisher refills once half its window is free (several
/// PUBLISHes per system call); with `rate`, a 1 ms pacer spreads that many
/// messages per second over the publishers, each still inside its window.
/// Messages unresolved for `loss_timeout_s` expire (the window moves on);
/// loss and duplicates are counted exactly from the sequence numbers.

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
#include "tools/loadgen/device_auth.hpp"
#include "tools/loadgen/histogram.hpp"
#include "tools/loadgen/ledger.hpp"
#include "tools/loadgen/thing.hpp"

namespace iotb::loadgen {

enum class scenario_kind : std::uint8_t { fan_in, fan_out, p2p, shared, thing };

/// How progress is shown on stderr.
enum class progress_mode : std::uint8_t {
  off,
  lines,  ///< one line per second (logs)
  live,   ///< one line rewritten in place (a terminal)
};

/// Writes one progress line to stderr: rewritten in place with `live` (a
/// terminal; `last` ends the line), one line each with `lines`.
void print_progress(progress_mode m, bool last, const char* text);

/// Settings shared by every scenario.
struct connection_config {
  boost::asio::ip::tcp::endpoint target;
  mqtt::version ver = mqtt::version::v311;
  std::shared_ptr<const tls::tls_context> tls;  ///< null: plain TCP
  /// MQTT over WebSocket with this path (over TLS with `tls`); unset: none.
  std::optional<std::string> ws_path;
  /// Spread client source addresses over 127.0.0.2 … 127.0.0.(1+K); 0: the
  /// kernel's choice (one address: about 28k ephemeral ports).
  unsigned source_addresses = 0;
  std::optional<int> broker_pid;
  progress_mode progress = progress_mode::off;

  /// Client `i`'s source address, if spread.
  [[nodiscard]] std::optional<boost::asio::ip::address> source_of(std::size_t i) const;
  /// Client `i`'s options as far as these settings decide them (version,
  /// TLS, WebSocket, source address).
  [[nodiscard]] client_options options_for(std::size_t i) const;
};

struct scenario_config {
  connection_config conn;
  scenario_kind kind = scenario_kind::fan_in;
  std::size_t clients = 100;    ///< N
  std::size_t subscribers = 0;  ///< M (fan-in, shared); 0: the kind's default
  mqtt::qos q = mqtt::qos::at_most_once;
  std::size_t payload = 64;   ///< bytes (at least the 20-byte header)
  double duration_s = 10;     ///< measurement window
  std::uint32_t window = 64;  ///< per publisher
  double rate = 0;            ///< target msgs/s over all publishers; 0: closed loop
  std::string topic;          ///< pattern with %i; empty: the kind's default
  bool persistent = false;    ///< subscribers keep persistent sessions (durable QoS 1)
  double loss_timeout_s = 5;  ///< an unresolved message expires after this
  double drain_s = 3;         ///< after the window: wait this long at most for the rest
  /// thing: one device per client (at least `clients`), its CONNECT
  /// keep-alive, and the posts' `params` (JSON; empty: thing.hpp's default).
  std::vector<device_credential> devices;
  std::uint16_t keep_alive = 300;
  std::string alink_params;
};

/// Smallest payload: publisher id, sequence, timestamp.
inline constexpr std::size_t payload_header = 4 + 8 + 8;

/// The kind's default topic pattern, and `pattern` with `%i` replaced.
[[nodiscard]] std::string default_topic(scenario_kind k);
[[nodiscard]] std::string expand_topic(const std::string& pattern, const std::string& index);

/// What a run measured.
struct results {
  std::uint64_t sent = 0;                ///< PUBLISHes sent (all in the window)
  std::uint64_t received = 0;            ///< deliveries, every subscriber, drain included
  std::uint64_t received_in_window = 0;  ///< deliveries during the window, duplicates not counted
  std::uint64_t lost = 0;                ///< expected deliveries that never came
  std::uint64_t duplicates = 0;
  std::uint64_t late = 0;  ///< deliveries after their message expired
  double window_s = 0;     ///< measured window length
  double msgs_per_s = 0;   ///< received_in_window / window_s
  histogram latency_ns;
  std::optional<double> broker_cpu_s;  ///< during the window
  std::optional<long> broker_rss_kib;  ///< at the end
  double loadgen_cpu_s = 0;            ///< our own CPU during the window
  std::uint64_t loadgen_reads = 0;     ///< our socket reads during the window
  std::uint64_t loadgen_writes = 0;    ///< our socket writes during the window
  bool drained = false;                ///< everything resolved before the drain limit
  /// thing: replies other than code 200 with empty `data` (refused posts,
  /// weak-mode findings); not counted in `received`, nor as lost.
  std::uint64_t rejected = 0;
  std::string first_rejected;       ///< the first such reply
  std::uint64_t payload_bytes = 0;  ///< of every PUBLISH sent
  std::string error;                ///< non-empty when the run failed
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
    ledger book;
    std::uint32_t receivers = 0;   ///< deliveries expected per message
    bool queued = false;           ///< in `to_pump_`
    std::int64_t last_reply = -1;  ///< thing: highest sequence answered
  };
  struct subscriber {
    client* conn = nullptr;
    /// Ordered delivery: highest sequence seen per publisher, for the
    /// publishers [first_pub, first_pub + last.size()).
    std::size_t first_pub = 0;
    std::vector<std::int64_t> last;
  };
  enum class phase : std::uint8_t { connecting, running, draining, done };

  void on_ready(client& c) override;
  void on_publish(client& c, const mqtt::publish& p) override;
  void on_ack(client& c, std::uint16_t packet_id) override;
  void on_read_done(client& c) override;
  /// Counts a delivery of publisher `pub_id`'s message sent at `ts`.
  void account(std::uint32_t pub_id, std::uint64_t ts, const delivery& d);
  /// thing (scenario_thing.cpp): one publisher per device; a reply to a
  /// device's post, accounted like a delivery.
  void add_devices();
  void on_reply(client& c, const mqtt::publish& msg);
  void on_failed(client& c, const std::string& why) override;

  void add_subscriber(std::string filter, std::size_t first_pub, std::size_t n_pubs);
  /// `device`: a signed device CONNECT (thing) instead of an anonymous one.
  void add_publisher(std::string topic, std::uint32_t receivers, delivery_mode mode,
                     const device_credential* device = nullptr);
  void connect_more();
  void start_window();
  void measure_window();
  void stop_window();
  void finish(std::string error = {});
  /// Sends up to `limit` messages from `p` (its window permitting); returns
  /// how many. Does not flush.
  std::uint64_t send(publisher& p, std::uint64_t limit);
  void pump(publisher& p);
  /// Sends from the publishers whose window opened, or ends a finished
  /// drain; false when the run ended.
  bool refill();
  void pace();
  void opened(std::size_t pub_index, std::uint64_t n);
  void tick();
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
  boost::asio::steady_timer tick_timer_;  ///< progress and expiry, 1/s
  boost::asio::steady_timer pace_timer_;  ///< with a target rate, 1/ms
  phase phase_ = phase::connecting;
  std::size_t next_connect_ = 0;
  std::size_t connecting_ = 0;
  std::size_t ready_ = 0;
  std::uint64_t outstanding_ = 0;  ///< unresolved messages, all publishers
  std::chrono::steady_clock::time_point t0_;
  std::chrono::steady_clock::time_point last_pace_;
  double credit_ = 0;         ///< messages the pacer may send now
  std::size_t next_pub_ = 0;  ///< pacer's round robin
  std::optional<double> broker_cpu0_;
  double own_cpu0_ = 0;
  std::pair<std::uint64_t, std::uint64_t> io0_;
  std::uint64_t last_tick_received_ = 0;
  std::uint64_t last_tick_sent_ = 0;
  histogram tick_latency_ns_;  ///< since the last progress line
  results r_;
};

}  // namespace iotb::loadgen
