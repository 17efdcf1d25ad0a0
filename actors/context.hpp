#pragma once
/// @file
/// What every actor of one broker shares: configuration, the subscription
/// router, the retained store, the message-id source, auth and ACL. Created
/// by `main` before the actor system and destroyed after it.
///
/// Concurrency: `subs` and `retained` are internally synchronised (see
/// their headers); `cfg`, `authn` and `authz` are immutable after start;
/// `ids` and the counters are atomic.

#include <atomic>
#include <cstdint>
#include <memory>

#include <caf/actor.hpp>

#include "broker/acl/authorizer.hpp"
#include "broker/auth/authenticator.hpp"
#include "broker/config/config.hpp"
#include "broker/core/message.hpp"
#include "broker/mqtt/packet.hpp"
#include "broker/router/retained.hpp"
#include "broker/router/router.hpp"

namespace iotb::actors {

/// Liveness of a session, shared by its subscription entries (for choosing
/// shared-subscription members that are connected).
struct session_flags {
  std::atomic<bool> online{false};
};

/// One subscription as stored in the router.
struct sub_entry {
  caf::actor target;
  std::uint64_t session = 0;
  mqtt::subscribe_options opts;
  std::uint32_t sub_id = 0;
  std::shared_ptr<const session_flags> flags;

  [[nodiscard]] std::uint64_t key() const noexcept { return session; }
  [[nodiscard]] bool eligible() const noexcept {
    return flags && flags->online.load(std::memory_order_relaxed);
  }
};

/// Broker-wide counters (relaxed atomics; read by metrics).
struct counters {
  std::atomic<std::uint64_t> publish_in{0};
  std::atomic<std::uint64_t> publish_out{0};
  std::atomic<std::uint64_t> dropped_qos0{0};     ///< slow consumer, QoS 0
  std::atomic<std::uint64_t> dropped_queue{0};    ///< queue full
  std::atomic<std::uint64_t> dropped_expired{0};  ///< message expiry
  std::atomic<std::uint64_t> dropped_too_large{0};///< above client's max packet size
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
  counters stats;
  caf::actor manager;  ///< the session manager; set once at start
};

using context_ptr = std::shared_ptr<broker_context>;

}  // namespace iotb::actors
