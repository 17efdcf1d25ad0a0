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

#include "tools/loadgen/proc_stats.hpp"
#include "tools/loadgen/scenario.hpp"
#include "tools/loadgen/storm.hpp"

namespace {

using namespace iotb::loadgen;
namespace asio = boost::asio;

constexpr const char* usage =
    "usage: loadgen --port P --scenario S --clients N [options]\n"
    "scenarios:\n"
    "  fan-in    N publishers -> M subscribers (--subscribers, default 1), each on all topics\n"
    "  fan-out   1 publisher -> N subscribers\n"
    "  p2p       N pairs: publisher i -> its own subscriber i\n"
    "  shared    N publishers -> a $share group of M consumers (--subscribers, default 4)\n"
    "  connect   a storm of N CONNECTs (connects/s), held --hold s, memory per connection\n"
    "  idle      N connections held idle --duration s with keep-alive pings, memory per "
    "connection\n"
    "options:\n"
    "  --host H              broker address, loopback only (default 127.0.0.1)\n"
    "  --qos 0|1|2           (default 0)\n"
    "  --payload BYTES       payload size, at least 20 (default 64)\n"
    "  --duration SECONDS    measurement window; idle: hold time (default 10)\n"
    "  --rate R              target publish rate, msgs/s over all publishers (default: as\n"
    "                        fast as the window allows)\n"
    "  --window W            unresolved messages per publisher (default: about 10000 (QoS 0)\n"
    "                        / 1000 (QoS 1, 2) deliveries in flight, at most 64 each)\n"
    "  --topic PATTERN       topic of publisher i, %i = i (default bench/in/%i, bench/out,\n"
    "                        bench/p2p/%i, bench/shared/%i)\n"
    "  --subscribers M       fan-in subscribers / shared group size\n"
    "  --drain SECONDS       after the window, wait at most this long for messages still\n"
    "                        in flight; what has not come then is lost (default 3)\n"
    "  --mqtt-version 3|5    3 means 3.1.1 (default 3)\n"
    "  --persistent          subscribers use persistent sessions (durable QoS 1)\n"
    "  --transport T         tcp (default), tls, ws (MQTT over WebSocket) or wss (over TLS)\n"
    "  --ws-path PATH        ws, wss: the upgrade request's path (default /mqtt)\n"
    "  --tls                 the same as --transport tls\n"
    "  --tls-ca FILE         tls, wss: trust these roots and verify the broker's name (the\n"
    "                        --host); without it no certificate check (default transport\n"
    "                        then tls)\n"
    "  --source-addresses K  spread connections over 127.0.0.2 ... 127.0.0.(K+1): beyond\n"
    "                        ~28k connections one source address runs out of ports\n"
    "  --broker-pid PID      report the broker's CPU and RSS from /proc\n"
    "  --json                one JSON object on stdout (the summary goes to stderr)\n"
    "  --progress            one progress line per second on stderr (default: a live line\n"
    "                        when stderr is a terminal)\n"
    "  --quiet               no progress\n"
    "connect and idle:\n"
    "  --device-auth CSV     sign CONNECTs per SPEC 2.1 from productKey,deviceName,deviceSecret\n"
    "                        lines (iotbroker device create --count N --csv)\n"
    "  --concurrency K       handshakes in flight (default 200)\n"
    "  --hold SECONDS        connect: idle time before measuring memory (default 2)\n"
    "  --keep-alive SECONDS  (default 60 for idle, 300 for connect)\n"
    "exit status: 0 done, 2 the run failed (connection refused or lost, error), 64 usage\n";

struct options {
  std::string host = "127.0.0.1";
  unsigned port = 0;
  std::string scenario;
  std::size_t clients = 0;
  std::size_t subscribers = 0;
  unsigned qos = 0;
  std::size_t payload = 64;
  double duration = 10;
  std::uint32_t window = 0;  // 0: automatic
  std::optional<int> broker_pid;
  unsigned mqtt_version = 3;
  bool json = false;
  std::optional<progress_mode> progress;
  bool persistent = false;
  double rate = 0;
  double drain = 3;
  std::string topic;
  std::string transport;  // tcp, tls, ws, wss; empty: tcp (tls with --tls-ca)
  std::string ws_path = "/mqtt";
  std::string tls_ca;
  unsigned source_addresses = 0;
  std::string device_auth;  // CSV path
  std::size_t concurrency = 200;
  double hold = 2;
  std::optional<std::uint16_t> keep_alive;
};

/// TLS under MQTT (tls) or under WebSocket (wss).
bool uses_tls(const options& o) {
  return o.transport == "tls" || o.transport == "wss";
}

[[noreturn]] void die(const std::string& msg) {
  std::fprintf(stderr, "loadgen: %s\n%s", msg.c_str(), usage);
  std::exit(64);
}

/// Parses an unsigned number in [lo, hi] or dies.
unsigned long long number(std::string_view flag, const char* text, unsigned long long lo,
                          unsigned long long hi) {
  char* end = nullptr;
  errno = 0;
  auto v = std::strtoull(text, &end, 10);
  if (errno != 0 || end == text || *end != '\0' || v < lo || v > hi)
    die(std::string(flag) + ": expected a number in [" + std::to_string(lo) + ", " +
        std::to_string(hi) + "], got '" + text + "'");
  return v;
}

options parse(int argc, char** argv) {
  options o;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == "--json") {
      o.json = true;
      continue;
    }
    if (a == "--persistent") {
      o.persistent = true;
      continue;
    }
    if (a == "--progress") {
      o.progress = progress_mode::lines;
      continue;
    }
    if (a == "--quiet") {
      o.progress = progress_mode::off;
      continue;
    }
    if (a == "--tls") {
      if (!o.transport.empty() && o.transport != "tls")
        die("--tls: conflicts with --transport " + o.transport);
      o.transport = "tls";
      continue;
    }
    if (a == "--help" || a == "-h") {
      std::fputs(usage, stdout);
      std::exit(0);
    }
    if (i + 1 >= argc)
      die("missing value for " + std::string(a));
    const char* v = argv[++i];
    if (a == "--host")
      o.host = v;
    else if (a == "--port")
      o.port = static_cast<unsigned>(number(a, v, 1, 65535));
    else if (a == "--scenario")
      o.scenario = v;
    else if (a == "--clients")
      o.clients = number(a, v, 1, 1000000);
    else if (a == "--subscribers")
      o.subscribers = number(a, v, 1, 100000);
    else if (a == "--qos")
      o.qos = static_cast<unsigned>(number(a, v, 0, 2));
    else if (a == "--rate")
      o.rate = static_cast<double>(number(a, v, 1, 100000000));
    else if (a == "--topic")
      o.topic = v;
    else if (a == "--drain")
      o.drain = static_cast<double>(number(a, v, 0, 600));
    else if (a == "--tls-ca")
      o.tls_ca = v;
    else if (a == "--transport") {
      std::string_view t = v;
      if (t != "tcp" && t != "tls" && t != "ws" && t != "wss")
        die("--transport must be tcp, tls, ws or wss");
      if (!o.transport.empty() && o.transport != t)
        die("--transport " + std::string(t) + ": conflicts with --transport " + o.transport);
      o.transport = t;
    } else if (a == "--ws-path") {
      o.ws_path = v;
      if (o.ws_path.empty() || o.ws_path.front() != '/' ||
          o.ws_path.find_first_of(" \r\n") != std::string::npos)
        die("--ws-path: a path starting with /, no spaces");
    } else if (a == "--source-addresses")
      o.source_addresses = static_cast<unsigned>(number(a, v, 1, 254));
    else if (a == "--keep-alive")
      o.keep_alive = static_cast<std::uint16_t>(number(a, v, 0, 65535));
    else if (a == "--payload")
      o.payload = number(a, v, payload_header, 1 << 20);
    else if (a == "--duration") {
      char* end = nullptr;
      o.duration = std::strtod(v, &end);
      if (end == v || *end != '\0' || !(o.duration > 0) || o.duration > 3600)
        die("--duration: expected seconds in (0, 3600]");
    } else if (a == "--window")
      o.window = static_cast<std::uint32_t>(number(a, v, 1, 65535));
    else if (a == "--device-auth")
      o.device_auth = v;
    else if (a == "--concurrency")
      o.concurrency = number(a, v, 1, 100000);
    else if (a == "--hold")
      o.hold = static_cast<double>(number(a, v, 0, 3600));
    else if (a == "--broker-pid")
      o.broker_pid = static_cast<int>(number(a, v, 1, 1u << 30));
    else if (a == "--mqtt-version") {
      o.mqtt_version = static_cast<unsigned>(number(a, v, 3, 5));
      if (o.mqtt_version == 4)
        die("--mqtt-version: 3 or 5");
    } else
      die("unknown option " + std::string(a));
  }
  if (o.port == 0)
    die("--port is required");
  if (o.transport.empty())
    o.transport = o.tls_ca.empty() ? "tcp" : "tls";
  if (!o.tls_ca.empty() && !uses_tls(o))
    die("--tls-ca: needs a TLS transport (tls or wss), not " + o.transport);
  static constexpr std::string_view kinds[] = {"fan-in", "fan-out", "p2p",
                                               "shared", "connect", "idle"};
  if (std::find(std::begin(kinds), std::end(kinds), o.scenario) == std::end(kinds))
    die("--scenario must be fan-in, fan-out, p2p, shared, connect or idle");
  if (o.clients == 0)
    die("--clients is required");
  if (o.scenario == "p2p" && !o.topic.empty() && o.topic.find("%i") == std::string::npos)
    die("--topic: p2p needs %i in the pattern (each pair its own topic)");
  if (o.topic.find('#') != std::string::npos || o.topic.find('+') != std::string::npos)
    die("--topic: a topic name, no wildcards");
  return o;
}

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

std::string json_number(const std::optional<double>& v, int precision) {
  if (!v)
    return "null";
  std::ostringstream s;
  s.setf(std::ios::fixed);
  s.precision(precision);
  s << *v;
  return s.str();
}

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (char ch : s) {
    if (ch == '"' || ch == '\\')
      out += '\\';
    if (static_cast<unsigned char>(ch) < 0x20)
      continue;
    out += ch;
  }
  return out + "\"";
}

/// Derived figures of a run, as printed.
struct figures {
  std::optional<double> cpu_us_per_msg;  ///< broker CPU per delivery
  std::optional<double> rss_kib;
  double p50_us, p90_us, p99_us, p999_us, max_us;
};

figures derive(const results& r) {
  figures f{};
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
  std::fprintf(out,
               "loadgen: %s N=%zu qos=%u payload=%zu window=%u: %.0f msgs/s received "
               "(sent %llu, received %llu, lost %llu, dup %llu%s), latency p50 %.0f us "
               "p90 %.0f us p99 %.0f us p99.9 %.0f us max %.0f us, broker %s CPU-s %s "
               "CPU-us/msg %s RSS KiB, "
               "loadgen %.2f CPU-s in %.2f s%s%s\n",
               o.scenario.c_str(), o.clients, o.qos, o.payload, cfg.window, r.msgs_per_s,
               static_cast<unsigned long long>(r.sent), static_cast<unsigned long long>(r.received),
               static_cast<unsigned long long>(r.lost),
               static_cast<unsigned long long>(r.duplicates), r.drained ? "" : ", not drained",
               f.p50_us, f.p90_us, f.p99_us, f.p999_us, f.max_us,
               json_number(r.broker_cpu_s, 2).c_str(), json_number(f.cpu_us_per_msg, 3).c_str(),
               json_number(f.rss_kib, 0).c_str(), r.loadgen_cpu_s, r.window_s,
               r.error.empty() ? "" : " ERROR: ", r.error.c_str());
}

void print_json(const options& o, const scenario_config& cfg, const results& r, const figures& f) {
  std::ostringstream j;
  j << "{\"scenario\":\"" << o.scenario << "\",\"clients\":" << o.clients
    << ",\"subscribers\":" << cfg.subscribers << ",\"qos\":" << o.qos
    << ",\"payload\":" << o.payload << ",\"duration_s\":" << json_number(r.window_s, 3)
    << ",\"window\":" << cfg.window
    << ",\"rate_target\":" << (o.rate > 0 ? json_number(o.rate, 0) : "null")
    << ",\"mqtt_version\":" << o.mqtt_version << ",\"transport\":\"" << o.transport
    << "\",\"tls\":" << (uses_tls(o) ? "true" : "false")
    << ",\"persistent\":" << (o.persistent ? "true" : "false") << ",\"sent\":" << r.sent
    << ",\"received\":" << r.received << ",\"received_in_window\":" << r.received_in_window
    << ",\"msgs_per_s\":" << json_number(r.msgs_per_s, 1) << ",\"lost\":" << r.lost
    << ",\"duplicates\":" << r.duplicates << ",\"late\":" << r.late
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
  if (o.scenario == "fan-out" || o.scenario == "p2p")
    return o.clients;
  if (o.subscribers != 0)
    return o.subscribers;
  return o.scenario == "shared" ? 4 : 1;
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
  if (!o.device_auth.empty()) {
    std::string err;
    auto creds = read_credentials(o.device_auth, err);
    if (!creds)
      die(err);
    if (creds->size() < o.clients)
      die("--device-auth: " + std::to_string(creds->size()) + " devices in " + o.device_auth +
          ", fewer than --clients " + std::to_string(o.clients) +
          " (a device holds one connection: a second one takes the first over)");
    cfg.devices = std::move(*creds);
  }
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

  scenario_config cfg;
  cfg.conn = connection(o);
  cfg.kind = o.scenario == "fan-in"    ? scenario_kind::fan_in
             : o.scenario == "fan-out" ? scenario_kind::fan_out
             : o.scenario == "p2p"     ? scenario_kind::p2p
                                       : scenario_kind::shared;
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
  // message (fan-in: N × M; fan-out: 1 × N; p2p and shared: N × 1).
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
  return r.error.empty() ? 0 : 2;
}
