/// @file
/// loadgen: drives many MQTT connections from one thread against a broker
/// on the loopback interface and reports the delivery rate, loss and
/// duplicates, end-to-end latency, connects/s and the broker's CPU and
/// memory cost. `loadgen --help` lists the scenarios and options.

#include <unistd.h>
#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>

#include "tools/loadgen/json_out.hpp"
#include "tools/loadgen/options.hpp"
#include "tools/loadgen/proc_stats.hpp"
#include "tools/loadgen/scenario.hpp"
#include "tools/loadgen/scenario_rrpc.hpp"
#include "tools/loadgen/storm.hpp"

namespace {

using namespace iotb::loadgen;
namespace asio = boost::asio;

/// The broker address: loopback only (this tool must not load other hosts).
asio::ip::address loopback_address(const std::string& host) {
  boost::system::error_code ec;
  auto addr = asio::ip::make_address(host == "localhost" ? "127.0.0.1" : host, ec);
  if (ec || !addr.is_loopback())
    die("--host must be a loopback address (127.0.0.0/8 or ::1), got '" + host + "'");
  return addr;
}

/// The default window: about `target` deliveries in flight in total, when
/// one unit of window puts `deliveries` in flight.
std::uint32_t auto_window(std::size_t deliveries, unsigned qos) {
  std::size_t target = qos == 0 ? 10000 : 1000;
  return static_cast<std::uint32_t>(std::clamp<std::size_t>(target / deliveries, 1, 64));
}

/// Derived figures of a run, as printed.
struct figures {
  std::optional<double> cpu_us_per_msg;  ///< broker CPU per delivery
  std::optional<double> rss_kib;
  std::size_t payload;  ///< mean bytes per PUBLISH sent (thing: the post's JSON)
  double p50_us, p90_us, p99_us, p999_us, max_us;
};

figures derive(const results& r) {
  figures f{};
  f.payload = r.sent > 0 ? static_cast<std::size_t>(r.payload_bytes / r.sent) : 0;
  if (r.broker_cpu_s && r.received_in_window > 0)
    f.cpu_us_per_msg = *r.broker_cpu_s * 1e6 / static_cast<double>(r.received_in_window);
  if (r.broker_rss_kib)
    f.rss_kib = static_cast<double>(*r.broker_rss_kib);
  f.p50_us = static_cast<double>(r.latency_ns.percentile(50)) / 1000.0;
  f.p90_us = static_cast<double>(r.latency_ns.percentile(90)) / 1000.0;
  f.p99_us = static_cast<double>(r.latency_ns.percentile(99)) / 1000.0;
  f.p999_us = static_cast<double>(r.latency_ns.percentile(99.9)) / 1000.0;
  f.max_us = static_cast<double>(r.latency_ns.max()) / 1000.0;
  return f;
}

void print_summary(std::FILE* out, const options& o, const scenario_config& cfg, const results& r,
                   const figures& f) {
  if (r.window_s == 0) {  // failed before publishing started
    std::fprintf(out, "loadgen: %s N=%zu: ERROR: %s\n", o.scenario.c_str(), o.clients,
                 r.error.c_str());
    return;
  }
  std::string rejected;  // thing: replies other than a clean 200
  if (r.rejected != 0)
    rejected = ", rejected " + std::to_string(r.rejected) + ", first: " + r.first_rejected;
  std::fprintf(out,
               "loadgen: %s N=%zu qos=%u payload=%zu window=%u: %.0f msgs/s received "
               "(sent %llu, received %llu, lost %llu, dup %llu%s%s), latency p50 %.0f us "
               "p90 %.0f us p99 %.0f us p99.9 %.0f us max %.0f us, broker %s CPU-s %s "
               "CPU-us/msg %s RSS KiB, "
               "loadgen %.2f CPU-s in %.2f s%s%s\n",
               o.scenario.c_str(), o.clients, o.qos, f.payload, cfg.window, r.msgs_per_s,
               static_cast<unsigned long long>(r.sent), static_cast<unsigned long long>(r.received),
               static_cast<unsigned long long>(r.lost),
               static_cast<unsigned long long>(r.duplicates), r.drained ? "" : ", not drained",
               rejected.c_str(), f.p50_us, f.p90_us, f.p99_us, f.p999_us, f.max_us,
               json_number(r.broker_cpu_s, 2).c_str(), json_number(f.cpu_us_per_msg, 3).c_str(),
               json_number(f.rss_kib, 0).c_str(), r.loadgen_cpu_s, r.window_s,
               r.error.empty() ? "" : " ERROR: ", r.error.c_str());
}

void print_json(const options& o, const scenario_config& cfg, const results& r, const figures& f) {
  std::ostringstream j;
  j << "{\"scenario\":\"" << o.scenario << "\",\"clients\":" << o.clients
    << ",\"subscribers\":" << cfg.subscribers << ",\"qos\":" << o.qos
    << ",\"payload\":" << f.payload << ",\"duration_s\":" << json_number(r.window_s, 3)
    << ",\"window\":" << cfg.window
    << ",\"rate_target\":" << (o.rate > 0 ? json_number(o.rate, 0) : "null")
    << ",\"mqtt_version\":" << o.mqtt_version << ",\"transport\":\"" << o.transport
    << "\",\"tls\":" << (uses_tls(o) ? "true" : "false")
    << ",\"persistent\":" << (o.persistent ? "true" : "false") << ",\"sent\":" << r.sent
    << ",\"received\":" << r.received << ",\"received_in_window\":" << r.received_in_window
    << ",\"msgs_per_s\":" << json_number(r.msgs_per_s, 1) << ",\"lost\":" << r.lost
    << ",\"duplicates\":" << r.duplicates << ",\"late\":" << r.late
    << ",\"rejected\":" << r.rejected
    << ",\"first_rejected\":" << (r.rejected == 0 ? "null" : json_string(r.first_rejected))
    << ",\"p50_us\":" << json_number(f.p50_us, 1) << ",\"p90_us\":" << json_number(f.p90_us, 1)
    << ",\"p99_us\":" << json_number(f.p99_us, 1) << ",\"p999_us\":" << json_number(f.p999_us, 1)
    << ",\"max_us\":" << json_number(f.max_us, 1)
    << ",\"broker_cpu_s\":" << json_number(r.broker_cpu_s, 3)
    << ",\"broker_cpu_us_per_msg\":" << json_number(f.cpu_us_per_msg, 4)
    << ",\"broker_rss_kib\":" << json_number(f.rss_kib, 0)
    << ",\"loadgen_cpu_s\":" << json_number(r.loadgen_cpu_s, 3)
    << ",\"loadgen_reads\":" << r.loadgen_reads << ",\"loadgen_writes\":" << r.loadgen_writes
    << ",\"drained\":" << (r.drained ? "true" : "false")
    << ",\"error\":" << (r.error.empty() ? "null" : json_string(r.error)) << "}\n";
  std::fputs(j.str().c_str(), stdout);
}

/// Settings every scenario shares; dies on a bad --host or TLS file.
connection_config connection(const options& o) {
  connection_config c;
  c.target = asio::ip::tcp::endpoint(loopback_address(o.host), static_cast<unsigned short>(o.port));
  c.ver = o.mqtt_version == 5 ? iotb::mqtt::version::v5 : iotb::mqtt::version::v311;
  c.broker_pid = o.broker_pid;
  c.source_addresses = o.source_addresses;
  c.progress =
      o.progress.value_or(::isatty(STDERR_FILENO) ? progress_mode::live : progress_mode::off);
  if (o.transport == "ws" || o.transport == "wss")
    c.ws_path = o.ws_path;
  if (uses_tls(o)) {
    iotb::tls::client_options t;
    t.ca_file = o.tls_ca;
    t.verify = !o.tls_ca.empty();
    t.server_name = o.host;
    auto ctx = iotb::tls::tls_context::make_client(t);
    if (!ctx)
      die("--tls: " + ctx.error());
    c.tls = *ctx;
  }
  return c;
}

/// Subscriber connections of a message scenario.
std::size_t subscriber_count(const options& o) {
  if (o.scenario == "thing" || o.scenario == "rrpc")
    return 0;
  if (o.scenario == "fan-out" || o.scenario == "p2p")
    return o.clients;
  if (o.subscribers != 0)
    return o.subscribers;
  return o.scenario == "shared" ? 4 : 1;
}

/// The --device-auth CSV's devices (none without it); dies when it cannot
/// be read or holds fewer than --clients.
std::vector<device_credential> devices(const options& o) {
  if (o.device_auth.empty())
    return {};
  std::string err;
  auto creds = read_credentials(o.device_auth, err);
  if (!creds)
    die(err);
  if (creds->size() < o.clients)
    die("--device-auth: " + std::to_string(creds->size()) + " devices in " + o.device_auth +
        ", fewer than --clients " + std::to_string(o.clients) +
        " (a device holds one connection: a second one takes the first over)");
  return std::move(*creds);
}

}  // namespace

int run_storm(const options& o) {
  const bool idle = o.scenario == "idle";
  storm_config cfg;
  cfg.conn = connection(o);
  cfg.clients = o.clients;
  cfg.concurrency = o.concurrency;
  cfg.hold_s = idle ? o.duration : o.hold;
  cfg.ping = idle;
  cfg.keep_alive = o.keep_alive.value_or(idle ? 60 : 300);
  cfg.devices = devices(o);
  storm_results r;
  {
    asio::io_context io(1);
    storm s(io, cfg);
    r = s.run();
  }
  auto opt_kib = [](const std::optional<long>& v) {
    return json_number(v ? std::optional<double>(static_cast<double>(*v)) : std::nullopt, 0);
  };
  std::optional<double> cpu_per_connect;
  if (r.broker_cpu_s && r.connected > 0)
    cpu_per_connect = *r.broker_cpu_s * 1e6 / static_cast<double>(r.connected);
  std::fprintf(o.json ? stderr : stdout,
               "loadgen: %s N=%zu%s: %zu connected, %zu refused in %.2f s = %.0f connects/s, "
               "broker %s CPU-s (%s CPU-us/connect), held %.0f s (%zu dropped), RssAnon %s -> "
               "%s KiB = %s bytes per idle connection%s%s\n",
               o.scenario.c_str(), o.clients,
               o.device_auth.empty() ? " (anonymous)" : " (signed devices)", r.connected, r.refused,
               r.seconds, r.connects_per_s, json_number(r.broker_cpu_s, 2).c_str(),
               json_number(cpu_per_connect, 1).c_str(), cfg.hold_s, r.dropped,
               opt_kib(r.rss_before_kib).c_str(), opt_kib(r.rss_after_kib).c_str(),
               json_number(r.rss_per_conn_bytes, 0).c_str(),
               r.first_error.empty() ? "" : "; first error: ", r.first_error.c_str());
  const bool ok = r.refused == 0 && r.dropped == 0;
  if (o.json) {
    std::ostringstream j;
    j << "{\"scenario\":\"" << o.scenario << "\",\"clients\":" << o.clients
      << ",\"signed\":" << (o.device_auth.empty() ? "false" : "true") << ",\"transport\":\""
      << o.transport << "\",\"tls\":" << (uses_tls(o) ? "true" : "false")
      << ",\"connected\":" << r.connected << ",\"refused\":" << r.refused
      << ",\"dropped\":" << r.dropped << ",\"seconds\":" << json_number(r.seconds, 3)
      << ",\"connects_per_s\":" << json_number(r.connects_per_s, 1)
      << ",\"broker_cpu_s\":" << json_number(r.broker_cpu_s, 3)
      << ",\"broker_cpu_us_per_connect\":" << json_number(cpu_per_connect, 1)
      << ",\"hold_s\":" << json_number(cfg.hold_s, 1)
      << ",\"rss_before_kib\":" << opt_kib(r.rss_before_kib)
      << ",\"rss_after_kib\":" << opt_kib(r.rss_after_kib)
      << ",\"rss_per_conn_bytes\":" << json_number(r.rss_per_conn_bytes, 0) << ",\"error\":"
      << (ok ? "null" : json_string(r.first_error.empty() ? "refused" : r.first_error)) << "}\n";
    std::fputs(j.str().c_str(), stdout);
  }
  return ok ? 0 : 2;
}

int main(int argc, char** argv) {
  auto o = parse(argc, argv);
  raise_fd_limit();
  if (o.scenario == "connect" || o.scenario == "idle")
    return run_storm(o);
  if (o.scenario == "rrpc")
    return run_rrpc(o, connection(o), devices(o));

  scenario_config cfg;
  cfg.conn = connection(o);
  cfg.kind = o.scenario == "fan-in"    ? scenario_kind::fan_in
             : o.scenario == "fan-out" ? scenario_kind::fan_out
             : o.scenario == "p2p"     ? scenario_kind::p2p
             : o.scenario == "thing"   ? scenario_kind::thing
                                       : scenario_kind::shared;
  cfg.devices = devices(o);
  cfg.keep_alive = o.keep_alive.value_or(300);
  cfg.alink_params = o.alink_params;
  cfg.clients = o.clients;
  cfg.subscribers = subscriber_count(o);
  cfg.q = static_cast<iotb::mqtt::qos>(o.qos);
  cfg.persistent = o.persistent;
  cfg.payload = o.payload;
  cfg.duration_s = o.duration;
  cfg.rate = o.rate;
  cfg.drain_s = o.drain;
  cfg.topic = o.topic;
  // Deliveries in flight per unit of window: publishers × receivers per
  // message (fan-in: N × M; fan-out: 1 × N; p2p, shared and thing: N × 1).
  auto per_window = o.scenario == "fan-in" ? o.clients * cfg.subscribers : o.clients;
  cfg.window = o.window != 0 ? o.window : auto_window(per_window, o.qos);

  results r;
  {
    asio::io_context io(1);
    scenario s(io, cfg);
    r = s.run();
  }

  auto f = derive(r);
  // The summary goes to stdout, or to stderr when stdout carries the JSON.
  print_summary(o.json ? stderr : stdout, o, cfg, r, f);
  if (o.json)
    print_json(o, cfg, r, f);
  return r.error.empty() && r.rejected == 0 ? 0 : 2;
}
