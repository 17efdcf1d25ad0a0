#include "actors/session_manager.hpp"

#include <caf/actor_cast.hpp>

#include "actors/connect_gate.hpp"
#include "actors/session_actor.hpp"
#include "broker/log/log.hpp"
#include "broker/util/clock.hpp"

namespace iotb::actors {

namespace {

constexpr auto poll_interval = std::chrono::milliseconds{200};

std::string ip_of(const std::string& peer) {
  auto colon = peer.rfind(':');
  auto ip = colon == std::string::npos ? peer : peer.substr(0, colon);
  if (ip.size() > 2 && ip.front() == '[' && ip.back() == ']')
    ip = ip.substr(1, ip.size() - 2);
  return ip;
}

std::string device_session(const std::string& pk, const std::string& dn) {
  std::string name(1, '\0');
  name += 'd';
  name += pk;
  name += '/';
  name += dn;
  return name;
}

}  // namespace

session_manager::session_manager(caf::actor_config& cfg, context_ptr ctx,
                                 std::vector<store::session_record> restored,
                                 std::uint64_t max_store_id)
    : manager_actor::base(cfg),
      ctx_(std::move(ctx)),
      restored_(std::move(restored)),
      device_connects_(ctx_->cfg.device_connect_rate, std::chrono::minutes{1},
                       ctx_->cfg.device_connect_rate, 100'000),
      next_key_(max_store_id + 1) {}

void session_manager::spawn_session(entry& e, const std::string& client_id, const std::string& name,
                                    std::uint64_t key) {
  e.actor = spawn<session_actor_impl>(ctx_, client_id, name, key);
  e.key = key;
  count_sessions();
}

void session_manager::count_sessions() {
  ctx_->metrics.sessions.set(static_cast<std::int64_t>(sessions_.size()));
}

manager_actor::behavior_type session_manager::make_behavior() {
  for (auto& r : restored_) {
    auto& e = sessions_[r.name];
    spawn_session(e, r.client_id, r.name, r.store_id);
    send(e.actor, restore_msg{std::make_shared<const store::session_record>(std::move(r))});
  }
  restored_.clear();
  restored_.shrink_to_fit();
  if (ctx_->registry) {
    if (auto t = ctx_->registry->read())
      change_seq_ = store::last_change(*t);
    delayed_send(caf::actor_cast<manager_actor>(this), poll_interval, poll_atom::value);
  }
  return {
      [this](const connect_msg& c) { on_connect(c.req); },
      [this](const detach_msg& d) {
        auto it = sessions_.find(d.name);
        if (it == sessions_.end() || it->second.epoch != d.epoch ||
            caf::actor_cast<caf::strong_actor_ptr>(it->second.actor) != current_sender())
          return;  // a newer connection was attached meanwhile
        send(it->second.actor, terminate_atom::value);
        sessions_.erase(it);
        count_sessions();
      },
      [this](const ended_msg& e) {
        auto it = sessions_.find(e.name);
        if (it == sessions_.end() || it->second.key != e.key)
          return;  // detached before (the usual end), or a new actor has the name
        IOTB_LOG(warn, "session") << "session actor ended unexpectedly (session key " << e.key
                                  << ")";
        sessions_.erase(it);
        count_sessions();
      },
      [this](poll_atom) {
        if (shutting_down_)
          return;
        poll_changes();
        delayed_send(caf::actor_cast<manager_actor>(this), poll_interval, poll_atom::value);
      },
      [this](shutdown_atom) {
        shutting_down_ = true;
        for (auto& [id, e] : sessions_)
          send(e.actor, shutdown_atom::value);
        sessions_.clear();
        quit();
      },
  };
}

void session_manager::on_connect(const connect_request_ptr& req) {
  auto& c = req->connect;
  const auto& who = req->who;
  if (shutting_down_)
    return refuse_connect(req->transport, c, mqtt::reason::server_unavailable,
                          "server shutting down");
  if (who.is_device() && ctx_->cfg.device_connect_rate != 0) {
    auto key = who.product_key + "/" + who.device_name;
    if (!device_connects_.try_take(key, clock::now())) {
      ctx_->metrics.throttle(metrics::throttle_kind::connect);
      auto why = "more than " + std::to_string(ctx_->cfg.device_connect_rate) +
                 " CONNECTs per minute for this device";
      ctx_->device_log(who.product_key, who.device_name, store::log_kind::throttled,
                       "connect refused: " + why, ip_of(req->transport->peer()));
      return refuse_connect(req->transport, c, mqtt::reason::connection_rate_exceeded, why);
    }
  }
  auto& e = sessions_[req->session_name];
  if (!e.actor)
    spawn_session(e, c.client_id, req->session_name, next_key_++);
  req->epoch = ++e.epoch;
  send(e.actor, attach_msg{req});
}

void session_manager::poll_changes() {
  auto t = ctx_->registry->read();
  if (!t)
    return;
  auto changes = store::changes_since(*t, change_seq_, 1000);
  if (!changes || changes->empty())
    return;
  for (auto& ch : *changes) {
    change_seq_ = ch.seq;
    bool disabled = ch.kind == store::change_kind::device_disabled;
    if (!disabled && ch.kind != store::change_kind::device_deleted)
      continue;
    // The device's session, and those of its registration-free clients.
    auto base = device_session(ch.product_key, ch.device_name);
    for (auto it = sessions_.lower_bound(base);
         it != sessions_.end() && it->first.starts_with(base); ++it) {
      const auto& name = it->first;
      if (name.size() != base.size() && name[base.size()] != '\0')
        continue;  // another device whose name starts with this one's
      IOTB_LOG(info, "session") << "device " << ch.product_key << "/" << ch.device_name
                                << (disabled ? " disabled" : " deleted") << ": closing its session";
      send(it->second.actor, kick_msg{mqtt::reason::administrative_action,
                                      disabled ? "device disabled" : "device deleted"});
    }
  }
}

}  // namespace iotb::actors
