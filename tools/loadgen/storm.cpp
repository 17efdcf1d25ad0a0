#include "tools/loadgen/storm.hpp"

#include <algorithm>
#include <cstdio>

#include "tools/loadgen/proc_stats.hpp"

namespace iotb::loadgen {

storm::storm(boost::asio::io_context& io, storm_config cfg)
    : io_(io), cfg_(std::move(cfg)), timer_(io), deadline_(io) {}

storm::~storm() = default;

void storm::connect_more() {
  while (in_flight_ < cfg_.concurrency && next_ < cfg_.clients) {
    auto o = cfg_.conn.options_for(next_);
    o.keep_alive = cfg_.keep_alive;
    o.read_buffer = 256;
    o.reset_on_close = true;
    if (!cfg_.devices.empty()) {
      sign_as_device(o, cfg_.devices[next_ % cfg_.devices.size()]);
    } else {
      o.client_id = "storm-" + std::to_string(next_);
    }
    clients_.push_back(std::make_unique<client>(io_, *this, next_, std::move(o)));
    clients_.back()->start(cfg_.conn.target);
    ++next_;
    ++in_flight_;
  }
  if (in_flight_ == 0 && next_ >= cfg_.clients)
    finish_storm();
}

void storm::on_ready(client&) {
  --in_flight_;
  ++r_.connected;
  progress_line(false);
  connect_more();
}

void storm::on_failed(client& c, const std::string& why) {
  if (r_.first_error.empty())
    r_.first_error = why;
  if (c.accepted()) {
    ++r_.dropped;  // the broker closed a connection it had accepted
    return;
  }
  if (storm_done_)
    return;  // unanswered when the deadline ended the storm: counted then
  --in_flight_;
  ++r_.refused;
  connect_more();
}

void storm::progress_line(bool last) {
  if (cfg_.conn.progress == progress_mode::off)
    return;
  auto now = std::chrono::steady_clock::now();
  if (!last && now - last_progress_ < std::chrono::seconds(1))
    return;
  last_progress_ = now;
  char line[160];
  std::snprintf(line, sizeof line, "%.0f s  connected %zu of %zu  refused %zu",
                std::chrono::duration<double>(now - t0_).count(), r_.connected, cfg_.clients,
                r_.refused);
  print_progress(cfg_.conn.progress, last, line);
}

void storm::finish_storm() {
  if (storm_done_)
    return;
  storm_done_ = true;
  deadline_.cancel();
  r_.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count();
  r_.connects_per_s = r_.seconds > 0 ? static_cast<double>(r_.connected) / r_.seconds : 0;
  if (cfg_.conn.broker_pid) {
    if (auto cpu = process_cpu_seconds(*cfg_.conn.broker_pid); cpu && cpu0_)
      r_.broker_cpu_s = *cpu - *cpu0_;
  }
  progress_line(true);
  // Hold the connections idle, then measure the broker's memory.
  auto end = std::chrono::steady_clock::now() +
             std::chrono::milliseconds(static_cast<long>(cfg_.hold_s * 1000));
  hold_tick(0, end);
}

void storm::hold_tick(std::size_t tick, std::chrono::steady_clock::time_point end) {
  if (cfg_.ping) {
    // Every connection pings once per keep_alive / 2 seconds, spread evenly.
    std::size_t period = std::max<std::size_t>(1, cfg_.keep_alive / 2);
    for (std::size_t i = tick % period; i < clients_.size(); i += period)
      clients_[i]->ping();
  }
  auto next = std::min(end, std::chrono::steady_clock::now() + std::chrono::seconds(1));
  timer_.expires_at(next);
  timer_.async_wait([this, tick, end](const boost::system::error_code&) {
    if (std::chrono::steady_clock::now() >= end)
      measure_and_stop();
    else
      hold_tick(tick + 1, end);
  });
}

void storm::measure_and_stop() {
  if (cfg_.conn.broker_pid) {
    r_.rss_after_kib = process_rss_anon_kib(*cfg_.conn.broker_pid);
    auto held = r_.connected - std::min(r_.connected, r_.dropped);
    if (r_.rss_after_kib && r_.rss_before_kib && held > 0)
      r_.rss_per_conn_bytes = static_cast<double>(*r_.rss_after_kib - *r_.rss_before_kib) * 1024.0 /
                              static_cast<double>(held);
  }
  for (auto& c : clients_)
    c->disconnect();
  io_.stop();
}

storm_results storm::run() {
  if (cfg_.conn.broker_pid) {
    r_.rss_before_kib = process_rss_anon_kib(*cfg_.conn.broker_pid);
    cpu0_ = process_cpu_seconds(*cfg_.conn.broker_pid);
  }
  clients_.reserve(cfg_.clients);
  // A storm that stalls (a broker that stops answering) ends by itself:
  // 60 s plus 1 s per 1,000 connections.
  deadline_.expires_after(std::chrono::seconds(60 + cfg_.clients / 1000));
  deadline_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || storm_done_)
      return;
    r_.refused += in_flight_ + (cfg_.clients - next_);
    if (r_.first_error.empty())
      r_.first_error = "storm timed out: " + std::to_string(in_flight_) + " handshakes unanswered";
    in_flight_ = 0;
    next_ = cfg_.clients;
    finish_storm();
  });
  t0_ = std::chrono::steady_clock::now();
  connect_more();
  io_.run();
  return r_;
}

}  // namespace iotb::loadgen
