#pragma once
/// @file
/// The book of pending server → device calls (RRPC, property set, service
/// invoke; SPEC §4, §8): the logic of the device-calls actor
/// (actors/device_calls) without the actor, behind a `call_env`, so that it
/// is tested without CAF, a router or a clock (call_book.test.cpp).
///
/// A call gets a message id (the broker's 64-bit message id, in decimal: the
/// RRPC messageId, the Alink `id`, the MQTT message's id), is published to
/// the device's topic and completes exactly once through its `call_done`:
/// with the device's answer, TIMEOUT when `arm`'s timer fires first,
/// OFFLINE at once when the device has no online session, UNKNOWN when
/// something else goes wrong (the result says what). An async service
/// completes at once with `sent`; its reply, when it comes within the
/// reply window, is written to the device log.
///
/// Answers are accepted only when they name the called device (topic) and
/// were published by one of that device's own sessions (message origin):
/// the ACL lets applications publish on their products' device topics too.
/// Anything else is dropped, counted (`answer_dropped`) and, when it came
/// from a device, written to that device's log.
///
/// Thread-safety: none; one owner (the actor) calls everything.

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "broker/core/message.hpp"
#include "broker/thing/calls.hpp"

namespace iotb::actors {

using thing::call_kind;
using thing::call_status;

/// How a call ended, for its caller.
struct call_result {
  call_status status = call_status::unknown;
  std::uint64_t message_id = 0;              ///< 0 when the call was refused before it got one
  std::string payload;                       ///< RRPC success: the device's answer, as sent
  std::optional<thing::alink_answer> reply;  ///< property set / service success
  std::string why;                           ///< unknown: what went wrong
};

/// Completes a call; called exactly once, on the calling actor's thread
/// (the admin API's `api_call::reply` may be called from any thread).
using call_done = std::function<void(call_result)>;

/// One call, as the admin API asks for it.
struct call_request {
  call_kind kind = call_kind::rrpc;
  std::string product_key;
  std::string device_name;
  /// RRPC: the request payload (opaque bytes). Property set and service:
  /// the `params` object as compact JSON.
  std::string payload;
  std::string service_id;  ///< service: the TSL identifier
  /// RRPC: a topic of the device's own to carry the request in the extended
  /// form (`/ext/rrpc/${messageId}<topic>`); empty: the device's form.
  std::string topic;
  /// Service: the caller's override of the thing model's callType.
  std::optional<bool> sync;
  /// How long to wait for the answer (capped by `call_config::max_timeout`;
  /// 0: the cap).
  std::chrono::milliseconds timeout{0};
  call_done done;
};

/// A property set to a device that is offline, for the offline seam.
struct offline_property_set {
  std::string product_key;
  std::string device_name;
  std::string params_json;  ///< the `params` object, compact JSON
  std::uint64_t message_id = 0;
};

/// What the book needs from the broker around it. The two `std::function`
/// seams are filled by the application (empty: the defaults named).
struct call_config {
  /// Cap and default of a call's timeout (SPEC §6: RRPC 8 s).
  std::chrono::milliseconds max_timeout{8000};
  /// How long an async service's reply is waited for (to log it).
  std::chrono::milliseconds async_reply_window{60'000};
  /// Calls in progress beyond which new ones end UNKNOWN at once.
  std::size_t max_pending = 100'000;
  /// A property set to an offline device: the thing store keeps it as a
  /// desired value and completes `done` (`queued`, or an error) when it is
  /// stored, from any thread. Empty: the call ends `offline`.
  std::function<void(const offline_property_set& req, call_done done)> on_offline_property_set;
  /// Whether service `service_id` of product `pk` is sync (`callType` in
  /// the thing model); nullopt when the model does not say (no model, no
  /// such service). Empty or nullopt: async, unless the call says `sync`.
  std::function<std::optional<bool>(const std::string& pk, const std::string& service_id)>
      service_is_sync;
};

/// A device's connected sessions (from the session directory).
struct device_presence {
  std::vector<std::uint64_t> sessions;  ///< session keys; empty: offline
  bool ext_rrpc = false;                ///< a session's client id has `ext=3`
};

/// The broker around the book (the actor implements it; tests fake it).
class call_env {
 public:
  virtual ~call_env() = default;
  /// The device's connected sessions.
  virtual device_presence presence(const std::string& pk, const std::string& dn) = 0;
  /// True when a subscription of one of `sessions` matches `topic`.
  virtual bool subscribed(const std::string& topic, const std::vector<std::uint64_t>& sessions) = 0;
  /// Publishes a request the broker originates (QoS 0; message id `id`;
  /// the book's own origin, so that it can skip its own requests).
  virtual void publish(std::string topic, std::string payload, std::uint64_t id) = 0;
  /// Calls `book.on_timeout(id)` after `after`.
  virtual void arm(std::uint64_t id, std::chrono::milliseconds after) = 0;
  /// Appends a line to the device's log (never a secret).
  virtual void device_log(const std::string& pk, const std::string& dn, std::string text) = 0;
  /// A fresh message id.
  virtual std::uint64_t next_id() = 0;
  /// Metrics: a call ended; an answer was dropped.
  virtual void ended(call_kind k, call_status s) = 0;
  virtual void answer_dropped(thing::answer_drop why) = 0;
};

class call_book {
 public:
  /// `origin`: the message origin of the book's own requests (its
  /// subscriber key), skipped when they come back through its subscriptions.
  call_book(call_env& env, call_config cfg, std::uint64_t origin);
  /// Ends every pending call UNKNOWN ("the broker is shutting down").
  ~call_book();
  call_book(const call_book&) = delete;
  call_book& operator=(const call_book&) = delete;

  /// Starts a call (completes at once when the device is offline or the
  /// request cannot be delivered).
  void start(call_request req);
  /// A message from the book's subscriptions (answers, and the requests
  /// it sent itself, which are skipped).
  void on_message(const message& m);
  /// The timer of call `id` fired.
  void on_timeout(std::uint64_t id);

  /// Calls waiting for an answer (async services included).
  [[nodiscard]] std::size_t pending() const noexcept { return calls_.size(); }

 private:
  struct pending_call {
    call_kind kind = call_kind::rrpc;
    std::string product_key;
    std::string device_name;
    std::string service_id;
    bool over_rrpc = false;  ///< RRPC, or a sync service sent through RRPC
    /// The device's sessions when the call was sent (an answer may arrive
    /// after its session ended: it still counts).
    std::vector<std::uint64_t> sessions;
    std::chrono::milliseconds timeout{0};
    call_done done;  ///< empty once answered (async service)
  };

  void finish(pending_call& p, call_result r);
  void on_rrpc_answer(const message& m, const thing::answer_topic& a);
  void on_reply(const message& m, const thing::answer_topic& a);
  /// The pending call `id` if the answer `a` (origin `origin`) may complete
  /// it; else counts and logs the drop and returns null.
  pending_call* accept(std::uint64_t id, const thing::answer_topic& a, std::uint64_t origin,
                       std::string_view what);
  /// True when `origin` is one of device pk/dn's sessions: `known`, or
  /// one connected now.
  [[nodiscard]] bool from_device(std::string_view pk, std::string_view dn, std::uint64_t origin,
                                 const std::vector<std::uint64_t>& known);

  call_env& env_;
  call_config cfg_;
  std::uint64_t origin_;
  std::unordered_map<std::uint64_t, pending_call> calls_;
};

}  // namespace iotb::actors
