/// @file
/// loadgen's command line (see options.hpp).

#include "tools/loadgen/options.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <iterator>
#include <string_view>

namespace iotb::loadgen {

namespace {

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
    "  thing     N devices (--device-auth, _ss=1) post Alink properties; the broker's replies\n"
    "            are the deliveries (SPEC 4: validation, storage, reply)\n"
    "  rrpc      N devices (--device-auth, _ss=1) echo RRPC requests; K HTTP keep-alive\n"
    "            connections POST .../devices/{dn}/rrpc to them in turn (round trips/s)\n"
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
    "connect, idle, thing and rrpc:\n"
    "  --device-auth CSV     sign CONNECTs per SPEC 2.1 from productKey,deviceName,deviceSecret\n"
    "                        lines (iotbroker device create --count N --csv); thing needs it\n"
    "  --alink-params JSON   thing: the posts' params (default {\"Brightness\":seq%101,\n"
    "                        \"LightSwitch\":seq%2}, valid for tests/data/lamp-tsl.json)\n"
    "  --concurrency K       handshakes in flight (default 200)\n"
    "  --hold SECONDS        connect: idle time before measuring memory (default 2)\n"
    "  --keep-alive SECONDS  (default 60 for idle, 300 for connect, thing and rrpc)\n"
    "rrpc:\n"
    "  --admin-port P        the broker's admin API (same --host; required)\n"
    "  --token T             admin API Bearer token (default $IOTB_TOKEN)\n"
    "  --http-conns K        HTTP/1.1 keep-alive connections, one call in flight each\n"
    "                        (default 16)\n"
    "  --rrpc-timeout-ms MS  the calls' timeoutMs, 1-8000 (default 3000); the drain waits\n"
    "                        this + 1 s\n"
    "  --rate R              calls/s over all connections, paced; latency counts from each\n"
    "                        call's due time (default: closed loop)\n"
    "exit status: 0 done, 2 the run failed (connection refused or lost, error), 64 usage\n";

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

}  // namespace

bool uses_tls(const options& o) {
  return o.transport == "tls" || o.transport == "wss";
}

void die(const std::string& msg) {
  std::fprintf(stderr, "loadgen: %s\n%s", msg.c_str(), usage);
  std::exit(64);
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
    else if (a == "--alink-params")
      o.alink_params = v;
    else if (a == "--concurrency")
      o.concurrency = number(a, v, 1, 100000);
    else if (a == "--hold")
      o.hold = static_cast<double>(number(a, v, 0, 3600));
    else if (a == "--admin-port")
      o.admin_port = static_cast<unsigned>(number(a, v, 1, 65535));
    else if (a == "--token")
      o.token = v;
    else if (a == "--http-conns")
      o.http_conns = number(a, v, 1, 1000);
    else if (a == "--rrpc-timeout-ms")
      o.rrpc_timeout_ms = static_cast<unsigned>(number(a, v, 1, 8000));
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
  static constexpr std::string_view kinds[] = {"fan-in",  "fan-out", "p2p",   "shared",
                                               "connect", "idle",    "thing", "rrpc"};
  if (std::find(std::begin(kinds), std::end(kinds), o.scenario) == std::end(kinds))
    die("--scenario must be fan-in, fan-out, p2p, shared, connect, idle, thing or rrpc");
  if ((o.scenario == "thing" || o.scenario == "rrpc") && o.device_auth.empty())
    die("--scenario " + o.scenario + ": needs --device-auth CSV");
  if (o.scenario == "rrpc" && o.admin_port == 0)
    die("--scenario rrpc: needs --admin-port");

  if (o.clients == 0)
    die("--clients is required");
  if (o.scenario == "p2p" && !o.topic.empty() && o.topic.find("%i") == std::string::npos)
    die("--topic: p2p needs %i in the pattern (each pair its own topic)");
  if (o.topic.find('#') != std::string::npos || o.topic.find('+') != std::string::npos)
    die("--topic: a topic name, no wildcards");
  return o;
}

}  // namespace iotb::loadgen
