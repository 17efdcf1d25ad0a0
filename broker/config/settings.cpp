#include "broker/config/settings.hpp"

#include <charconv>
#include <vector>

namespace iotb {

namespace {

using apply_fn = std::function<std::optional<std::string>(config&, std::string_view)>;
using show_fn = std::function<std::string(const config&)>;

std::optional<std::string> parse_u64(std::string_view key, std::string_view v, std::uint64_t& out,
                                     std::uint64_t min, std::uint64_t max) {
  std::uint64_t x = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), x);
  if (ec != std::errc{} || p != v.data() + v.size() || x < min || x > max)
    return std::string{key} + ": expected an integer in [" + std::to_string(min) + ", " +
           std::to_string(max) + "], got '" + std::string{v} + "'";
  out = x;
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

template <class T>
setting uint_setting(std::string_view key, T config::*m, std::uint64_t min, std::uint64_t max,
                     std::string_view help, std::string_view arg = "N") {
  return {key, arg, help,
          [key, m, min, max](config& c, std::string_view v) -> std::optional<std::string> {
            std::uint64_t x = 0;
            if (auto err = parse_u64(key, v, x, min, max))
              return err;
            c.*m = static_cast<T>(x);
            return std::nullopt;
          },
          [m](const config& c) { return std::to_string(c.*m); }};
}

setting bool_setting(std::string_view key, bool config::*m, std::string_view help) {
  return {key, "BOOL", help,
          [key, m](config& c, std::string_view v) { return parse_bool(key, v, c.*m); },
          [m](const config& c) { return std::string(c.*m ? "true" : "false"); }};
}

setting string_setting(std::string_view key, std::string config::*m, std::string_view arg,
                       std::string_view help, bool show_default = false) {
  show_fn show;
  if (show_default)
    show = [m](const config& c) { return c.*m; };
  return {key, arg, help,
          [m](config& c, std::string_view v) -> std::optional<std::string> {
            c.*m = std::string{v};
            return std::nullopt;
          },
          show};
}

/// A listener address; `set` (optional) records that it was given.
setting endpoint_setting(std::string_view key, endpoint config::*m, bool config::*set,
                         std::string_view help) {
  setting s{key, "HOST:PORT", help,
            [key, m, set](config& c, std::string_view v) -> std::optional<std::string> {
              auto ep = parse_endpoint(v);
              if (!ep)
                return std::string{key} + ": " + ep.error();
              c.*m = *ep;
              if (set)
                c.*set = true;
              return std::nullopt;
            },
            [m](const config& c) { return (c.*m).to_string(); }};
  s.listener = true;
  return s;
}

/// One of a fixed set of words.
setting choice_setting(std::string_view key, std::string config::*m,
                       std::vector<std::string_view> words, std::string_view help) {
  std::string list;  // "sync, batch or none"
  for (std::size_t i = 0; i < words.size(); ++i)
    list += (i == 0 ? "" : i + 1 == words.size() ? " or " : ", ") + std::string{words[i]};
  return {key, "MODE", help,
          [key, m, words, list](config& c, std::string_view v) -> std::optional<std::string> {
            for (auto w : words)
              if (v == w) {
                c.*m = std::string{v};
                return std::nullopt;
              }
            return std::string{key} + ": expected " + list + ", got '" + std::string{v} + "'";
          },
          [m](const config& c) { return c.*m; }};
}

std::vector<setting> make_table() {
  std::vector<setting> t;
  t.push_back({"config", "FILE", "read settings from FILE (flags override it)", nullptr, nullptr});
  t.push_back({"data-dir", "DIR", "data directory",
               [](config& c, std::string_view v) -> std::optional<std::string> {
                 if (v.empty())
                   return std::string{"data-dir: must not be empty"};
                 c.data_dir = std::string{v};
                 return std::nullopt;
               },
               [](const config& c) { return c.data_dir; }});
  // Listeners.
  t.push_back(endpoint_setting("mqtt", &config::mqtt, nullptr,
                               "MQTT over TCP listener; port 0 disables it"));
  t.push_back(endpoint_setting("mqtts", &config::mqtts, &config::mqtts_set,
                               "MQTT over TLS listener, on when --tls-cert/--tls-key are given"));
  t.push_back(endpoint_setting("ws", &config::ws, nullptr,
                               "MQTT over WebSocket listener (path --ws-path)"));
  t.push_back(
      endpoint_setting("wss", &config::wss, &config::wss_set,
                       "MQTT over secure WebSocket, on when --tls-cert/--tls-key are given"));
  setting admin = endpoint_setting("admin", &config::admin, nullptr,
                                   "admin API listener (REST under /api/v1, the live WebSocket, "
                                   "/metrics); port 0 disables it");
  admin.listener = false;  // not an MQTT listener: local mode stays
  t.push_back(std::move(admin));
  t.push_back(bool_setting("admin-tls", &config::admin_tls,
                           "serve the admin listener over HTTPS with --tls-cert/--tls-key "
                           "(the broker refuses to start without them)"));
  t.push_back({"public-url", "URL",
               "how devices reach the admin listener (http[s]://host[:port]): the base of the "
               "configuration-file links they are given (default: the admin listener's address)",
               [](config& c, std::string_view v) -> std::optional<std::string> {
                 if (!(v.starts_with("http://") || v.starts_with("https://")) || v.size() < 9 ||
                     v.find_first_of(" ?#") != std::string_view::npos)
                   return "public-url: expected an http:// or https:// URL without a query, got '" +
                          std::string{v} + "'";
                 while (v.ends_with('/'))
                   v.remove_suffix(1);
                 c.public_url = std::string(v);
                 return std::nullopt;
               }});
  t.push_back({"ws-path", "PATH", "WebSocket upgrade path",
               [](config& c, std::string_view v) -> std::optional<std::string> {
                 if (v.empty() || v.front() != '/')
                   return "ws-path: expected a path starting with '/', got '" + std::string{v} +
                          "'";
                 c.ws_path = std::string{v};
                 return std::nullopt;
               },
               [](const config& c) { return c.ws_path; }});
  t.push_back(string_setting("tls-cert", &config::tls_cert, "FILE",
                             "PEM certificate (chain) for the TLS listeners"));
  t.push_back(string_setting("tls-key", &config::tls_key, "FILE", "PEM private key for them"));
  t.push_back(string_setting("tls-ca", &config::tls_ca, "FILE",
                             "PEM CA bundle: request and verify client certificates"));
  t.push_back(string_setting("tls-ciphers", &config::tls_ciphers, "LIST",
                             "TLS 1.2 cipher list (default: ECDHE suites plus the "
                             "RSA-key-exchange AES suites device SDKs need)"));
  setting anon{"allow-anonymous", "BOOL",
               "allow clients without credentials on every listener (default: only on "
               "loopback listeners)",
               [](config& c, std::string_view v) -> std::optional<std::string> {
                 bool b = true;
                 if (auto err = parse_bool("allow-anonymous", v, b))
                   return err;
                 c.allow_anonymous = b;
                 return std::nullopt;
               },
               nullptr};
  anon.implicit_true = true;
  t.push_back(std::move(anon));
  t.push_back(string_setting("acl-file", &config::acl_file, "FILE",
                             "Mosquitto-format ACL file (user/topic/pattern lines) restricting "
                             "applications and anonymous clients; devices keep their own topic "
                             "rules"));
  t.push_back({"plugin-dir", "DIR[:DIR...]",
               "directories searched for sink plugins (*.so), in order; replaces the default "
               "(<prefix>/lib/iotbroker/plugins:./plugins)",
               [](config& c, std::string_view v) -> std::optional<std::string> {
                 c.plugin_dirs.clear();
                 while (!v.empty()) {
                   auto colon = v.find(':');
                   auto dir = v.substr(0, colon);
                   if (!dir.empty())
                     c.plugin_dirs.emplace_back(dir);
                   v = colon == std::string_view::npos ? std::string_view{} : v.substr(colon + 1);
                 }
                 if (c.plugin_dirs.empty())
                   return std::string{"plugin-dir: expected one or more directories"};
                 return std::nullopt;
               },
               [](const config& c) {
                 std::string s;
                 for (const auto& d : c.plugin_dirs)
                   s += (s.empty() ? "" : ":") + d;
                 return s;
               }});
  t.push_back({"log-level", "L", "trace, debug, info, warn, error or off",
               [](config& c, std::string_view v) -> std::optional<std::string> {
                 if (!log::parse_level(v, c.log_level))
                   return "log-level: expected trace, debug, info, warn, error or off, got '" +
                          std::string{v} + "'";
                 return std::nullopt;
               },
               [](const config& c) { return std::string{log::to_string(c.log_level)}; }});
  // MQTT limits.
  t.push_back(uint_setting("max-packet-size", &config::max_packet_size, 64, 268'435'460,
                           "largest packet accepted or sent, bytes"));
  t.push_back(uint_setting("receive-maximum", &config::receive_maximum, 1, 65535,
                           "unacknowledged inbound QoS 1/2 per client"));
  t.push_back(uint_setting("max-inflight", &config::max_inflight, 1, 65535,
                           "unacknowledged outbound QoS 1/2 per client"));
  t.push_back(uint_setting("max-queued-messages", &config::max_queued_messages, 0, 100'000'000,
                           "queued QoS 1/2 messages per session"));
  t.push_back(uint_setting("max-queued-bytes", &config::max_queued_bytes, 1024, 1ull << 40,
                           "payload bytes of those per session"));
  t.push_back(uint_setting("topic-alias-maximum", &config::topic_alias_maximum, 0, 65535,
                           "topic aliases a client may use"));
  t.push_back(uint_setting("max-keep-alive", &config::max_keep_alive, 1, 65535,
                           "larger keep-alives are cut to this, seconds"));
  t.push_back(uint_setting("max-session-expiry", &config::max_session_expiry, 0, 0xFFFFFFFFull,
                           "cap on session expiry, seconds (4294967295 = never)"));
  t.push_back(uint_setting("max-client-id-length", &config::max_client_id_length, 23, 65535,
                           "longest client id accepted"));
  t.push_back(uint_setting("max-output-buffer", &config::max_output_buffer, 4096, 1ull << 32,
                           "bytes buffered for a slow reader before QoS 0 messages to it are "
                           "dropped"));
  t.push_back(uint_setting("connect-timeout", &config::connect_timeout, 1, 3600,
                           "seconds from accept within which a connection must have sent its "
                           "whole CONNECT"));
  t.push_back(uint_setting("max-connect-size", &config::max_connect_size, 64, 268'435'460,
                           "largest CONNECT accepted, bytes: what an unauthenticated peer can "
                           "make the broker buffer"));
  t.push_back(
      {"overlapping-subscriptions", "single|multiple",
       "a client's overlapping subscriptions get one copy at the highest QoS with every "
       "subscription identifier (single) or one copy each (multiple)",
       [](config& c, std::string_view v) -> std::optional<std::string> {
         if (v != "single" && v != "multiple")
           return "overlapping-subscriptions: expected single or multiple, got '" + std::string{v} +
                  "'";
         c.overlapping_single = v == "single";
         return std::nullopt;
       },
       [](const config& c) { return std::string(c.overlapping_single ? "single" : "multiple"); }});
  // Devices.
  t.push_back(uint_setting("device-keep-alive-min", &config::device_keep_alive_min, 0, 65535,
                           "devices with a smaller keep-alive are refused"));
  t.push_back(uint_setting("device-keep-alive-max", &config::device_keep_alive_max, 1, 65535,
                           "devices with a larger keep-alive are refused"));
  t.push_back(uint_setting("max-subscriptions-per-device", &config::max_subscriptions_per_device, 1,
                           1'000'000, "subscriptions a device may hold"));
  t.push_back(uint_setting("max-filters-per-subscribe", &config::max_filters_per_subscribe, 1,
                           65535, "filters per SUBSCRIBE from a device; the excess is refused"));
  t.push_back(
      {"auto-subscribe", "ss|always",
       "subscribe devices to their downlink topics when they send _ss=1 (ss) or always",
       [](config& c, std::string_view v) -> std::optional<std::string> {
         if (v == "always")
           c.auto_subscribe_always = true;
         else if (v == "ss")
           c.auto_subscribe_always = false;
         else
           return "auto-subscribe: expected 'ss' (only devices sending _ss=1) or "
                  "'always', got '" +
                  std::string{v} + "'";
         return std::nullopt;
       },
       [](const config& c) { return std::string(c.auto_subscribe_always ? "always" : "ss"); }});
  t.push_back(uint_setting("sign-max-skew", &config::sign_max_skew, 0, 0xFFFFFFFFull,
                           "refuse signed CONNECTs whose timestamp is more than N seconds off "
                           "(0 = no check: SDKs send fixed timestamps)"));
  // Quotas.
  t.push_back(uint_setting("device-uplink-rate", &config::device_uplink_rate, 0, 1'000'000,
                           "PUBLISHes per second a device may send; the excess is dropped and "
                           "counted (0x96 on MQTT 5)"));
  t.push_back(uint_setting("broker-uplink-rate", &config::broker_uplink_rate, 0, 100'000'000,
                           "device PUBLISHes per second, whole broker"));
  t.push_back(uint_setting("device-connect-rate", &config::device_connect_rate, 0, 1'000'000,
                           "CONNECTs per minute per device; refused with 5"));
  t.push_back(uint_setting("max-connect-rate", &config::max_connect_rate, 0, 100'000'000,
                           "CONNECTs per second, whole broker; refused with 3 (raise it for "
                           "connection-storm benchmarks)"));
  t.push_back(uint_setting("max-connection-bandwidth", &config::max_connection_bandwidth, 0,
                           32'000'000'000ull,
                           "bits per second read from one connection; beyond it reading "
                           "pauses (0 = no limit)"));
  t.push_back(uint_setting("device-downlink-rate", &config::device_downlink_rate, 0, 1'000'000,
                           "messages per second the admin API may send to one device "
                           "(POST /api/v1/publish to a device topic); the excess gets 429"));
  t.push_back(uint_setting("broadcast-max-size", &config::broadcast_max_size, 1, 1 << 20,
                           "largest broadcast payload, bytes"));
  t.push_back(uint_setting("broadcast-interval", &config::broadcast_interval, 0, 86'400,
                           "seconds between two broadcasts to one product (0 = no limit)"));
  t.push_back(uint_setting("thing-history-days", &config::thing_history_days, 0, 36'500,
                           "days of property history and device events kept (0 = forever); "
                           "older records are purged every hour"));
  t.push_back(uint_setting("max-rules", &config::max_rules, 1, 100'000,
                           "rules that may exist (SPEC §9); creating one more is refused"));
  t.push_back(uint_setting("shadow-idle-seconds", &config::shadow_idle_seconds, 1, 86'400,
                           "seconds after which an idle device shadow's actor stops (its "
                           "document stays in the store)"));
  t.push_back(uint_setting("shadow-rate", &config::shadow_rate, 0, 1'000'000,
                           "shadow requests per second per device; the excess gets error 429 "
                           "(0 = no limit)"));
  t.push_back(bool_setting("metrics-public", &config::metrics_public,
                           "serve /metrics without a token on a non-loopback admin listener "
                           "(on loopback it is always open)"));
  // Durable sessions.
  t.push_back(bool_setting("persistence", &config::persistence,
                           "keep persistent sessions, their QoS 1/2 queues and retained "
                           "messages in <data-dir>/sessions"));
  t.push_back(choice_setting("durability", &config::durability, {"sync", "batch", "none"},
                             "sync: a QoS 1 PUBLISH is acknowledged once on disk; batch: synced "
                             "every --batch-interval-ms; none: the OS decides (a crash may "
                             "lose messages)"));
  t.push_back(uint_setting("commit-window-ms", &config::commit_window_ms, 0, 1000,
                           "extra wait to gather a group commit"));
  t.push_back(uint_setting("batch-interval-ms", &config::batch_interval_ms, 1, 60'000,
                           "sync period for --durability batch"));
  t.push_back(uint_setting("qos1-retention", &config::qos1_retention, 1, 0xFFFFFFFFull,
                           "seconds a queued QoS 1/2 message is kept"));
  t.push_back(uint_setting("store-max-size", &config::store_max_size_mb, 1, 1ull << 24,
                           "MiB the sessions store may grow to; when full, QoS 1 publishes are "
                           "refused with 0x97"));
  // Threads.
  t.push_back(uint_setting("io-threads", &config::io_threads, 0, 256,
                           "socket I/O threads (0 = one per core)"));
  t.push_back(uint_setting("workers", &config::workers, 0, 256,
                           "actor scheduler threads (0 = one per core)"));
  t.push_back(uint_setting("max-throughput", &config::max_throughput, 1, 1'000'000,
                           "messages an actor handles before yielding"));
  return t;
}

}  // namespace

std::span<const setting> settings() noexcept {
  static const std::vector<setting> table = make_table();
  return table;
}

const setting* find_setting(std::string_view key) noexcept {
  for (const auto& s : settings())
    if (s.key == key)
      return &s;
  return nullptr;
}

}  // namespace iotb
