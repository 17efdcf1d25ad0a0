// The session actor's device side: what the broker does when a device
// (or a dynamic-registration client) connects and disconnects, and the
// broker's own answers to devices (SPEC §2.2, §3).

#include "actors/session_actor.hpp"

#include "broker/acl/device_acl.hpp"
#include "broker/core/device_topics.hpp"
#include "broker/log/log.hpp"
#include "broker/util/clock.hpp"

namespace iotb::actors {

namespace {

constexpr auto registration_window = std::chrono::seconds{15};

const char* version_text(mqtt::version v) {
  return v == mqtt::version::v5 ? "5.0" : v == mqtt::version::v31 ? "3.1" : "3.1.1";
}

}  // namespace

void session_actor_impl::on_device_online(bool took_over) {
  const auto& who = session_.who();
  auto now = clock::wall_ms();
  if (who.who == auth::identity::kind::registration) {
    // Answer on /ext/register (or /ext/regnwl) without a SUBSCRIBE, then
    // give the device 15 s to close the connection itself.
    session_.on_deliver(make_message(who.register_topic, who.register_payload,
                                     mqtt::qos::at_most_once, false, ctx_->ids.next(), 0),
                        mqtt::qos::at_most_once, false, 0);
    ctx_->device_log(who.product_key, who.device_name, store::log_kind::registered,
                     "dynamic registration answered on " + who.register_topic, ip_);
    delayed_send(self(), registration_window, timer_msg{timer_kind::registration_window, gen_});
    return;
  }
  std::string text = "connected: client=" + session_.client_id() +
                     " mqtt=" + version_text(session_.version()) +
                     " keepalive=" + std::to_string(session_.keep_alive()) +
                     (transport_->settings().secure ? " tls" : " tcp");
  if (who.auto_subscribe)
    for (auto& f : acl::auto_subscriptions(who.product_key, who.device_name))
      session_.subscribe_system(f, mqtt::qos::at_least_once);
  // Online state and log line in one writer job (a takeover: the same state).
  ctx_->device_state(who.product_key, who.device_name, true, ip_, store::log_kind::connect,
                     std::move(text));
  if (took_over)
    return;  // still online: no status transition
  publish_system(core::status_topic(who.product_key, who.device_name),
                 core::status_payload(true, who.product_key, who.device_name, now,
                                      online_since_ms_ ? online_since_ms_ : now, ip_),
                 mqtt::qos::at_least_once);
  online_since_ms_ = now;
}

void session_actor_impl::on_device_offline(const char* why) {
  const auto& who = session_.who();
  auto now = clock::wall_ms();
  ctx_->device_state(who.product_key, who.device_name, false, ip_, store::log_kind::disconnect,
                     std::string("disconnected: ") + why);
  publish_system(core::status_topic(who.product_key, who.device_name),
                 core::status_payload(false, who.product_key, who.device_name, now,
                                      online_since_ms_ ? online_since_ms_ : now, ip_),
                 mqtt::qos::at_least_once);
}

void session_actor_impl::publish_system(std::string topic, std::string payload, mqtt::qos q) {
  // Origin 0: the broker, not this session (no-local does not apply).
  route(make_message(std::move(topic), std::move(payload), q, false, ctx_->ids.next(), 0), 0);
}

void session_actor_impl::on_kick(mqtt::reason r, const std::string& why) {
  if (transport_) {
    session_.send_disconnect(r, why.c_str());
    end_connection(why.c_str());
  }
  // A disabled or deleted device keeps no session.
  end_session();
}

}  // namespace iotb::actors
