#include "actors/session_manager.hpp"

#include <caf/actor_cast.hpp>

#include "actors/connection.hpp"
#include "broker/log/log.hpp"
#include "broker/tls/random.hpp"

namespace iotb::actors {

session_manager::session_manager(caf::actor_config& cfg, context_ptr ctx)
    : caf::event_based_actor(cfg), ctx_(std::move(ctx)) {}

caf::behavior session_manager::make_behavior() {
  set_down_handler([this](caf::down_msg& dm) {
    for (auto it = sessions_.begin(); it != sessions_.end(); ++it) {
      if (it->second.actor.address() == dm.source) {
        IOTB_LOG(warn, "session") << "client=" << it->first << " session actor ended: "
                                  << to_string(dm.reason);
        sessions_.erase(it);
        return;
      }
    }
  });
  return {
      [this](connect_atom, const connect_request_ptr& req) { on_connect(req); },
      [this](detach_atom, const std::string& client_id, std::uint64_t epoch) {
        auto it = sessions_.find(client_id);
        if (it == sessions_.end() || it->second.epoch != epoch ||
            caf::actor_cast<caf::strong_actor_ptr>(it->second.actor) != current_sender())
          return;  // a newer connection was attached meanwhile
        demonitor(it->second.actor);
        send(it->second.actor, terminate_atom::value);
        sessions_.erase(it);
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

void session_manager::refuse(const connect_request_ptr& req, mqtt::reason r, const char* why) {
  IOTB_LOG(info, "session") << "peer=" << req->transport->peer() << " client='"
                            << req->connect.client_id << "' refused (" << mqtt::to_string(r)
                            << "): " << why;
  std::vector<std::uint8_t> out;
  mqtt::encode(mqtt::connack{false, r, {}}, req->connect.ver, out);
  req->transport->reject(std::move(out));
}

void session_manager::on_connect(const connect_request_ptr& req) {
  auto& c = req->connect;
  const auto& cfg = ctx_->cfg;
  if (shutting_down_)
    return refuse(req, mqtt::reason::server_unavailable, "server shutting down");
  if (c.props.authentication_method)
    return refuse(req, mqtt::reason::bad_authentication_method,
                  "enhanced authentication is not supported");
  auto res = ctx_->authn->authenticate(
      {c, req->transport->peer(), req->transport->settings().anonymous_allowed});
  if (res.code != mqtt::reason::success)
    return refuse(req, res.code, res.why);
  bool assigned = false;
  if (c.client_id.empty()) {
    if (c.ver == mqtt::version::v31 || (c.ver == mqtt::version::v311 && !c.clean_start))
      return refuse(req, mqtt::reason::client_identifier_not_valid,
                    "an empty client id needs a clean session");
    c.client_id = "auto-" + tls::random_hex(12);
    assigned = true;
  }
  if (c.client_id.size() > cfg.max_client_id_length)
    return refuse(req, mqtt::reason::client_identifier_not_valid, "client id too long");
  auto& e = sessions_[c.client_id];
  if (!e.actor) {
    e.actor = spawn<connection>(ctx_, c.client_id, next_key_++);
    monitor(e.actor);
  }
  ++e.epoch;
  auto attach = std::make_shared<attach_request>();
  attach->transport = req->transport;
  attach->connect = std::move(c);
  attach->who = std::move(res.who);
  attach->epoch = e.epoch;
  attach->assigned_id = assigned;
  send(e.actor, attach_atom::value, std::move(attach));
}

}  // namespace iotb::actors
