#include "actors/session_manager.hpp"

#include <caf/actor_cast.hpp>

#include "actors/connect_gate.hpp"
#include "actors/connection.hpp"
#include "broker/log/log.hpp"

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
    : caf::event_based_actor(cfg),
      ctx_(std::move(ctx)),
      restored_(std::move(restored)),
      device_connects_(ctx_->cfg.device_connect_rate, std::chrono::minutes{1},
                       ctx_->cfg.device_connect_rate, 100'000),
      next_key_(max_store_id + 1) {}

caf::behavior session_manager::make_behavior() {
  set_down_handler([this](caf::down_msg& dm) {
    for (auto it = sessions_.begin(); it != sessions_.end(); ++it) {
      if (it->second.actor.address() == dm.source) {
        IOTB_LOG(warn, "session") << "session actor ended: " << to_string(dm.reason);
        sessions_.erase(it);
        ctx_->metrics.sessions.set(static_cast<std::int64_t>(sessions_.size()));
        return;
      }
    }
  });
  for (auto& r : restored_) {
    auto& e = sessions_[r.name];
    e.actor = spawn<connection>(ctx_, r.client_id, r.name, r.store_id);
    ctx_->metrics.sessions.set(static_cast<std::int64_t>(sessions_.size()));
    monitor(e.actor);
    send(e.actor, restore_atom::value, std::make_shared<const store::session_record>(std::move(r)));
  }
  restored_.clear();
  restored_.shrink_to_fit();
  if (ctx_->registry) {
    if (auto t = ctx_->registry->read())
      change_seq_ = store::last_change(*t);
    delayed_send(this, poll_interval, poll_atom::value);
  }
  return {
      [this](connect_atom, const connect_request_ptr& req) { on_connect(req); },
      [this](detach_atom, const std::string& name, std::uint64_t epoch) {
        auto it = sessions_.find(name);
        if (it == sessions_.end() || it->second.epoch != epoch ||
            caf::actor_cast<caf::strong_actor_ptr>(it->second.actor) != current_sender())
          return;  // a newer connection was attached meanwhile
        demonitor(it->second.actor);
        send(it->second.actor, terminate_atom::value);
        sessions_.erase(it);
        ctx_->metrics.sessions.set(static_cast<std::int64_t>(sessions_.size()));
      },
      [this](poll_atom) {
        if (shutting_down_)
          return;
        poll_changes();
        delayed_send(this, poll_interval, poll_atom::value);
      },
      [this](shutdown_atom) {
        shutting_down_ = true;
        for (auto& [id, e] : sessions_) {
          demonitor(e.actor);
          send(e.actor, shutdown_atom::value);
        }
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
    if (!device_connects_.try_take(key, std::chrono::steady_clock::now())) {
      ctx_->metrics.throttle(metrics::throttle_kind::connect);
      auto why = "more than " + std::to_string(ctx_->cfg.device_connect_rate) +
                 " CONNECTs per minute for this device";
      ctx_->device_log(who.product_key, who.device_name, store::log_kind::throttled,
                       "connect refused: " + why, ip_of(req->transport->peer()));
      return refuse_connect(req->transport, c, mqtt::reason::connection_rate_exceeded, why);
    }
  }
  auto& e = sessions_[req->session_name];
  if (!e.actor) {
    e.actor = spawn<connection>(ctx_, c.client_id, req->session_name, next_key_++);
    ctx_->metrics.sessions.set(static_cast<std::int64_t>(sessions_.size()));
    monitor(e.actor);
  }
  req->epoch = ++e.epoch;
  send(e.actor, attach_atom::value, req);
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
    for (auto& [name, e] : sessions_) {
      if (name == base || (name.starts_with(base) && name[base.size()] == '\0')) {
        IOTB_LOG(info, "session") << "device " << ch.product_key << "/" << ch.device_name
                                  << (disabled ? " disabled" : " deleted")
                                  << ": closing its session";
        send(e.actor, kick_atom::value,
             static_cast<std::uint8_t>(mqtt::reason::administrative_action),
             std::string(disabled ? "device disabled" : "device deleted"));
      }
    }
  }
}

}  // namespace iotb::actors
