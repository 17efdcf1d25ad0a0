/// @file
/// The message scenarios (see scenario.hpp).

#include "tools/loadgen/scenario.hpp"

#include <unistd.h>
#include <algorithm>
#include <cstdio>
#include <cstring>

#include "tools/loadgen/pacing.hpp"
#include "tools/loadgen/proc_stats.hpp"

namespace iotb::loadgen {

namespace asio = boost::asio;
using clock_type = std::chrono::steady_clock;

namespace {

using pacing::connect_deadline;
using pacing::max_connecting;
using pacing::now_ns;
using pacing::pace_period;
/// The most credit the pacer saves up (a burst).
constexpr double max_burst_s = 0.01;

}  // namespace

std::optional<asio::ip::address> connection_config::source_of(std::size_t i) const {
  if (source_addresses == 0)
    return std::nullopt;
  auto host = 2 + i % source_addresses;  // 127.0.0.2 … 127.0.0.(1+K)
  return asio::ip::address_v4(0x7F000000U | static_cast<std::uint32_t>(host));
}

client_options connection_config::options_for(std::size_t i) const {
  client_options o;
  o.ver = ver;
  o.tls = tls;
  o.ws_path = ws_path;
  o.source = source_of(i);
  return o;
}

void print_progress(progress_mode m, bool last, const char* text) {
  if (m == progress_mode::off)
    return;
  bool live = m == progress_mode::live;
  std::fprintf(stderr, "%sloadgen: %s%s", live ? "\r" : "", text,
               live ? (last ? "\x1b[K\n" : "\x1b[K") : "\n");
  std::fflush(stderr);
}

std::string default_topic(scenario_kind k) {
  switch (k) {
    case scenario_kind::fan_in:
      return "bench/in/%i";
    case scenario_kind::fan_out:
      return "bench/out";
    case scenario_kind::p2p:
      return "bench/p2p/%i";
    case scenario_kind::shared:
      return "bench/shared/%i";
    case scenario_kind::thing:
      return "";  // each device's own property-post topic
  }
  return "bench/%i";
}

std::string expand_topic(const std::string& pattern, const std::string& index) {
  std::string out;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] == '%' && i + 1 < pattern.size() && pattern[i + 1] == 'i') {
      out += index;
      ++i;
    } else {
      out += pattern[i];
    }
  }
  return out;
}

scenario::scenario(asio::io_context& io, scenario_config cfg)
    : io_(io), cfg_(std::move(cfg)), phase_timer_(io), tick_timer_(io), pace_timer_(io) {
  const auto pattern = cfg_.topic.empty() ? default_topic(cfg_.kind) : cfg_.topic;
  const std::size_t n = cfg_.clients;
  const auto m = static_cast<std::uint32_t>(
      cfg_.subscribers != 0 ? cfg_.subscribers : (cfg_.kind == scenario_kind::shared ? 4 : 1));
  switch (cfg_.kind) {
    case scenario_kind::fan_in:
      for (std::uint32_t s = 0; s < m; ++s)
        add_subscriber(expand_topic(pattern, "+"), 0, n);
      for (std::size_t i = 0; i < n; ++i)
        add_publisher(expand_topic(pattern, std::to_string(i)), m, delivery_mode::ordered);
      break;
    case scenario_kind::fan_out:
      for (std::size_t s = 0; s < n; ++s)
        add_subscriber(expand_topic(pattern, "0"), 0, 1);
      add_publisher(expand_topic(pattern, "0"), static_cast<std::uint32_t>(n),
                    delivery_mode::ordered);
      break;
    case scenario_kind::p2p:
      for (std::size_t i = 0; i < n; ++i)
        add_subscriber(expand_topic(pattern, std::to_string(i)), i, 1);
      for (std::size_t i = 0; i < n; ++i)
        add_publisher(expand_topic(pattern, std::to_string(i)), 1, delivery_mode::ordered);
      break;
    case scenario_kind::shared:
      for (std::uint32_t s = 0; s < m; ++s)
        add_subscriber("$share/bench/" + expand_topic(pattern, "+"), 0, 0);
      for (std::size_t i = 0; i < n; ++i)
        add_publisher(expand_topic(pattern, std::to_string(i)), 1, delivery_mode::any_one);
      break;
    case scenario_kind::thing:
      add_devices();
      break;
  }
  to_pump_.reserve(pubs_.size());
}

scenario::~scenario() = default;

void scenario::add_subscriber(std::string filter, std::size_t first_pub, std::size_t n_pubs) {
  // Subscribers are created before publishers: client index == subscriber index.
  auto o = cfg_.conn.options_for(clients_.size());
  o.client_id = "lg" + std::to_string(::getpid()) + "-s" + std::to_string(subs_.size());
  o.subscribe_filter = std::move(filter);
  o.sub_qos = cfg_.q;
  o.persistent = cfg_.persistent;
  // A subscriber of many publishers takes much: give it a big buffer.
  o.read_buffer = std::size_t{n_pubs > 1 || n_pubs == 0 ? 256U : 16U} * 1024;
  clients_.push_back(std::make_unique<client>(io_, *this, clients_.size(), std::move(o)));
  subscriber s;
  s.conn = clients_.back().get();
  s.first_pub = first_pub;
  s.last.assign(n_pubs, -1);
  subs_.push_back(std::move(s));
}

void scenario::add_publisher(std::string topic, std::uint32_t receivers, delivery_mode mode,
                             const device_credential* device) {
  auto o = cfg_.conn.options_for(clients_.size());
  o.client_id = "lg" + std::to_string(::getpid()) + "-p" + std::to_string(pubs_.size());
  o.read_buffer = std::size_t{4} * 1024;
  if (device != nullptr) {
    sign_as_device(o, *device, "_ss=1");  // the broker subscribes it to its replies
    o.keep_alive = cfg_.keep_alive;
  }
  clients_.push_back(std::make_unique<client>(io_, *this, clients_.size(), std::move(o)));
  publisher p;
  p.conn = clients_.back().get();
  p.topic = std::move(topic);
  p.payload.assign(std::max(cfg_.payload, payload_header), 'x');
  p.receivers = receivers;
  p.book = ledger(cfg_.window, receivers, cfg_.q != mqtt::qos::at_most_once, mode);
  pubs_.push_back(std::move(p));
}

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
    clients_[next_connect_++]->start(cfg_.conn.target);
  }
}

void scenario::on_ready(client& c) {
  if (auto* p = publisher_of(c); p != nullptr && p->book.size() > c.receive_maximum()) {
    finish("--window " + std::to_string(p->book.size()) + " exceeds the broker's Receive " +
           "Maximum " + std::to_string(c.receive_maximum()) + " (MQTT 5): use --window " +
           std::to_string(c.receive_maximum()) + " or less");
    return;
  }
  --connecting_;
  ++ready_;
  if (ready_ == clients_.size())
    start_window();
  else
    connect_more();
}

void scenario::start_window() {
  phase_ = phase::running;
  if (cfg_.conn.broker_pid)
    broker_cpu0_ = process_cpu_seconds(*cfg_.conn.broker_pid);
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
  tick();
  if (cfg_.rate > 0) {
    last_pace_ = t0_;
    pace();
    return;
  }
  for (auto& p : pubs_)
    pump(p);
}

void scenario::measure_window() {
  auto t1 = clock_type::now();
  r_.window_s = std::chrono::duration<double>(t1 - t0_).count();
  r_.received_in_window = r_.received - r_.duplicates;
  r_.msgs_per_s = r_.window_s > 0 ? static_cast<double>(r_.received_in_window) / r_.window_s : 0;
  if (cfg_.conn.broker_pid && broker_cpu0_) {
    if (auto cpu1 = process_cpu_seconds(*cfg_.conn.broker_pid))
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
  pace_timer_.cancel();
  if (outstanding_ == 0) {
    finish();
    return;
  }
  phase_timer_.expires_after(std::chrono::duration_cast<clock_type::duration>(
      std::chrono::duration<double>(cfg_.drain_s)));
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
  if (cfg_.conn.progress == progress_mode::live && phase_ != phase::connecting)
    std::fputc('\n', stderr);
  phase_ = phase::done;
  r_.error = std::move(error);
  r_.drained = outstanding_ == 0;
  std::uint64_t expected = 0;
  for (auto& p : pubs_) {
    r_.sent += p.book.next();
    expected += p.book.next() * p.receivers;
    r_.late += p.book.late();
  }
  auto unique = r_.received - r_.duplicates + r_.rejected;  // rejected: answered
  r_.lost = expected > unique ? expected - unique : 0;
  if (cfg_.conn.broker_pid)
    r_.broker_rss_kib = process_rss_kib(*cfg_.conn.broker_pid);
  phase_timer_.cancel();
  tick_timer_.cancel();
  pace_timer_.cancel();
  io_.stop();
}

scenario::publisher* scenario::publisher_of(const client& c) noexcept {
  auto i = c.index();
  if (i < subs_.size() || i - subs_.size() >= pubs_.size())
    return nullptr;
  return &pubs_[i - subs_.size()];
}

std::uint64_t scenario::send(publisher& p, std::uint64_t limit) {
  auto& out = p.conn->out();
  auto pub_id = static_cast<std::uint32_t>(&p - pubs_.data());
  mqtt::publish_view v;
  v.topic = p.topic;
  v.q = cfg_.q;
  std::uint64_t n = 0;
  while (n < limit && p.book.can_send()) {
    auto ts = now_ns();
    auto seq = p.book.push(ts);
    if (cfg_.kind == scenario_kind::thing) {
      write_property_post(p.payload, {pub_id, seq, ts}, cfg_.alink_params);
    } else {
      std::memcpy(p.payload.data(), &pub_id, 4);
      std::memcpy(p.payload.data() + 4, &seq, 8);
      std::memcpy(p.payload.data() + 12, &ts, 8);
    }
    v.payload = p.payload;
    r_.payload_bytes += p.payload.size();
    v.packet_id = cfg_.q == mqtt::qos::at_most_once ? 0 : ledger::packet_id_of(seq);
    mqtt::encode(v, cfg_.conn.ver, out);
    ++n;
  }
  outstanding_ += n;
  return n;
}

void scenario::pump(publisher& p) {
  p.queued = false;
  if (phase_ != phase::running)
    return;
  if (send(p, ~std::uint64_t{0}) > 0)
    p.conn->flush();
}

void scenario::pace() {
  if (phase_ != phase::running)
    return;
  auto now = clock_type::now();
  credit_ += cfg_.rate * std::chrono::duration<double>(now - last_pace_).count();
  credit_ = std::min(credit_, cfg_.rate * max_burst_s + 1);
  last_pace_ = now;
  // Round robin, one message per publisher per turn; stop when every
  // window is full (the broker is behind: credit is capped, not hoarded).
  std::size_t blocked = 0;
  while (credit_ >= 1 && blocked < pubs_.size()) {
    auto& p = pubs_[next_pub_];
    next_pub_ = (next_pub_ + 1) % pubs_.size();
    if (send(p, 1) == 0) {
      ++blocked;
      continue;
    }
    blocked = 0;
    credit_ -= 1;
    p.conn->flush();
  }
  pace_timer_.expires_after(pace_period);
  pace_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec)
      pace();
  });
}

void scenario::opened(std::size_t pub_index, std::uint64_t n) {
  if (n == 0)
    return;
  outstanding_ -= n;
  if (cfg_.rate > 0)
    return;  // the pacer sends
  auto& p = pubs_[pub_index];
  // Refill only once half the window is free: a few larger writes instead of
  // one write per resolved message (the load generator's own CPU cost is
  // mostly its send system calls).
  if (phase_ == phase::running && !p.queued &&
      p.book.free() >= std::max<std::uint64_t>(1, p.book.size() / 2)) {
    p.queued = true;
    to_pump_.push_back(pub_index);
  }
}

void scenario::on_publish(client& c, const mqtt::publish& msg) {
  if (phase_ == phase::done)
    return;  // the rest of a read after the end: not counted
  if (cfg_.kind == scenario_kind::thing) {
    on_reply(c, msg);
    return;
  }
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
  if (pub_id >= pubs_.size()) {
    finish("PUBLISH with an unknown publisher id");
    return;
  }
  auto& s = subs_[c.index()];
  auto& book = pubs_[pub_id].book;
  delivery d;
  if (s.last.empty()) {
    d = book.deliver(seq);  // a shared group member
  } else if (pub_id < s.first_pub || pub_id - s.first_pub >= s.last.size()) {
    finish("subscriber " + std::to_string(c.index()) + " got publisher " + std::to_string(pub_id) +
           "'s message on '" + msg.topic + "'");
    return;
  } else {
    d = book.deliver(seq, s.last[pub_id - s.first_pub]);
  }
  account(pub_id, ts, d);
}

void scenario::account(std::uint32_t pub_id, std::uint64_t ts, const delivery& d) {
  if (d.unknown) {
    finish("PUBLISH with a sequence number never sent");
    return;
  }
  ++r_.received;
  if (d.duplicate) {
    ++r_.duplicates;  // (or reordered: MQTT keeps per-publisher order, so a duplicate)
    return;
  }
  auto now = now_ns();
  auto latency = now > ts ? now - ts : 0;
  r_.latency_ns.record(latency);
  if (cfg_.conn.progress != progress_mode::off)
    tick_latency_ns_.record(latency);
  opened(pub_id, d.opened);
}

void scenario::on_ack(client& c, std::uint16_t packet_id) {
  auto* p = publisher_of(c);
  if (p == nullptr || phase_ == phase::done)
    return;
  if (auto seq = p->book.seq_of(packet_id))
    opened(static_cast<std::size_t>(p - pubs_.data()), p->book.ack(*seq));
}

void scenario::on_read_done(client&) {
  if (phase_ != phase::done)
    refill();
}

bool scenario::refill() {
  if (phase_ == phase::draining && outstanding_ == 0) {
    finish();
    return false;
  }
  for (auto i : to_pump_)
    pump(pubs_[i]);
  to_pump_.clear();
  return true;
}

void scenario::on_failed(client& c, const std::string& why) {
  auto role = c.index() < subs_.size() ? "subscriber " + std::to_string(c.index())
                                       : "publisher " + std::to_string(c.index() - subs_.size());
  finish(role + ": " + why);
}

void scenario::tick() {
  tick_timer_.expires_after(std::chrono::seconds(1));
  tick_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || (phase_ != phase::running && phase_ != phase::draining))
      return;
    // Expire what has waited too long, so that one lost message does not
    // stall its publisher for the rest of the run.
    auto deadline = now_ns() - static_cast<std::uint64_t>(cfg_.loss_timeout_s * 1e9);
    for (std::size_t i = 0; i < pubs_.size(); ++i) {
      auto n = pubs_[i].book.expire(deadline);
      opened(i, n);
    }
    if (!refill())
      return;
    if (cfg_.conn.progress != progress_mode::off && phase_ == phase::running) {
      std::uint64_t sent = 0;
      std::uint64_t expired = 0;
      for (auto& p : pubs_) {
        sent += p.book.next();
        expired += p.book.expired();
      }
      auto t = std::chrono::duration<double>(clock_type::now() - t0_).count();
      char line[256];
      std::snprintf(line, sizeof line,
                    "%3.0f/%.0f s  sent %llu/s  received %llu/s  latency p50 %.0f us p99 %.0f us  "
                    "in flight %llu  duplicates %llu  expired %llu",
                    t, cfg_.duration_s, static_cast<unsigned long long>(sent - last_tick_sent_),
                    static_cast<unsigned long long>(r_.received - last_tick_received_),
                    static_cast<double>(tick_latency_ns_.percentile(50)) / 1000.0,
                    static_cast<double>(tick_latency_ns_.percentile(99)) / 1000.0,
                    static_cast<unsigned long long>(outstanding_),
                    static_cast<unsigned long long>(r_.duplicates),
                    static_cast<unsigned long long>(expired));
      print_progress(cfg_.conn.progress, false, line);
      last_tick_sent_ = sent;
      last_tick_received_ = r_.received;
      tick_latency_ns_ = histogram{};
    }
    tick();
  });
}

}  // namespace iotb::loadgen
