#pragma once
/// @file
/// Dispatch: hands one message to everything that consumes it — the
/// retained store, the matching subscriptions of client sessions (at once,
/// or first through their durable queue) and internal subscribers
/// (broker-side actors such as the NTP responder, which subscribe through
/// the router like any session and receive the same `deliver` message).
/// A new consumer of device traffic is a new subscriber, never a new
/// branch here.
///
/// Thread-safety: may be called from any actor (or thread) at once; it
/// uses only the context's thread-safe parts.

#include "actors/context.hpp"
#include "actors/session.hpp"

namespace iotb::actors {

/// Who publishes a message, for dispatch.
struct publisher {
  /// Session key of the publisher (no-local); 0 for the broker itself.
  std::uint64_t key = 0;
  /// The publisher's client id (the live trace); empty for the broker.
  std::string_view client_id;
  /// The publishing session, served directly (no message to itself) when
  /// one of its own subscriptions matches; null for internal publishers.
  session* local = nullptr;
  /// Told `stored_msg{cookie, ok}` once a message that needs the store
  /// (durable subscribers, a retained QoS 1/2 message) is committed; when
  /// `cookie` is 0 nobody waits.
  store_ack_actor ack_to;
  std::uint64_t cookie = 0;
  /// For publishers that are not actors (the admin API): called with the
  /// store's verdict, on the store's writer thread, when the message
  /// needed the store; never called otherwise. Must not block.
  std::function<void(bool ok)> stored;
};

/// Dispatches `m`. @returns how many subscriptions it reached and whether
/// the publisher's acknowledgement waits for the store.
session_env::routed dispatch(broker_context& ctx, const message_ptr& m, const publisher& from);

/// Session keys of internal subscribers have the top bit set, so they never
/// meet a client session's key.
inline constexpr std::uint64_t internal_key_base = std::uint64_t{1} << 63;

/// Subscribes the internal subscriber `target` (key `key`, at least
/// `internal_key_base`) to `filter`; it receives a `deliver_msg` for every
/// match — except messages it published itself with `key` as their origin
/// (the subscription is no-local). With `direct`, matches are offered to
/// it by a direct call (context.hpp `direct_subscriber`) instead of a
/// `deliver_msg` to `target`.
/// @returns false when `filter` is not a valid topic filter.
bool subscribe_internal(broker_context& ctx, const subscriber_actor& target, std::uint64_t key,
                        const std::string& filter, mqtt::qos max_qos,
                        direct_subscriber* direct = nullptr);

}  // namespace iotb::actors
