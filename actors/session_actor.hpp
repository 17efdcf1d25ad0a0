#pragma once
/// @file
/// The session actor (interface `session_actor`, messages.hpp): one per
/// session (a client id; one per device). It owns the MQTT session state
/// (`session`) and, while the client is connected, its transport. A
/// persistent session outlives its connections in this same actor
/// (queueing QoS 1/2 for the offline client) until it expires; a takeover
/// attaches the new transport to the same actor, so subscriptions never
/// move.

#include <array>
#include <memory>

#include <caf/typed_event_based_actor.hpp>

#include "actors/context.hpp"
#include "actors/messages.hpp"
#include "actors/session.hpp"
#include "broker/net/out_queue.hpp"
#include "broker/util/clock.hpp"

namespace iotb::actors {

class session_actor_impl : public session_actor::base, private session_env {
 public:
  /// `name` is the session manager's key (see session_manager.hpp);
  /// `client_id` the MQTT client id the session shows.
  session_actor_impl(caf::actor_config& cfg, context_ptr ctx, std::string client_id,
                     std::string name, std::uint64_t key);
  ~session_actor_impl() override;

  behavior_type make_behavior() override;
  void on_exit() override;
  [[nodiscard]] const char* name() const override { return "session"; }

 private:
  // -- session_env ----------------------------------------------------------
  net::out_queue& out() override { return out_; }
  routed route(const message_ptr& m, std::uint64_t cookie) override;
  void acked(std::uint64_t seq, std::uint64_t message_id) override;
  std::vector<store::queued> page(std::uint64_t after_seq, std::size_t max) override;
  void queue_cleared() override;
  void subscriptions_changed() override;
  bool uplink_allowed() override;
  bool subscribe(const std::string& filter, const mqtt::subscribe_options& opts,
                 std::uint32_t sub_id) override;
  bool unsubscribe(const std::string& filter) override;
  void retained(const std::string& filter,
                const std::function<void(const message_ptr&)>& f) override;
  bool can_publish(std::string_view topic) override;
  bool can_subscribe(std::string_view filter) override;
  std::uint64_t next_message_id() override { return ctx_->ids.next(); }
  std::chrono::steady_clock::time_point now() override { return clock::now(); }
  void dropped(metrics::drop_reason why) override;
  void sent_publish() override { ctx_->metrics.messages_sent.inc(); }
  void limit_exceeded(const char* what, std::string_view filter) override;
  /// Logs an ACL denial (and writes the device log).
  void denied(const char* what, std::string_view topic, std::string_view why);

  // -- handlers -------------------------------------------------------------
  void on_attach(const connect_request_ptr& req);
  void on_packets(const packets_msg& p);
  void on_closed(const closed_msg& c);
  void on_timer(const timer_msg& t);
  /// This actor's handle.
  session_actor self() { return caf::actor_cast<session_actor>(this); }
  /// Ends the current connection; `why` goes to the log.
  void end_connection(const char* why);
  /// The session itself ends (expiry 0 at disconnect, or expired).
  void end_session();
  void publish_will(const message_ptr& m);
  /// Device side effects of a connect (status, device log, state,
  /// automatic subscriptions, registration answer).
  void on_device_online(bool took_over);
  void on_device_offline(const char* why);
  /// Writes this session's entry in the session directory (admin API).
  void publish_directory_entry(mqtt::version ver, const std::string& username);
  /// Publishes a message the broker itself originates.
  void publish_system(std::string topic, std::string payload, mqtt::qos q);
  /// Kicked by the session manager (device disabled or deleted).
  void on_kick(mqtt::reason r, const std::string& why);
  /// A persistent session read back from the store at start-up.
  void on_restore(const store::session_record& r);
  /// A deferred QoS 1/2 store finished.
  void on_stored(std::uint64_t cookie, bool ok);
  /// Decides (at attach) whether the session is durable; writes or
  /// removes its record accordingly.
  void update_durability(bool clean_start);
  /// Writes the session record (durable sessions only).
  void persist(std::uint64_t disconnected_ms = 0);
  /// Read back-pressure: batches not yet released to the transport while
  /// too many inbound QoS 1/2 messages wait for the store.
  void release_batches();
  void after_handler();
  void flush();

  context_ptr ctx_;
  session session_;
  std::shared_ptr<session_flags> flags_;
  net::transport_ptr transport_;
  net::out_queue out_;
  std::string peer_;
  std::string name_;         ///< session manager's key
  std::string ip_;           ///< peer address without the port
  std::uint32_t gen_ = 0;    ///< connection generation (ignores stale events)
  std::uint64_t epoch_ = 0;  ///< session manager's attach epoch
  std::uint32_t attaches_ = 0;
  std::uint32_t will_gen_ = 0;    ///< cancels a pending will timer
  std::uint32_t expire_gen_ = 0;  ///< cancels a pending expiry timer
  std::uint64_t online_since_ms_ = 0;
  /// Recent publish verdicts (devices publish to few topics; a check costs
  /// ~0.5 µs, a hit ~20 ns). Cleared on every attach (the identity may change).
  struct acl_cache_entry {
    std::string topic;
    acl::decision verdict;
  };
  /// Allocated at the first publish: an idle connection holds none.
  std::unique_ptr<std::array<acl_cache_entry, 8>> pub_acl_cache_;
  unsigned pub_acl_next_ = 0;
  message_ptr pending_will_;
  unsigned held_batches_ = 0;
  /// Device uplink quota (SPEC §6); the actor lives as long as the
  /// device's session, so the budget carries over reconnects.
  limits::token_bucket uplink_;
  std::uint32_t throttled_ = 0;  ///< since the last device-log line
  std::chrono::steady_clock::time_point throttle_logged_{};
  std::uint64_t drops_ = 0;  ///< dropped since the last log line
  std::chrono::steady_clock::time_point drop_logged_{};
  bool write_blocked_ = false;
  bool ending_ = false;  ///< detach requested
  unsigned deferred_ = 0;
};

}  // namespace iotb::actors
