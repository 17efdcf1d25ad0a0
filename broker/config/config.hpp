#pragma once
/// @file
/// Broker configuration: embedded defaults, overridden by a config file
/// (`--config FILE`), overridden by command-line flags. Every flag has a
/// config-file key of the same name without the leading dashes
/// (`max-packet-size = 1048576`); both, and `--help`, come from the one
/// settings table in settings.hpp.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "broker/log/log.hpp"
#include "broker/util/expected.hpp"

namespace iotb {

/// The plugin directories when none are configured:
/// `<install prefix>/lib/iotbroker/plugins`, then `./plugins`.
[[nodiscard]] std::vector<std::string> default_plugin_dirs();

/// A listener address; port 0 disables the listener.
struct endpoint {
  std::string host;
  std::uint16_t port = 0;
  [[nodiscard]] bool enabled() const noexcept { return port != 0; }
  /// True for 127.0.0.0/8, ::1 and "localhost".
  [[nodiscard]] bool loopback() const noexcept;
  [[nodiscard]] std::string to_string() const;
};

/// Everything the broker process can be told.
struct config {
  std::string data_dir = "./data";
  endpoint mqtt{"127.0.0.1", 1883};
  /// MQTT over TLS; on by default when a certificate is configured.
  endpoint mqtts{"127.0.0.1", 8883};
  bool mqtts_set = false;  ///< `--mqtts` given explicitly
  /// MQTT over WebSocket (path `ws_path`, subprotocol `mqtt`).
  endpoint ws{"127.0.0.1", 8083};
  /// MQTT over secure WebSocket; on by default when a certificate is configured.
  endpoint wss{"127.0.0.1", 8084};
  bool wss_set = false;           ///< `--wss` given explicitly
  std::string ws_path = "/mqtt";  ///< the WebSocket upgrade path
  /// The admin API (SPEC §12); port 0 disables it.
  endpoint admin{"127.0.0.1", 18083};
  /// The admin listener speaks HTTPS with `tls_cert`/`tls_key`.
  bool admin_tls = false;
  /// How devices reach the admin listener (`https://iot.example.com:18083`):
  /// the base of the download links the broker gives them. Empty: the
  /// admin listener's own address.
  std::string public_url;
  std::string tls_cert;     ///< PEM certificate chain file
  std::string tls_key;      ///< PEM private key file
  std::string tls_ca;       ///< PEM CA file: verify client certificates
  std::string tls_ciphers;  ///< TLS 1.2 cipher list (empty: the default)
  /// Anonymous clients: unset = only on loopback listeners (local mode),
  /// true = on every listener, false = never.
  std::optional<bool> allow_anonymous;
  /// Mosquitto-format ACL file for applications and anonymous clients
  /// (broker/acl/acl_file.hpp); empty: none.
  std::string acl_file;
  log::level log_level = log::level::info;
  /// Directories searched for sink plugins (`*.so`, docs/plugins.md), in
  /// order; a missing one is skipped. Default: `default_plugin_dirs()`.
  std::vector<std::string> plugin_dirs = default_plugin_dirs();
  /// True when neither a config file nor a listener flag was given.
  bool local_mode = true;

  // MQTT limits (SPEC §6 defaults).
  std::uint32_t max_packet_size = 256 * 1024;                    ///< bytes, both directions
  std::uint16_t receive_maximum = 100;                           ///< unacked inbound QoS1/2
  std::uint16_t max_inflight = 256;                              ///< outbound window cap
  std::uint32_t max_queued_messages = 1000;                      ///< per offline/slow session
  std::size_t max_queued_bytes = std::size_t{16} * 1024 * 1024;  ///< payload bytes, same queue
  std::uint16_t topic_alias_maximum = 64;                        ///< inbound aliases
  std::uint16_t max_keep_alive = 65535;                          ///< seconds; higher is cut
  std::uint32_t max_session_expiry = 0xFFFFFFFF;                 ///< seconds; 0xFFFFFFFF never
  std::uint32_t max_client_id_length = 256;                      ///< bytes
  std::size_t max_output_buffer = std::size_t{4} * 1024 * 1024;  ///< per connection, bytes
  std::uint32_t connect_timeout = 10;                            ///< seconds from accept to CONNECT
  std::uint32_t max_connect_size = 16 * 1024;  ///< bytes of CONNECT (unauthenticated)
  /// Overlapping subscriptions of one client: one copy at the highest QoS
  /// with every subscription identifier (true, "single") or one copy per
  /// subscription ("multiple").
  bool overlapping_single = true;

  // Devices (SPEC §2, §3, §6).
  std::uint16_t device_keep_alive_min = 30;    ///< seconds; lower is refused
  std::uint16_t device_keep_alive_max = 1200;  ///< seconds; higher is refused
  std::uint32_t max_subscriptions_per_device = 100;
  std::uint32_t max_filters_per_subscribe = 8;  ///< devices; excess gets SUBACK failure
  bool auto_subscribe_always = false;           ///< automatic subscription without `_ss=1`
  std::uint32_t sign_max_skew = 0;  ///< seconds a signed timestamp may be off; 0 = unchecked

  // Quotas (SPEC §6; 0 = unlimited).
  std::uint32_t device_uplink_rate = 30;               ///< PUBLISH/s per device
  std::uint32_t broker_uplink_rate = 10'000;           ///< device PUBLISH/s, whole broker
  std::uint32_t device_connect_rate = 5;               ///< CONNECTs per minute per device
  std::uint32_t max_connect_rate = 500;                ///< CONNECTs/s, whole broker
  std::uint64_t max_connection_bandwidth = 8'000'000;  ///< bits/s read per connection
  std::uint32_t device_downlink_rate = 50;             ///< API messages/s to one device
  std::uint32_t broadcast_max_size = 64 * 1024;        ///< bytes of one broadcast payload
  std::uint32_t broadcast_interval = 60;               ///< seconds between broadcasts per product
  // Thing model data (SPEC §4).
  std::uint32_t thing_history_days = 30;  ///< property history and events kept; 0 = forever
  // Rules engine (SPEC §9).
  std::uint32_t max_rules = 1000;  ///< rules that may exist
  // Device shadows (SPEC §5).
  std::uint32_t shadow_idle_seconds = 60;  ///< a shadow actor idle this long stops
  std::uint32_t shadow_rate = 20;          ///< shadow requests/s per device; 0 = no limit
  /// `/metrics` without a token on a non-loopback admin listener.
  bool metrics_public = false;

  // Durable sessions and QoS 1 (SPEC §7): `<data-dir>/sessions`.
  std::string durability = "sync";               ///< sync | batch | none
  std::uint32_t commit_window_ms = 0;            ///< extra gathering time per group commit
  std::uint32_t batch_interval_ms = 100;         ///< sync period with durability=batch
  std::uint32_t qos1_retention = 7 * 24 * 3600;  ///< seconds a queued QoS 1 message lives
  std::uint64_t store_max_size_mb =
      std::uint64_t{64} * 1024;  ///< the sessions store grows up to this
  bool persistence = true;       ///< false: sessions and QoS 1 in memory only

  // Threads (0 = one per core).
  unsigned io_threads = 0;
  unsigned workers = 0;
  std::size_t max_throughput = 64;  ///< CAF scheduler fairness

  /// True when an anonymous client may connect through `listener`.
  [[nodiscard]] bool anonymous_allowed(const endpoint& listener) const noexcept;
};

/// Result of command-line parsing.
struct cli_result {
  config cfg;
  bool show_help = false;
  bool show_version = false;
};

/// Parses `host:port` (`[v6]:port` too).
[[nodiscard]] expected<endpoint, std::string> parse_endpoint(std::string_view s);

/// Applies one `key = value` setting (also used for `--key value` flags).
/// @returns an error text naming the key when the key is unknown or the
///          value invalid.
[[nodiscard]] std::optional<std::string> apply_setting(config& cfg, std::string_view key,
                                                       std::string_view value);

/// Parses a config file's text: `key = value` lines, `#` comments, blank
/// lines. @returns an error text with the line number on failure.
[[nodiscard]] std::optional<std::string> apply_config_text(config& cfg, std::string_view text);

/// Parses the broker's command line (after the program name), reading the
/// config file named by `--config` first so that flags override it.
[[nodiscard]] expected<cli_result, std::string> parse_command_line(
    const std::vector<std::string_view>& args);

/// The `--help` text, generated from the settings table (settings.hpp).
[[nodiscard]] std::string help_text();

}  // namespace iotb
