/// @file
/// Fan-in and fan-out scenarios (see scenario.hpp).

#include "tools/loadgen/scenario.hpp"

#include <unistd.h>
#include <algorithm>
#include <cstdio>
#include <cstring>

#include "tools/loadgen/proc_stats.hpp"

namespace iotb::loadgen {

namespace asio = boost::asio;
using clock_type = std::chrono::steady_clock;

namespace {

/// CONNECTs in flight at once during the connect phase.
constexpr std::size_t max_connecting = 200;
/// The connect phase must complete within this.
constexpr std::chrono::seconds connect_deadline{15};
/// How long to wait for in-flight messages after publishing stops.
constexpr std::chrono::seconds drain_limit{2};

std::uint64_t now_ns() noexcept {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(clock_type::now().time_since_epoch())
          .count());
}

/// Packet id of sequence number `seq` (QoS 1): 1..65535, unique within any
/// window of at most 65535 messages.
std::uint16_t packet_id_of(std::uint64_t seq) noexcept {
  return static_cast<std::uint16_t>(seq % 65535 + 1);
}

}  // namespace

scenario::scenario(asio::io_context& io, scenario_config cfg)
    : io_(io), cfg_(std::move(cfg)), phase_timer_(io), progress_timer_(io) {
  const bool fan_in = cfg_.kind == scenario_kind::fan_in;
  const std::size_t n_pubs = fan_in ? cfg_.clients : 1;
  const std::size_t n_subs = fan_in ? 1 : cfg_.clients;
  const auto tag = std::to_string(::getpid());
  const std::uint32_t acks = cfg_.q == mqtt::qos::at_least_once ? 1 : 0;

  for (std::size_t i = 0; i < n_subs; ++i) {
    client_options o;
    o.client_id = "lg" + tag + "-s" + std::to_string(i);
    o.subscribe_filter = fan_in ? "bench/in/#" : "bench/out";
    o.sub_qos = cfg_.q;
    o.ver = cfg_.ver;
    o.persistent = cfg_.persistent;
    // The single fan-in subscriber takes everything: give it a big buffer.
    o.read_buffer = std::size_t{fan_in ? 256U : 16U} * 1024;
    clients_.push_back(std::make_unique<client>(io_, *this, clients_.size(), std::move(o)));
    subscriber s;
    s.conn = clients_.back().get();
    s.last.assign(n_pubs, -1);
    subs_.push_back(std::move(s));
  }
  for (std::size_t i = 0; i < n_pubs; ++i) {
    client_options o;
    o.client_id = "lg" + tag + "-p" + std::to_string(i);
    o.ver = cfg_.ver;
    o.read_buffer = std::size_t{4} * 1024;
    clients_.push_back(std::make_unique<client>(io_, *this, clients_.size(), std::move(o)));
    publisher p;
    p.conn = clients_.back().get();
    p.topic = fan_in ? "bench/in/" + std::to_string(i) : "bench/out";
    p.payload.assign(std::max(cfg_.payload, payload_header), 'x');
    p.subscribers = static_cast<std::uint32_t>(n_subs);
    p.win = window(cfg_.window, p.subscribers + acks);
    pubs_.push_back(std::move(p));
  }
  to_pump_.reserve(pubs_.size());
}

scenario::~scenario() = default;

results scenario::run() {
  phase_timer_.expires_after(connect_deadline);
  phase_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec && phase_ == phase::connecting)
      finish("connect phase timed out: " + std::to_string(ready_) + " of " +
             std::to_string(clients_.size()) + " clients ready");
  });
  connect_more();
  io_.run();
  for (auto& c : clients_)
    c->disconnect();
  return std::move(r_);
}

void scenario::connect_more() {
  while (connecting_ < max_connecting && next_connect_ < clients_.size()) {
    ++connecting_;
    clients_[next_connect_++]->start(cfg_.target);
  }
}

void scenario::on_ready(client&) {
  --connecting_;
  ++ready_;
  if (ready_ == clients_.size())
    start_window();
  else
    connect_more();
}

void scenario::start_window() {
  phase_ = phase::running;
  if (cfg_.broker_pid)
    broker_cpu0_ = process_cpu_seconds(*cfg_.broker_pid);
  own_cpu0_ = own_cpu_seconds();
  io0_ = io_counts();
  t0_ = clock_type::now();
  phase_timer_.cancel();
  phase_timer_.expires_after(std::chrono::duration_cast<clock_type::duration>(
      std::chrono::duration<double>(cfg_.duration_s)));
  phase_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec && phase_ == phase::running)
      stop_window();
  });
  if (cfg_.progress)
    tick_progress();
  for (auto& p : pubs_)
    pump(p);
}

void scenario::measure_window() {
  auto t1 = clock_type::now();
  r_.window_s = std::chrono::duration<double>(t1 - t0_).count();
  r_.received_in_window = r_.received;
  r_.msgs_per_s = r_.window_s > 0 ? static_cast<double>(r_.received) / r_.window_s : 0;
  if (cfg_.broker_pid && broker_cpu0_) {
    if (auto cpu1 = process_cpu_seconds(*cfg_.broker_pid))
      r_.broker_cpu_s = *cpu1 - *broker_cpu0_;
  }
  r_.loadgen_cpu_s = own_cpu_seconds() - own_cpu0_;
  auto io1 = io_counts();
  r_.loadgen_reads = io1.first - io0_.first;
  r_.loadgen_writes = io1.second - io0_.second;
}

std::pair<std::uint64_t, std::uint64_t> scenario::io_counts() const noexcept {
  std::pair<std::uint64_t, std::uint64_t> n{0, 0};
  for (const auto& c : clients_) {
    n.first += c->reads();
    n.second += c->writes();
  }
  return n;
}

void scenario::stop_window() {
  measure_window();
  phase_ = phase::draining;
  if (outstanding_ == 0) {
    finish();
    return;
  }
  phase_timer_.expires_after(drain_limit);
  phase_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec && phase_ == phase::draining)
      finish();
  });
}

void scenario::finish(std::string error) {
  if (phase_ == phase::done)
    return;
  if (phase_ == phase::running)
    measure_window();  // a failure mid-window: report what was measured
  phase_ = phase::done;
  r_.error = std::move(error);
  r_.drained = outstanding_ == 0;
  std::uint64_t expected = 0;
  for (auto& p : pubs_) {
    r_.sent += p.sent;
    expected += p.sent * p.subscribers;
  }
  auto unique = r_.received - r_.duplicates;
  r_.lost = expected > unique ? expected - unique : 0;
  if (cfg_.broker_pid)
    r_.broker_rss_kib = process_rss_kib(*cfg_.broker_pid);
  phase_timer_.cancel();
  progress_timer_.cancel();
  io_.stop();
}

scenario::publisher* scenario::publisher_of(const client& c) noexcept {
  auto i = c.index();
  if (i < subs_.size() || i - subs_.size() >= pubs_.size())
    return nullptr;
  return &pubs_[i - subs_.size()];
}

void scenario::pump(publisher& p) {
  p.queued = false;
  if (phase_ != phase::running)
    return;
  auto& out = p.conn->out();
  auto pub_id = static_cast<std::uint32_t>(&p - pubs_.data());
  mqtt::publish_view v;
  v.topic = p.topic;
  v.q = cfg_.q;
  bool any = false;
  while (p.win.can_send()) {
    auto seq = p.win.push();
    auto ts = now_ns();
    std::memcpy(p.payload.data(), &pub_id, 4);
    std::memcpy(p.payload.data() + 4, &seq, 8);
    std::memcpy(p.payload.data() + 12, &ts, 8);
    v.payload = p.payload;
    v.packet_id = cfg_.q == mqtt::qos::at_most_once ? 0 : packet_id_of(seq);
    mqtt::encode(v, cfg_.ver, out);
    ++p.sent;
    ++outstanding_;
    any = true;
  }
  if (any)
    p.conn->flush();
}

void scenario::opened(std::size_t pub_index, std::uint64_t n) {
  if (n == 0)
    return;
  outstanding_ -= n;
  auto& p = pubs_[pub_index];
  // Refill only once half the window is free: a few larger writes instead of
  // one write per resolved message (the load generator's own CPU cost is
  // mostly its send system calls).
  if (phase_ == phase::running && !p.queued &&
      p.win.free() >= std::max<std::uint64_t>(1, p.win.size() / 2)) {
    p.queued = true;
    to_pump_.push_back(pub_index);
  }
}

void scenario::on_publish(client& c, const mqtt::publish& msg) {
  if (phase_ == phase::done)
    return;  // the rest of a read after the end: not counted
  if (c.index() >= subs_.size() || msg.payload.size() < payload_header) {
    finish("unexpected PUBLISH on '" + msg.topic + "'");
    return;
  }
  std::uint32_t pub_id = 0;
  std::uint64_t seq = 0;
  std::uint64_t ts = 0;
  std::memcpy(&pub_id, msg.payload.data(), 4);
  std::memcpy(&seq, msg.payload.data() + 4, 8);
  std::memcpy(&ts, msg.payload.data() + 12, 8);
  auto& s = subs_[c.index()];
  if (pub_id >= pubs_.size()) {
    finish("PUBLISH with an unknown publisher id");
    return;
  }
  auto now = now_ns();
  r_.latency_ns.record(now > ts ? now - ts : 0);
  ++r_.received;
  auto& last = s.last[pub_id];
  if (static_cast<std::int64_t>(seq) <= last) {
    ++r_.duplicates;  // (or reordered: MQTT keeps per-topic order, so a duplicate)
    return;
  }
  // Sequence numbers skipped over are lost for this subscriber: resolve them
  // too, so that loss does not stall the window.
  auto n = pubs_[pub_id].win.resolve(static_cast<std::uint64_t>(last + 1), seq + 1);
  last = static_cast<std::int64_t>(seq);
  opened(pub_id, n);
}

void scenario::on_puback(client& c, std::uint16_t packet_id) {
  auto* p = publisher_of(c);
  if (p == nullptr || phase_ == phase::done)
    return;
  // The one outstanding sequence number with this packet id.
  auto base = p->win.base();
  auto offset = (std::uint64_t{packet_id} + 65535 - 1 - base % 65535) % 65535;
  auto seq = base + offset;
  if (seq >= p->win.next())
    return;  // not outstanding (already resolved): ignore
  opened(static_cast<std::size_t>(p - pubs_.data()), p->win.resolve(seq, seq + 1));
}

void scenario::on_read_done(client&) {
  if (phase_ == phase::done)
    return;
  if (phase_ == phase::draining && outstanding_ == 0) {
    finish();
    return;
  }
  for (auto i : to_pump_)
    pump(pubs_[i]);
  to_pump_.clear();
}

void scenario::on_failed(client& c, const std::string& why) {
  auto role = c.index() < subs_.size() ? "subscriber " + std::to_string(c.index())
                                       : "publisher " + std::to_string(c.index() - subs_.size());
  finish(role + ": " + why);
}

void scenario::tick_progress() {
  progress_timer_.expires_after(std::chrono::seconds(1));
  progress_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || phase_ != phase::running)
      return;
    std::uint64_t sent = 0;
    for (auto& p : pubs_)
      sent += p.sent;
    auto t = std::chrono::duration<double>(clock_type::now() - t0_).count();
    std::fprintf(stderr, "loadgen: t=%.0fs sent=%llu received=%llu (%llu/s) outstanding=%llu\n", t,
                 static_cast<unsigned long long>(sent),
                 static_cast<unsigned long long>(r_.received),
                 static_cast<unsigned long long>(r_.received - last_progress_received_),
                 static_cast<unsigned long long>(outstanding_));
    last_progress_received_ = r_.received;
    tick_progress();
  });
}

}  // namespace iotb::loadgen
