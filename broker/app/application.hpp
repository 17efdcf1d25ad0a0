#pragma once
/// @file
/// The composition root: builds one broker from its configuration — the
/// stores, the shared context, the actor system, the I/O pool and the
/// listeners the configuration names — and takes it down again in order.
/// `main` only parses the command line and waits for a signal.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <caf/actor.hpp>

#include "broker/config/config.hpp"
#include "broker/metrics/broker_metrics.hpp"

namespace caf {
class actor_system;
class actor_system_config;
}  // namespace caf

namespace iotb::admin {
class server;
}  // namespace iotb::admin

namespace iotb::actors {
struct broker_context;
class live_hub;
}  // namespace iotb::actors

namespace iotb::net {
class io_pool;
class tcp_listener;
}  // namespace iotb::net

namespace iotb::tls {
class tls_context;
}  // namespace iotb::tls

namespace iotb::actors {
class rule_table;
}  // namespace iotb::actors

namespace iotb::plugins {
class plugin_registry;
}  // namespace iotb::plugins

namespace iotb::app {

/// One listener the configuration asks for.
struct listener_spec {
  std::string name;  ///< "mqtt", "mqtts", "ws", "wss"
  metrics::listener_id id = metrics::listener_id::mqtt;
  endpoint ep;
  bool tls = false;        ///< needs the broker's certificate
  bool websocket = false;  ///< MQTT over WebSocket
  bool required = false;   ///< given explicitly: a missing certificate is an error
};

/// The listeners of `cfg`, enabled ones only (port != 0), in a fixed order.
[[nodiscard]] std::vector<listener_spec> listeners_of(const config& cfg);

/// One running broker.
///
/// Thread-safety: `start` and `stop` are called by one thread (main).
class application {
 public:
  explicit application(config cfg);
  ~application();
  application(const application&) = delete;
  application& operator=(const application&) = delete;

  /// Opens the stores, restores persistent sessions, starts the actors,
  /// binds every listener and starts accepting. @returns false (after
  /// logging why and undoing what was started) when any step fails.
  [[nodiscard]] bool start();

  /// Stops accepting, shuts the sessions down (DISCONNECT 0x8B on MQTT 5),
  /// waits for all actors, drains and syncs both store writers and closes
  /// LMDB. Idempotent.
  void stop();

 private:
  [[nodiscard]] bool open_stores();
  [[nodiscard]] bool open_listeners();
  [[nodiscard]] bool open_admin();
  /// Stops the actors and releases the context's references to them.
  void stop_actors();

  config cfg_;
  std::shared_ptr<actors::broker_context> ctx_;
  std::unique_ptr<caf::actor_system_config> actor_cfg_;
  std::unique_ptr<caf::actor_system> system_;
  std::vector<caf::actor> internal_;  ///< internal subscribers (NTP, ...), for their exit
  caf::actor calls_;    ///< the device-calls actor (`actors::calls_actor`), for the admin API
  caf::actor shadows_;  ///< the shadow service (`actors::shadow_service_actor`), for the admin API
  std::unique_ptr<net::io_pool> pool_;
  std::vector<std::shared_ptr<net::tcp_listener>> listeners_;
  std::shared_ptr<const tls::tls_context> tls_;
  std::unique_ptr<admin::server> admin_;    ///< the admin API (SPEC §12), when enabled
  std::shared_ptr<actors::live_hub> live_;  ///< GET /api/v1/ws
  /// The sink plugins of `--plugin-dir`, loaded at start (GET
  /// /api/v1/plugins; the rules engine makes its sinks from it).
  std::shared_ptr<plugins::plugin_registry> plugins_;
  caf::actor rules_;  ///< the rules engine (`actors::rules_actor`), for the admin API
  std::shared_ptr<actors::rule_table> rule_table_;  ///< running rules, read by the API
  bool started_ = false;
  bool stopped_ = false;
};

}  // namespace iotb::app
