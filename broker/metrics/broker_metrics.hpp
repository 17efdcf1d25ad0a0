#pragma once
/// @file
/// The broker's metrics: every figure `/metrics` and the live API report,
/// counted where it happens (transport, session, dispatch, store) and
/// summed on scrape. Names and labels are documented in docs/metrics.md;
/// `render_prometheus` is the one place they are spelled.
///
/// Thread-safety: as the primitives (metrics.hpp): any thread.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "broker/metrics/metrics.hpp"
#include "broker/thing/calls.hpp"

namespace iotb::metrics {

/// Why a message was not delivered (the `reason` label of
/// `iotbroker_messages_dropped_total`). Values only grow.
enum class drop_reason : std::uint8_t {
  queue_full,      ///< a session's queue cap (messages or bytes) was reached
  slow_consumer,   ///< QoS 0 to a client whose output buffer is full
  expired,         ///< message expiry or QoS 1 retention passed before delivery
  too_large,       ///< above the receiving client's maximum packet size
  store_full,      ///< the message store refused a QoS 1/2 message
  throttled,       ///< the sender's uplink quota
  not_authorized,  ///< the sender may not publish to the topic
  no_subscribers,  ///< nobody subscribed to the topic
};
inline constexpr std::size_t drop_reasons = 8;
[[nodiscard]] std::string_view to_string(drop_reason r) noexcept;

/// What `throttled_total`'s `what` label names.
enum class throttle_kind : std::uint8_t { uplink, connect, downlink };
inline constexpr std::size_t throttle_kinds = 3;
[[nodiscard]] std::string_view to_string(throttle_kind k) noexcept;

/// The listeners (the `listener` label).
enum class listener_id : std::uint8_t { mqtt, mqtts, ws, wss };
inline constexpr std::size_t listener_ids = 4;
[[nodiscard]] std::string_view to_string(listener_id l) noexcept;

/// Per listener.
struct listener_metrics {
  gauge connections;       ///< open connections
  counter accepted;        ///< connections accepted
  counter bytes_received;  ///< bytes read from sockets
  counter bytes_sent;      ///< bytes written to sockets
};

/// Gauges read from their owners at scrape time.
struct scrape_gauges {
  std::int64_t subscriptions = 0;  ///< router entries (sessions and internal subscribers)
  std::int64_t retained = 0;       ///< retained messages
  /// The session store (durable sessions, QoS 1 queues, retained): bytes in
  /// use and the most its map may grow to; negative: no store (persistence
  /// off), not rendered.
  std::int64_t store_used_bytes = -1;
  std::int64_t store_max_bytes = -1;
};

struct broker_metrics {
  counter messages_sent;       ///< PUBLISH packets to clients
  counter messages_delivered;  ///< messages handed to a matching subscription
  std::array<counter, drop_reasons> dropped;
  std::array<counter, 16> packets_received;  ///< by MQTT packet type (index = type)
  counter auth_failures;                     ///< refused CONNECTs (authentication)
  counter acl_denials;                       ///< refused PUBLISH/SUBSCRIBE topics
  std::array<counter, throttle_kinds> throttled;
  counter thing_requests;   ///< device Alink requests answered by the thing handler
  counter thing_refused;    ///< of those, refused (a non-200 code)
  counter thing_tagged;     ///< of those, accepted with weak-mode findings
  counter shadow_requests;  ///< device shadow requests (`/shadow/update/…`) and API reads/writes
  counter shadow_refused;   ///< of those, answered with an error code
  counter shadow_controls;  ///< `control` messages pushed to devices
  gauge shadow_actors;      ///< device shadow actors alive (idle ones stop)
  gauge sessions;           ///< session actors (connected, or persistent and offline)
  counter store_commits;    ///< group commits of the session store
  histogram store_commit_seconds{commit_bounds};
  std::array<listener_metrics, listener_ids> listeners;
  /// Server → device calls (actors/device_calls), by kind and result.
  std::array<std::array<counter, thing::call_statuses>, thing::call_kinds> calls;
  /// Device answers that completed no call, by why.
  std::array<counter, thing::answer_drops> call_answers_dropped;

  void drop(drop_reason r, std::uint64_t n = 1) noexcept {
    dropped[static_cast<std::size_t>(r)].inc(n);
  }
  void throttle(throttle_kind k) noexcept { throttled[static_cast<std::size_t>(k)].inc(); }
  void call_ended(thing::call_kind k, thing::call_status s) noexcept {
    calls[static_cast<std::size_t>(k)][static_cast<std::size_t>(s)].inc();
  }
  void call_answer_dropped(thing::answer_drop d) noexcept {
    call_answers_dropped[static_cast<std::size_t>(d)].inc();
  }
  [[nodiscard]] listener_metrics& listener(listener_id l) noexcept {
    return listeners[static_cast<std::size_t>(l)];
  }

  static constexpr double commit_bounds[] = {0.0005, 0.001, 0.002, 0.005, 0.01,
                                             0.02,   0.05,  0.1,   0.5,   1.0};
};

/// The Prometheus text exposition of `m` and `g` (names prefixed
/// `iotbroker_`, modelled on EMQX's).
[[nodiscard]] std::string render_prometheus(const broker_metrics& m, const scrape_gauges& g);

}  // namespace iotb::metrics
