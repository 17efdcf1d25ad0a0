/// @file
/// The `rrpc` scenario (see scenario_rrpc.hpp): devices that echo RRPC
/// requests, and the HTTP driver that calls them.

#include "tools/loadgen/scenario_rrpc.hpp"

#include <algorithm>
#include <cstdio>

#include "tools/loadgen/pacing.hpp"
#include "tools/loadgen/proc_stats.hpp"

namespace iotb::loadgen {

namespace {

using clock_type = std::chrono::steady_clock;

using pacing::connect_deadline;
using pacing::max_connecting;
using pacing::now_ns;
using pacing::pace_period;

clock_type::duration seconds(double s) {
  return std::chrono::duration_cast<clock_type::duration>(std::chrono::duration<double>(s));
}

}  // namespace

rrpc_scenario::rrpc_scenario(boost::asio::io_context& io, rrpc_config cfg)
    : io_(io), cfg_(std::move(cfg)), phase_timer_(io), tick_timer_(io), pace_timer_(io) {
  devices_.reserve(cfg_.clients);
  for (std::size_t i = 0; i < cfg_.clients; ++i) {
    const auto& cred = cfg_.devices.at(i);
    auto o = cfg_.conn.options_for(i);
    o.read_buffer = std::size_t{4} * 1024;
    sign_as_device(o, cred, "_ss=1");  // the broker subscribes it to …/rrpc/request/+
    o.keep_alive = cfg_.keep_alive;
    device d;
    d.conn = std::make_unique<client>(io_, *this, i, std::move(o));
    d.cred = &cred;
    d.target = rrpc_target(cred.product_key, cred.device_name);
    devices_.push_back(std::move(d));
  }
  auto host = cfg_.admin.address().to_string() + ":" + std::to_string(cfg_.admin.port());
  callers_.resize(cfg_.http_conns);
  for (auto& c : callers_)
    c.http = std::make_unique<http_caller>(io_, host, cfg_.authorization);
}

rrpc_scenario::~rrpc_scenario() = default;

rrpc_results rrpc_scenario::run() {
  phase_timer_.expires_after(connect_deadline);
  phase_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec && phase_ == phase::connecting)
      finish("connect phase timed out: " + std::to_string(ready_) + " of " +
             std::to_string(devices_.size()) + " devices and " + std::to_string(callers_ready_) +
             " of " + std::to_string(callers_.size()) + " HTTP connections ready");
  });
  connect_devices();
  io_.run();
  for (auto& d : devices_)
    d.conn->disconnect();
  for (auto& c : callers_)
    c.http->close();
  return std::move(r_);
}

void rrpc_scenario::connect_devices() {
  while (connecting_ < max_connecting && next_connect_ < devices_.size()) {
    ++connecting_;
    devices_[next_connect_++].conn->start(cfg_.conn.target);
  }
}

void rrpc_scenario::on_ready(client&) {
  --connecting_;
  if (++ready_ == devices_.size())
    connect_callers();
  else
    connect_devices();
}

void rrpc_scenario::connect_callers() {
  for (auto& c : callers_) {
    c.http->connect(cfg_.admin, [this](const boost::system::error_code& ec) {
      if (phase_ != phase::connecting)
        return;
      if (ec)
        finish("admin API: connect: " + ec.message());
      else if (++callers_ready_ == callers_.size())
        start_window();
    });
  }
}

void rrpc_scenario::start_window() {
  phase_ = phase::running;
  if (cfg_.conn.broker_pid)
    broker_cpu0_ = process_cpu_seconds(*cfg_.conn.broker_pid);
  own_cpu0_ = own_cpu_seconds();
  t0_ns_ = now_ns();
  phase_timer_.cancel();
  phase_timer_.expires_after(seconds(cfg_.duration_s));
  phase_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec && phase_ == phase::running)
      stop_window();
  });
  tick();
  if (cfg_.rate > 0) {
    pacer_.emplace(cfg_.rate);
    for (std::size_t i = callers_.size(); i-- > 0;)
      free_.push_back(i);
    pace();
    return;
  }
  for (std::size_t i = 0; i < callers_.size(); ++i)
    call(i, now_ns());
}

void rrpc_scenario::call(std::size_t c, std::uint64_t t_ns) {
  auto& d = devices_[next_device_];
  next_device_ = (next_device_ + 1) % devices_.size();
  auto& k = callers_[c];
  k.payload.assign(1, 'c').append(std::to_string(c)).append(1, '.').append(std::to_string(seq_++));
  k.started_ns = t_ns;
  k.sent_ns = now_ns();
  ++r_.calls;
  k.http->post(d.target, rrpc_body(k.payload, cfg_.timeout_ms),
               [this, c](const boost::system::error_code& ec, unsigned status,
                         std::string_view body) { on_answer(c, ec, status, body); });
}

void rrpc_scenario::on_answer(std::size_t c, const boost::system::error_code& ec, unsigned status,
                              std::string_view body) {
  if (phase_ == phase::done)
    return;
  auto& k = callers_[c];
  if (ec) {
    ++r_.outcomes[static_cast<std::size_t>(rrpc_outcome::no_answer)];
    finish("admin API connection " + std::to_string(c) + ": " + ec.message());
    return;
  }
  auto v = classify_rrpc_answer(status, body, k.payload);
  ++r_.outcomes[static_cast<std::size_t>(v.outcome)];
  if (v.outcome == rrpc_outcome::success) {
    auto now = now_ns();
    auto latency = now > k.started_ns ? now - k.started_ns : 0;
    r_.latency_ns.record(latency);
    r_.service_ns.record(now > k.sent_ns ? now - k.sent_ns : 0);
    tick_latency_ns_.record(latency);
    if (phase_ == phase::running)
      ++r_.success_in_window;
  } else if (r_.first_failure.empty()) {
    r_.first_failure = std::string(outcome_name(v.outcome)) + ": HTTP " + std::to_string(status) +
                       " " + std::string(body.substr(0, 300));
  }
  if (status == 401 || status == 403 || status == 404) {
    // A bad token, scope or device: every further call would fail alike.
    finish("admin API answered " + std::to_string(status) + ": " +
           std::string(body.substr(0, 300)));
    return;
  }
  if (phase_ == phase::draining) {
    if (open_calls() == 0)
      finish();
    return;
  }
  if (!pacer_) {
    call(c, now_ns());
    return;
  }
  free_.push_back(c);
  send_due();
}

void rrpc_scenario::send_due() {
  auto now = now_ns();
  auto due = pacer_->due_by(now - t0_ns_);
  while (paced_sent_ < due && !free_.empty()) {
    auto c = free_.back();
    free_.pop_back();
    call(c, t0_ns_ + pacer_->due_at(paced_sent_++));
  }
  if (due > paced_sent_)
    r_.backlog_max = std::max(r_.backlog_max, due - paced_sent_);
}

void rrpc_scenario::pace() {
  if (phase_ != phase::running)
    return;
  send_due();
  pace_timer_.expires_after(pace_period);
  pace_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec)
      pace();
  });
}

void rrpc_scenario::on_publish(client& c, const mqtt::publish& p) {
  if (phase_ == phase::done)
    return;
  const auto& d = devices_[c.index()];
  auto id = rrpc_request_id(p.topic, d.cred->product_key, d.cred->device_name);
  if (!id) {
    ++r_.unexpected_publishes;
    return;
  }
  ++r_.requests_seen;
  // Echo the request: the driver checks that the API returns its payload.
  auto topic = rrpc_response_topic(d.cred->product_key, d.cred->device_name, *id);
  mqtt::publish_view v;
  v.topic = topic;
  v.payload = p.payload;
  mqtt::encode(v, c.version(), c.out());
}

void rrpc_scenario::on_read_done(client& c) {
  c.flush();  // the answers of this read, in one write
}

void rrpc_scenario::on_failed(client& c, const std::string& why) {
  finish("device " + std::to_string(c.index()) + ": " + why);
}

void rrpc_scenario::measure_window() {
  auto t1 = now_ns();
  r_.window_s = static_cast<double>(t1 - t0_ns_) * 1e-9;
  r_.calls_per_s = r_.window_s > 0 ? static_cast<double>(r_.success_in_window) / r_.window_s : 0;
  if (cfg_.conn.broker_pid && broker_cpu0_) {
    if (auto cpu1 = process_cpu_seconds(*cfg_.conn.broker_pid))
      r_.broker_cpu_s = *cpu1 - *broker_cpu0_;
  }
  r_.loadgen_cpu_s = own_cpu_seconds() - own_cpu0_;
}

void rrpc_scenario::stop_window() {
  measure_window();
  phase_ = phase::draining;
  pace_timer_.cancel();
  if (open_calls() == 0) {
    finish();
    return;
  }
  phase_timer_.expires_after(seconds(cfg_.drain_s));
  phase_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec && phase_ == phase::draining)
      finish();
  });
}

void rrpc_scenario::finish(std::string error) {
  if (phase_ == phase::done)
    return;
  if (phase_ == phase::running)
    measure_window();  // a failure mid-window: report what was measured
  if (cfg_.conn.progress == progress_mode::live && phase_ != phase::connecting)
    std::fputc('\n', stderr);
  phase_ = phase::done;
  r_.error = std::move(error);
  auto open = open_calls();
  r_.outcomes[static_cast<std::size_t>(rrpc_outcome::no_answer)] += open;
  r_.drained = open == 0;
  if (cfg_.conn.broker_pid)
    r_.broker_rss_kib = process_rss_kib(*cfg_.conn.broker_pid);
  phase_timer_.cancel();
  tick_timer_.cancel();
  pace_timer_.cancel();
  io_.stop();
}

std::size_t rrpc_scenario::open_calls() const noexcept {
  return static_cast<std::size_t>(std::count_if(callers_.begin(), callers_.end(),
                                                [](const caller& k) { return k.http->busy(); }));
}

void rrpc_scenario::tick() {
  tick_timer_.expires_after(std::chrono::seconds(1));
  tick_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || phase_ != phase::running)
      return;
    if (cfg_.conn.progress != progress_mode::off) {
      auto success = r_.outcomes[static_cast<std::size_t>(rrpc_outcome::success)];
      auto t = static_cast<double>(now_ns() - t0_ns_) * 1e-9;
      char line[256];
      std::snprintf(line, sizeof line,
                    "%3.0f/%.0f s  round trips %llu/s  latency p50 %.0f us p99 %.0f us  "
                    "in flight %zu  failed %llu",
                    t, cfg_.duration_s,
                    static_cast<unsigned long long>(success - last_tick_success_),
                    static_cast<double>(tick_latency_ns_.percentile(50)) / 1000.0,
                    static_cast<double>(tick_latency_ns_.percentile(99)) / 1000.0, open_calls(),
                    static_cast<unsigned long long>(r_.calls - success - open_calls()));
      print_progress(cfg_.conn.progress, false, line);
      last_tick_success_ = success;
      tick_latency_ns_ = histogram{};
    }
    tick();
  });
}

}  // namespace iotb::loadgen
