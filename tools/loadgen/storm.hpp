#pragma once
/// @file
/// The `connect` and `idle` scenarios: a connection storm (anonymous, or
/// signed device CONNECTs per SPEC §2.1 from a CSV of device credentials
/// made with `iotbroker device create --count N --csv`), at most
/// `concurrency` handshakes in flight; it reports connects/s, then holds
/// every connection idle for `hold_s` (sending PINGREQs every half
/// keep-alive) and reports the broker's anonymous resident memory per idle
/// connection.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "tools/loadgen/client.hpp"
#include "tools/loadgen/device_auth.hpp"
#include "tools/loadgen/scenario.hpp"

namespace iotb::loadgen {

struct storm_config {
  connection_config conn;
  std::vector<device_credential> devices;  ///< one connection each (anonymous when empty)
  std::size_t clients = 1000;
  std::size_t concurrency = 200;  ///< handshakes in flight
  double hold_s = 2;              ///< idle time before measuring memory
  std::uint16_t keep_alive = 300;
  bool ping = false;  ///< PINGREQ every keep_alive / 2 while holding
};

struct storm_results {
  std::size_t connected = 0;
  std::size_t refused = 0;
  double seconds = 0;  ///< first connect to last CONNACK
  double connects_per_s = 0;
  std::optional<long> rss_before_kib;  ///< RssAnon (LMDB's file map excluded)
  std::optional<long> rss_after_kib;
  std::optional<double> rss_per_conn_bytes;
  std::optional<double> broker_cpu_s;  ///< during the storm
  std::size_t dropped = 0;             ///< connections lost while holding
  std::string first_error;
};

class storm final : public client_events {
 public:
  storm(boost::asio::io_context& io, storm_config cfg);
  ~storm() override;
  /// Connects everyone, holds, measures; blocks until done.
  storm_results run();

 private:
  void on_ready(client& c) override;
  void on_publish(client&, const mqtt::publish&) override {}
  void on_ack(client&, std::uint16_t) override {}
  void on_read_done(client&) override {}
  void on_failed(client& c, const std::string& why) override;
  void connect_more();
  void finish_storm();
  void hold_tick(std::size_t tick, std::chrono::steady_clock::time_point end);
  void measure_and_stop();
  void progress_line(bool last);

  boost::asio::io_context& io_;
  storm_config cfg_;
  std::vector<std::unique_ptr<client>> clients_;
  std::size_t next_ = 0;
  std::size_t in_flight_ = 0;
  bool storm_done_ = false;
  std::chrono::steady_clock::time_point t0_;
  std::optional<double> cpu0_;
  std::chrono::steady_clock::time_point last_progress_;
  boost::asio::steady_timer timer_;     ///< hold ticks
  boost::asio::steady_timer deadline_;  ///< bounds the storm itself
  storm_results r_;
};

}  // namespace iotb::loadgen
