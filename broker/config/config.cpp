#include "broker/config/config.hpp"

#include <charconv>
#include <fstream>
#include <sstream>

namespace iotb {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

template <class T>
std::optional<std::string> parse_uint(std::string_view key, std::string_view v, T& out,
                                      std::uint64_t min, std::uint64_t max) {
  std::uint64_t x = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), x);
  if (ec != std::errc{} || p != v.data() + v.size() || x < min || x > max)
    return std::string{key} + ": expected an integer in [" + std::to_string(min) + ", " +
           std::to_string(max) + "], got '" + std::string{v} + "'";
  out = static_cast<T>(x);
  return std::nullopt;
}

std::optional<std::string> parse_bool(std::string_view key, std::string_view v, bool& out) {
  if (v == "true" || v == "1" || v == "yes" || v == "on") {
    out = true;
  } else if (v == "false" || v == "0" || v == "no" || v == "off") {
    out = false;
  } else {
    return std::string{key} + ": expected true or false, got '" + std::string{v} + "'";
  }
  return std::nullopt;
}

}  // namespace

bool endpoint::loopback() const noexcept {
  return host == "localhost" || host == "::1" || host.starts_with("127.");
}

std::string endpoint::to_string() const {
  if (host.find(':') != std::string::npos)
    return "[" + host + "]:" + std::to_string(port);
  return host + ":" + std::to_string(port);
}

bool config::anonymous_allowed(const endpoint& listener) const noexcept {
  if (allow_anonymous)
    return *allow_anonymous;
  return listener.loopback();
}

expected<endpoint, std::string> parse_endpoint(std::string_view s) {
  endpoint ep;
  std::string_view port;
  if (s.starts_with('[')) {
    auto close = s.find(']');
    if (close == std::string_view::npos || close + 1 >= s.size() || s[close + 1] != ':')
      return unexpected{"bad address '" + std::string{s} + "': expected [v6]:port"};
    ep.host = std::string{s.substr(1, close - 1)};
    port = s.substr(close + 2);
  } else {
    auto colon = s.rfind(':');
    if (colon == std::string_view::npos)
      return unexpected{"bad address '" + std::string{s} + "': expected HOST:PORT"};
    ep.host = std::string{s.substr(0, colon)};
    port = s.substr(colon + 1);
  }
  if (ep.host.empty())
    return unexpected{"bad address '" + std::string{s} + "': empty host"};
  if (auto err = parse_uint("port", port, ep.port, 0, 65535))
    return unexpected{"bad address '" + std::string{s} + "': " + *err};
  return ep;
}

std::optional<std::string> apply_setting(config& cfg, std::string_view key, std::string_view v) {
  if (key == "data-dir") {
    if (v.empty())
      return std::string{"data-dir: must not be empty"};
    cfg.data_dir = std::string{v};
  } else if (key == "mqtt") {
    auto ep = parse_endpoint(v);
    if (!ep)
      return "mqtt: " + ep.error();
    cfg.mqtt = *ep;
  } else if (key == "mqtts") {
    auto ep = parse_endpoint(v);
    if (!ep)
      return "mqtts: " + ep.error();
    cfg.mqtts = *ep;
    cfg.mqtts_set = true;
  } else if (key == "tls-cert") {
    cfg.tls_cert = std::string{v};
  } else if (key == "tls-key") {
    cfg.tls_key = std::string{v};
  } else if (key == "tls-ca") {
    cfg.tls_ca = std::string{v};
  } else if (key == "tls-ciphers") {
    cfg.tls_ciphers = std::string{v};
  } else if (key == "device-keep-alive-min") {
    return parse_uint(key, v, cfg.device_keep_alive_min, 0, 65535);
  } else if (key == "device-keep-alive-max") {
    return parse_uint(key, v, cfg.device_keep_alive_max, 1, 65535);
  } else if (key == "max-subscriptions-per-device") {
    return parse_uint(key, v, cfg.max_subscriptions_per_device, 1, 1'000'000);
  } else if (key == "max-filters-per-subscribe") {
    return parse_uint(key, v, cfg.max_filters_per_subscribe, 1, 65535);
  } else if (key == "auto-subscribe") {
    if (v == "always")
      cfg.auto_subscribe_always = true;
    else if (v == "ss")
      cfg.auto_subscribe_always = false;
    else
      return "auto-subscribe: expected 'ss' (only devices sending _ss=1) or 'always', got '" +
             std::string{v} + "'";
  } else if (key == "sign-max-skew") {
    return parse_uint(key, v, cfg.sign_max_skew, 0, 0xFFFFFFFFull);
  } else if (key == "allow-anonymous") {
    bool b = true;
    if (auto err = parse_bool(key, v, b))
      return err;
    cfg.allow_anonymous = b;
  } else if (key == "acl-file") {
    cfg.acl_file = std::string{v};
  } else if (key == "log-level") {
    if (!log::parse_level(v, cfg.log_level))
      return "log-level: expected trace, debug, info, warn, error or off, got '" + std::string{v} +
             "'";
  } else if (key == "max-packet-size") {
    return parse_uint(key, v, cfg.max_packet_size, 64, 268'435'460);
  } else if (key == "receive-maximum") {
    return parse_uint(key, v, cfg.receive_maximum, 1, 65535);
  } else if (key == "max-inflight") {
    return parse_uint(key, v, cfg.max_inflight, 1, 65535);
  } else if (key == "max-queued-messages") {
    return parse_uint(key, v, cfg.max_queued_messages, 0, 100'000'000);
  } else if (key == "max-queued-bytes") {
    return parse_uint(key, v, cfg.max_queued_bytes, 1024, 1ull << 40);
  } else if (key == "topic-alias-maximum") {
    return parse_uint(key, v, cfg.topic_alias_maximum, 0, 65535);
  } else if (key == "max-keep-alive") {
    return parse_uint(key, v, cfg.max_keep_alive, 1, 65535);
  } else if (key == "max-session-expiry") {
    return parse_uint(key, v, cfg.max_session_expiry, 0, 0xFFFFFFFFull);
  } else if (key == "max-client-id-length") {
    return parse_uint(key, v, cfg.max_client_id_length, 23, 65535);
  } else if (key == "max-output-buffer") {
    return parse_uint(key, v, cfg.max_output_buffer, 4096, 1ull << 32);
  } else if (key == "overlapping-subscriptions") {
    if (v != "single" && v != "multiple")
      return "overlapping-subscriptions: expected single or multiple, got '" + std::string{v} + "'";
    cfg.overlapping_single = v == "single";
  } else if (key == "connect-timeout") {
    return parse_uint(key, v, cfg.connect_timeout, 1, 3600);
  } else if (key == "device-uplink-rate") {
    return parse_uint(key, v, cfg.device_uplink_rate, 0, 1'000'000);
  } else if (key == "broker-uplink-rate") {
    return parse_uint(key, v, cfg.broker_uplink_rate, 0, 100'000'000);
  } else if (key == "device-connect-rate") {
    return parse_uint(key, v, cfg.device_connect_rate, 0, 1'000'000);
  } else if (key == "max-connect-rate") {
    return parse_uint(key, v, cfg.max_connect_rate, 0, 100'000'000);
  } else if (key == "max-connection-bandwidth") {
    return parse_uint(key, v, cfg.max_connection_bandwidth, 0, 32'000'000'000ull);
  } else if (key == "durability") {
    if (v != "sync" && v != "batch" && v != "none")
      return "durability: expected sync, batch or none, got '" + std::string{v} + "'";
    cfg.durability = std::string{v};
  } else if (key == "persistence") {
    return parse_bool(key, v, cfg.persistence);
  } else if (key == "commit-window-ms") {
    return parse_uint(key, v, cfg.commit_window_ms, 0, 1000);
  } else if (key == "batch-interval-ms") {
    return parse_uint(key, v, cfg.batch_interval_ms, 1, 60'000);
  } else if (key == "qos1-retention") {
    return parse_uint(key, v, cfg.qos1_retention, 1, 0xFFFFFFFFull);
  } else if (key == "store-max-size") {
    return parse_uint(key, v, cfg.store_max_size_mb, 1, 1ull << 24);
  } else if (key == "io-threads") {
    return parse_uint(key, v, cfg.io_threads, 0, 256);
  } else if (key == "workers") {
    return parse_uint(key, v, cfg.workers, 0, 256);
  } else if (key == "max-throughput") {
    return parse_uint(key, v, cfg.max_throughput, 1, 1'000'000);
  } else {
    return "unknown setting '" + std::string{key} + "' (see --help)";
  }
  return std::nullopt;
}

std::optional<std::string> apply_config_text(config& cfg, std::string_view text) {
  std::size_t line_no = 0;
  while (!text.empty()) {
    ++line_no;
    auto nl = text.find('\n');
    auto line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    line = trim(line);
    if (line.empty() || line.front() == '#')
      continue;
    auto eq = line.find('=');
    if (eq == std::string_view::npos)
      return "line " + std::to_string(line_no) + ": expected 'key = value'";
    if (auto err = apply_setting(cfg, trim(line.substr(0, eq)), trim(line.substr(eq + 1))))
      return "line " + std::to_string(line_no) + ": " + *err;
  }
  return std::nullopt;
}

expected<cli_result, std::string> parse_command_line(const std::vector<std::string_view>& args) {
  cli_result res;
  // The config file first, so that flags override it wherever they appear.
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] != "--config")
      continue;
    if (i + 1 >= args.size())
      return unexpected{std::string{"--config: missing FILE"}};
    std::ifstream in{std::string{args[i + 1]}};
    if (!in)
      return unexpected{"--config: cannot read '" + std::string{args[i + 1]} + "'"};
    std::stringstream ss;
    ss << in.rdbuf();
    if (auto err = apply_config_text(res.cfg, ss.str()))
      return unexpected{std::string{args[i + 1]} + ": " + *err};
    res.cfg.local_mode = false;
  }
  for (std::size_t i = 0; i < args.size(); ++i) {
    auto a = args[i];
    if (a == "--help" || a == "-h") {
      res.show_help = true;
      continue;
    }
    if (a == "--version") {
      res.show_version = true;
      continue;
    }
    if (!a.starts_with("--"))
      return unexpected{"unexpected argument '" + std::string{a} + "' (see --help)"};
    auto key = a.substr(2);
    std::string_view value;
    if (auto eq = key.find('='); eq != std::string_view::npos) {
      value = key.substr(eq + 1);
      key = key.substr(0, eq);
    } else if (key == "allow-anonymous") {
      value = "true";
    } else {
      if (i + 1 >= args.size())
        return unexpected{"--" + std::string{key} + ": missing value"};
      value = args[++i];
    }
    if (key == "config")
      continue;
    if (key == "mqtt" || key == "mqtts")
      res.cfg.local_mode = false;
    if (auto err = apply_setting(res.cfg, key, value))
      return unexpected{"--" + *err};
  }
  return res;
}

std::string_view help_text() noexcept {
  return R"(iotbroker — a self-hosted IoT device hub (MQTT 3.1, 3.1.1, 5.0)

Usage: iotbroker [options]

With no options the broker starts in local mode: listeners bind 127.0.0.1
and anonymous clients are allowed. Flags override the config file, which
overrides the defaults. Every flag is also a config-file key
(`key = value`, `#` comments).

Options:
  --config FILE              read settings from FILE
  --data-dir DIR             data directory (default ./data)
  --mqtt HOST:PORT           MQTT over TCP listener (default 127.0.0.1:1883;
                             port 0 disables it)
  --mqtts HOST:PORT          MQTT over TLS listener (default 127.0.0.1:8883,
                             on when --tls-cert/--tls-key are given)
  --tls-cert FILE            PEM certificate (chain) for TLS listeners
  --tls-key FILE             PEM private key for TLS listeners
  --tls-ca FILE              PEM CA bundle: request and verify client certificates
  --tls-ciphers LIST         TLS 1.2 cipher list (default: ECDHE suites plus the
                             RSA-key-exchange AES suites device SDKs need)
  --allow-anonymous[=BOOL]   allow clients without credentials on every
                             listener (default: only on loopback listeners)
  --acl-file FILE            Mosquitto-format ACL file (user/topic/pattern lines)
                             restricting applications and anonymous clients;
                             devices keep their own topic rules
  --log-level L              trace, debug, info, warn, error, off (default info)
  --max-packet-size N        largest packet accepted or sent (default 262144)
  --receive-maximum N        unacknowledged inbound QoS 1/2 per client (100)
  --max-inflight N           unacknowledged outbound QoS 1/2 per client (100)
  --max-queued-messages N    queued QoS 1/2 messages per session (1000)
  --max-queued-bytes N       payload bytes of those per session (16777216)
  --topic-alias-maximum N    topic aliases a client may use (64)
  --max-keep-alive N         larger keep-alives are cut to N seconds (65535)
  --max-session-expiry N     cap on session expiry, seconds (4294967295 = never)
  --max-client-id-length N   longest client id accepted (256)
  --max-output-buffer N      bytes buffered for a slow reader before QoS 0
                             messages to it are dropped (4194304)
  --overlapping-subscriptions single|multiple
                             a message matching several subscriptions of one
                             client: one copy at the highest QoS with every
                             subscription identifier (single, default) or one
                             copy per subscription (multiple)
  --connect-timeout N        seconds a new connection has to send CONNECT (10)
  --device-keep-alive-min N  devices with a smaller keep-alive are refused (30)
  --device-keep-alive-max N  devices with a larger keep-alive are refused (1200)
  --max-subscriptions-per-device N   subscriptions a device may hold (100)
  --max-filters-per-subscribe N      filters per SUBSCRIBE from a device (8)
  --auto-subscribe ss|always subscribe devices to their downlink topics when
                             they send _ss=1 (ss, default) or always
  --sign-max-skew N          refuse signed CONNECTs whose timestamp is more than
                             N seconds off (0 = no check, the default: SDKs send
                             fixed timestamps)
  --device-uplink-rate N     PUBLISHes per second a device may send (30); the
                             excess is dropped and counted (0x96 on MQTT 5)
  --broker-uplink-rate N     device PUBLISHes per second, whole broker (10000)
  --device-connect-rate N    CONNECTs per minute per device (5); refused with 5
  --max-connect-rate N       CONNECTs per second, whole broker (500); refused
                             with 3 (raise it for connection-storm benchmarks)
  --max-connection-bandwidth N   bits per second read from one connection
                             (8000000); beyond it reading pauses (0 = no limit)
  --persistence BOOL         keep persistent sessions, their QoS 1/2 queues and
                             retained messages in <data-dir>/sessions (true)
  --durability MODE          sync: a QoS 1 PUBLISH is acknowledged once on disk
                             (default); batch: synced every --batch-interval-ms;
                             none: the OS decides (a crash may lose messages)
  --commit-window-ms N       extra wait to gather a group commit (0)
  --batch-interval-ms N      sync period for --durability batch (100)
  --qos1-retention N         seconds a queued QoS 1/2 message is kept (604800)
  --store-max-size N         MiB the sessions store may grow to (65536); when
                             full, QoS 1 publishes are refused with 0x97
  --io-threads N             socket I/O threads (0 = one per core)
  --workers N                actor scheduler threads (0 = one per core)
  --max-throughput N         messages an actor handles before yielding (64)
  --help                     this text
  --version                  print the version
)";
}

}  // namespace iotb
