#pragma once
/// @file
/// The MQTT session state machine of one client id: everything MQTT 3.1,
/// 3.1.1 and 5.0 say about a session, with no actor or socket in it. The
/// connection actor feeds it packets and deliveries; it answers through
/// `session_env` (queue bytes, route a message, change subscriptions).
/// Unit-tested with a fake environment (session.test.cpp).
///
/// Thread-safety: none; owned by one actor.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "broker/auth/authenticator.hpp"
#include "broker/config/config.hpp"
#include "broker/core/message.hpp"
#include "broker/metrics/broker_metrics.hpp"
#include "broker/mqtt/codec.hpp"
#include "broker/net/out_queue.hpp"
#include "broker/store/session_store.hpp"
#include "broker/util/ring.hpp"

namespace iotb::actors {

/// What the session needs from the world around it.
class session_env {
 public:
  virtual ~session_env() = default;
  /// Bytes for the client (flushed by the environment when convenient).
  virtual net::out_queue& out() = 0;
  /// What `route` did.
  struct routed {
    std::size_t reached = 0;  ///< subscriptions the message goes to
    /// The message must first be committed to the store (persistent
    /// subscribers, or a retained QoS 1/2 message): the environment calls
    /// `session::on_stored(cookie, ok)` when it is.
    bool deferred = false;
  };
  /// Delivers `m` to matching subscribers and updates the retained store
  /// when `m->retain`. `cookie` (non-zero for a QoS 1/2 PUBLISH from the
  /// client) identifies the acknowledgement waiting for a deferred store.
  virtual routed route(const message_ptr& m, std::uint64_t cookie) = 0;
  /// Durable queue (persistent sessions with a store): the client
  /// acknowledged entry `seq` of message `message_id`.
  virtual void acked(std::uint64_t seq, std::uint64_t message_id) = 0;
  /// Reads up to `max` stored entries after `after_seq`.
  virtual std::vector<store::queued> page(std::uint64_t after_seq, std::size_t max) = 0;
  /// The queue was emptied (clean start of an existing session).
  virtual void queue_cleared() = 0;
  /// The subscriptions changed (persist the session record).
  virtual void subscriptions_changed() = 0;
  /// Uplink quota (SPEC §6): may the client publish one more message now?
  /// The environment counts and logs a refusal.
  virtual bool uplink_allowed() { return true; }
  /// Adds or replaces a subscription. @returns true when it is new.
  virtual bool subscribe(const std::string& filter, const mqtt::subscribe_options& opts,
                         std::uint32_t sub_id) = 0;
  /// Removes a subscription. @returns true when it existed.
  virtual bool unsubscribe(const std::string& filter) = 0;
  /// Calls `f` for each retained message matching `filter`.
  virtual void retained(const std::string& filter,
                        const std::function<void(const message_ptr&)>& f) = 0;
  /// ACL checks.
  virtual bool can_publish(std::string_view topic) = 0;
  virtual bool can_subscribe(std::string_view filter) = 0;
  /// A fresh broker-unique message id.
  virtual std::uint64_t next_message_id() = 0;
  /// The current time (injectable for tests).
  virtual std::chrono::steady_clock::time_point now() = 0;
  /// Counts a dropped outbound message (metrics, a rate-limited log line).
  virtual void dropped(metrics::drop_reason why) = 0;
  /// A PUBLISH went into the output (metrics).
  virtual void sent_publish() {}
  /// A device hit a subscription limit (`what`) with `filter`.
  virtual void limit_exceeded(const char* what, std::string_view filter) = 0;
};

/// Outcome of handling a packet.
enum class verdict : std::uint8_t {
  keep,   ///< carry on
  close,  ///< close the connection (a DISCONNECT may have been queued)
};

/// The session of one client id.
class session {
 public:
  session(const config& cfg, session_env& env, std::string client_id, std::uint64_t key);

  /// A (re)connection. Queues CONNACK, then any in-flight messages (DUP) and
  /// queued ones. `existed`: a session for this client id was alive.
  void on_connect(const mqtt::connect& c, const auth::identity& who, bool existed,
                  bool assigned_id);

  /// One packet from the client.
  [[nodiscard]] verdict on_packet(mqtt::packet& p);

  /// A message routed to this session through one subscription, or
  /// through several overlapping ones as one copy (`sub_ids` then holds the
  /// identifier of each that has one). `seq`: its entry in the durable
  /// queue (0: not stored).
  void on_deliver(const message_ptr& m, mqtt::qos granted, bool retain, const sub_id_list& sub_ids,
                  std::uint64_t seq = 0);

  /// A deferred store (see `session_env::route`) finished: acknowledge the
  /// PUBLISH (0x97 quota exceeded on MQTT 5 when the store refused; a 3.1.1
  /// client cannot be told, so its connection is closed and it resends).
  [[nodiscard]] verdict on_stored(std::uint64_t cookie, bool ok);

  /// Inbound QoS 1/2 PUBLISHes not yet acknowledged (waiting for the store).
  [[nodiscard]] std::size_t inbound_backlog() const noexcept { return acks_.size(); }

  /// Makes the session durable under `store_id` (0: not durable). A
  /// durable session keeps at most `max_queued_messages` deliveries in
  /// memory; the rest stays in the store and is read back in order.
  /// Changing the id starts a new queue numbering (the store numbers a
  /// queue it does not hold from 1 again): deliveries held in memory stay,
  /// no longer tied to a stored entry, and nothing is assumed on disk.
  void set_store_id(std::uint64_t id) noexcept;
  [[nodiscard]] std::uint64_t store_id() const noexcept { return store_id_; }

  /// Rebuilds a persistent session read from the store after a restart:
  /// identity, expiry, subscriptions (re-entered in the router); its queue
  /// stays on disk until the client connects. Entries up to `r.last_seq`
  /// may have been sent before the restart and go out with DUP set.
  void restore(const store::session_record& r);
  /// The session as the store keeps it (name left empty).
  [[nodiscard]] store::session_record record(std::uint64_t disconnected_ms) const;

  /// The connection ended without a normal DISCONNECT (or with 0x04).
  /// Queues nothing. Afterwards `will_due()` tells whether a will is pending.
  void on_connection_lost();

  /// The output buffer drained: send queued messages the window allows.
  void on_writable() { pump(); }

  /// Queues a server DISCONNECT (MQTT 5 only; nothing for 3.x).
  void send_disconnect(mqtt::reason r, const char* reason_string = nullptr);

  /// Tears down all subscriptions (session end or clean start).
  void clear();

  /// Enters every subscription in the router again (through
  /// `session_env::subscribe`), e.g. when a resumed session's client has
  /// other authorization rules than when it subscribed.
  void reapply_subscriptions();

  /// Subscribes without a SUBSCRIBE packet: the broker's automatic
  /// subscription of a device to its downlink topics (SPEC §3). These do
  /// not count against the device's subscription limit, and are no-local:
  /// the device never gets its own PUBLISH back through them (SPEC §4). A
  /// filter the device subscribed itself keeps the device's options.
  void subscribe_system(const std::string& filter, mqtt::qos max_qos);

  /// The will to publish when the connection was lost, and its delay in
  /// seconds (already capped by the session expiry). Cleared by the call.
  [[nodiscard]] std::optional<std::pair<message_ptr, std::uint32_t>> take_will();

  [[nodiscard]] bool online() const noexcept { return online_; }
  [[nodiscard]] const auth::identity& who() const noexcept { return who_; }
  [[nodiscard]] const std::string& client_id() const noexcept { return client_id_; }
  [[nodiscard]] std::uint64_t key() const noexcept { return key_; }
  [[nodiscard]] mqtt::version version() const noexcept { return ver_; }
  /// Seconds the session outlives its connection (0xFFFFFFFF: forever).
  [[nodiscard]] std::uint32_t expiry() const noexcept { return expiry_; }
  [[nodiscard]] std::uint16_t keep_alive() const noexcept { return keep_alive_; }
  [[nodiscard]] std::size_t inflight() const noexcept { return inflight_.size(); }
  [[nodiscard]] std::size_t queued() const noexcept { return queue_.size(); }
  [[nodiscard]] std::size_t subscriptions() const noexcept { return subs_.size(); }
  /// Why the last `verdict::close` happened (static text, for the log).
  [[nodiscard]] const char* close_reason() const noexcept { return close_reason_; }

 private:
  struct pending {
    message_ptr msg;
    mqtt::qos q;
    bool retain;
    sub_id_list sub_ids;
    std::uint64_t seq = 0;  ///< durable queue entry (0: none)
  };
  /// An inbound QoS 1/2 acknowledgement; sent in the order the PUBLISHes
  /// arrived (MQTT-4.6.0-2), so a ready one waits behind a deferred one.
  struct inbound_ack {
    std::uint64_t cookie;  ///< 0: ready
    mqtt::packet_type type;
    std::uint16_t packet_id;
    mqtt::reason code;
  };
  struct outflight {
    pending p;
    std::uint16_t packet_id;
    bool released = false;  ///< QoS 2: PUBREC received, PUBREL sent
  };
  struct sub_record {
    mqtt::subscribe_options opts;
    std::uint32_t sub_id;
    bool system = false;
  };

  verdict on_publish(mqtt::publish& p);
  verdict on_ack(const mqtt::pub_ack& a);
  verdict on_subscribe(const mqtt::subscribe& s);
  verdict on_unsubscribe(const mqtt::unsubscribe& u);
  verdict on_disconnect(const mqtt::disconnect& d);
  verdict protocol_violation(mqtt::reason r, const char* why);
  void send_ack(mqtt::packet_type t, std::uint16_t id, mqtt::reason r);
  void send_publish(const pending& p, std::uint16_t packet_id, bool dup);
  bool start_delivery(const pending& p);
  void pump();
  /// Reads the next stored entries into the queue (durable, spilled).
  void page_in();
  void pop_queue();
  void send_ready_acks();
  /// Sends an inbound acknowledgement now, or queues it behind deferred ones.
  void ack_in_order(mqtt::packet_type t, std::uint16_t id, mqtt::reason r);
  /// The delivery finished (acknowledged, refused, or dropped).
  void completed(const pending& p);
  std::uint16_t next_packet_id();
  message_ptr make_will() const;

  const config& cfg_;
  session_env& env_;
  std::string client_id_;
  std::uint64_t key_;
  auth::identity who_;
  mqtt::version ver_ = mqtt::version::v311;
  bool online_ = false;
  std::uint32_t expiry_ = 0;
  std::uint16_t keep_alive_ = 0;
  bool problem_info_ = true;  ///< MQTT 5 request problem information

  // Limits announced by the client.
  std::uint16_t client_receive_max_ = 65535;
  std::uint32_t client_max_packet_ = 0;  ///< 0: no limit beyond the protocol's
  std::uint16_t client_alias_max_ = 0;

  std::unique_ptr<mqtt::will> will_;  ///< allocated only when the client has one
  std::unordered_map<std::string, sub_record> subs_;
  std::size_t system_subs_ = 0;  ///< of subs_, made by subscribe_system

  // Outbound QoS 1/2.
  util::ring<outflight> inflight_;
  util::ring<pending> queue_;
  std::size_t queue_bytes_ = 0;  ///< payload bytes in queue_
  std::uint16_t last_packet_id_ = 0;

  // Inbound QoS 2 packet ids awaiting PUBREL.
  std::unordered_set<std::uint16_t> inbound_qos2_;
  // Inbound acknowledgements in arrival order.
  util::ring<inbound_ack> acks_;
  std::size_t puback_backlog_ = 0;  ///< PUBACKs among acks_ (QoS 1 not yet acknowledged)
  std::uint64_t next_cookie_ = 0;

  // Durable queue (store_id_ != 0).
  std::uint64_t store_id_ = 0;
  std::uint64_t mem_upto_ = 0;  ///< highest stored seq held in memory or done
  std::uint64_t dup_upto_ = 0;  ///< entries up to this may have been sent before a restart
  bool spilled_ = false;        ///< stored entries after mem_upto_ are only on disk

  // Topic aliases (per connection).
  std::vector<std::string> alias_in_;
  std::unordered_map<std::string, std::uint16_t> alias_out_;
  std::uint16_t next_alias_out_ = 1;

  const char* close_reason_ = "";
};

}  // namespace iotb::actors
