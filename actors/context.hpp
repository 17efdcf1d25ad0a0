#pragma once
/// @file
/// What every actor of one broker shares: configuration, the subscription
/// router, the retained store, the message-id source, auth and ACL. Created
/// by `main` before the actor system and destroyed after it.
///
/// Concurrency: `subs` and `retained` are internally synchronised (see
/// their headers); `cfg`, `authn` and `authz` are immutable after start;
/// `ids` and the metrics are atomic.

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>

#include "actors/messages.hpp"

#include "actors/session_directory.hpp"
#include "broker/acl/authorizer.hpp"
#include "broker/auth/authenticator.hpp"
#include "broker/config/config.hpp"
#include "broker/core/message.hpp"
#include "broker/limits/token_bucket.hpp"
#include "broker/metrics/broker_metrics.hpp"
#include "broker/mqtt/packet.hpp"
#include "broker/router/retained.hpp"
#include "broker/router/router.hpp"
#include "broker/store/env.hpp"
#include "broker/store/registry.hpp"
#include "broker/store/session_store.hpp"
#include "broker/store/writer.hpp"

namespace iotb::actors {

/// Liveness of a session, shared by its subscription entries (for choosing
/// shared-subscription members that are connected).
struct session_flags {
  std::atomic<bool> online{false};
  /// Non-zero while the session is persistent and the broker has a store:
  /// QoS 1/2 messages for it are committed to its durable queue first.
  std::atomic<std::uint64_t> store_id{0};
  /// Non-shared subscriptions of the session in the router (counted before
  /// an insert, after an erase: never too low). Above 1, a publisher
  /// groups the session's matches into one delivery (overlapping
  /// subscriptions, `overlapping-subscriptions = single`).
  std::atomic<std::uint32_t> subscriptions{0};
  /// The client id the session shows (listings; a device's may change at a
  /// takeover). Null for internal subscribers.
  std::atomic<std::shared_ptr<const std::string>> client_id;
};

/// An internal subscriber that takes each matching message by a direct
/// call on the publisher's thread instead of a CAF message per delivery:
/// the rules engine, which counts and bounds its own backlog there.
class direct_subscriber {
 public:
  virtual ~direct_subscriber() = default;
  /// Called inside the router's read lock, on the publisher's thread:
  /// must not block, dispatch or touch the router. `client_id` is the
  /// publisher's (empty for the broker's own messages), valid during the
  /// call only.
  virtual void offer(const message_ptr& m, std::string_view client_id) = 0;
};

/// One subscription as stored in the router.
struct sub_entry {
  subscriber_actor target;
  std::uint64_t session = 0;
  mqtt::subscribe_options opts;
  std::uint32_t sub_id = 0;
  std::shared_ptr<const session_flags> flags;
  /// An anonymous subscriber: never receives device-namespace topics, even
  /// through `#` (SPEC §2.1).
  bool confined = false;
  /// A `$share/…` subscription: delivered on its own, never grouped.
  bool shared = false;
  /// Set for a direct internal subscriber (`subscribe_direct`): it gets
  /// its messages through `offer`, never a `deliver_msg`. It must outlive
  /// the entry: its owner erases the subscription before destroying it.
  direct_subscriber* direct = nullptr;
  /// ACL file (`--acl-file`): the subscription is only partly granted, so
  /// each delivery must pass `read_check->can_read(topic)`; null otherwise.
  std::shared_ptr<const acl::acl_rules> read_check;

  [[nodiscard]] std::uint64_t key() const noexcept { return session; }
  [[nodiscard]] bool eligible() const noexcept {
    return flags && flags->online.load(std::memory_order_relaxed);
  }
};

/// The shared broker state.
struct broker_context {
  explicit broker_context(config c);

  const config cfg;
  router::router<sub_entry> subs;
  router::retained_store<message_ptr> retained;
  id_source ids;
  std::unique_ptr<const auth::authenticator> authn;
  std::unique_ptr<const acl::authorizer> authz;
  /// Every figure of /metrics (per-thread counters, summed on scrape).
  metrics::broker_metrics metrics;
  /// Broker-wide device uplink quota (SPEC §6), shared by all connections.
  limits::shared_bucket uplink_all;
  /// Broker-wide CONNECT quota (SPEC §6), taken by the connect gate on
  /// every I/O thread.
  limits::shared_bucket connects_all;
  manager_actor manager;  ///< the session manager; set once at start
  /// Every session, for the admin API (written on attach and end only).
  session_directory directory;
  /// The live trace (actors/live.hpp): while `tracing`, dispatch shows it
  /// every message with its publisher's client id. Set before the
  /// listeners start, never changed after.
  std::function<void(const message_ptr&, std::string_view client_id)> trace_tap;
  std::atomic<bool> tracing{false};
  /// The registry environment (null when the broker runs without one, as
  /// in unit tests) and its writer thread (device log, device state).
  std::shared_ptr<store::env> registry;
  std::unique_ptr<store::writer> writer;
  /// Persistent sessions, durable QoS 1/2 queues and retained messages
  /// (`<data-dir>/sessions`); null when persistence is off.
  std::unique_ptr<store::session_store> durable;
  /// Bumped after a thing model or check mode changes in this process:
  /// the thing handler reads its models again (actors/thing_handler.hpp).
  std::atomic<std::uint64_t> thing_models{0};
  /// Restored sessions whose subscriptions are not in the router yet; the
  /// listeners start only when this reaches 0.
  std::atomic<std::size_t> restoring{0};
  /// Where devices download the broker's files (configuration files):
  /// `--public-url`, else the admin listener's own address; empty without
  /// an admin listener. Set with `files_key` (a random link-signing key that
  /// lives in memory only) before the listeners start; never changed after.
  std::string files_base;
  std::string files_key;
  /// More `/metrics` text (the rules engine's per-rule and per-action
  /// counters); set before the admin listener starts. Any thread.
  std::function<std::string()> metrics_extra;
  /// The `/metrics` text: the counters, the scrape-time gauges (router,
  /// retained, session store) and `metrics_extra`. What `/metrics` answers
  /// and what the live WebSocket's metrics frames carry. Any thread.
  [[nodiscard]] std::string prometheus_text() const;

  /// Appends to a device's log through the writer (no-op without one).
  /// Never pass a secret in `text`. Any thread.
  void device_log(const std::string& pk, const std::string& dn, store::log_kind kind,
                  std::string text, std::string ip) const;
  /// Records an online/offline transition of a device and its log line in
  /// one writer job (no-op without a writer). Any thread.
  void device_state(const std::string& pk, const std::string& dn, bool online, std::string ip,
                    store::log_kind kind, std::string text) const;
};

using context_ptr = std::shared_ptr<broker_context>;

}  // namespace iotb::actors
