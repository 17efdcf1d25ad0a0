// The shadow service (actors/shadow_service.hpp): finds or spawns a
// device's shadow actor for each request and stops idle ones.

#include "actors/shadow_service.hpp"

#include <unordered_map>

#include <caf/send.hpp>

#include "actors/device_presence.hpp"
#include "broker/log/log.hpp"
#include "broker/store/thing_store.hpp"
#include "broker/thing/shadow.hpp"

namespace iotb::actors {

namespace {

constexpr std::string_view update_prefix = "/shadow/update/";

/// A device's live shadow actor and how many requests it was sent.
struct live_shadow {
  shadow_actor actor;
  std::uint64_t sent = 0;
};

struct service_state {
  std::unordered_map<std::string, live_shadow> live;  ///< by "pk/dn"
};

/// pk and dn of `/shadow/update/${pk}/${dn}`; nullopt for another shape.
std::optional<std::pair<std::string, std::string>> update_device(std::string_view topic) {
  if (!topic.starts_with(update_prefix))
    return std::nullopt;
  topic.remove_prefix(update_prefix.size());
  auto slash = topic.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 == topic.size() ||
      topic.find('/', slash + 1) != std::string_view::npos)
    return std::nullopt;
  return std::pair{std::string(topic.substr(0, slash)), std::string(topic.substr(slash + 1))};
}

/// True when the stored shadow of pk/dn has desired attributes.
bool desired_pending(broker_context& ctx, const std::string& pk, const std::string& dn) {
  if (!ctx.registry)
    return false;
  auto t = ctx.registry->read();
  if (!t)
    return false;
  auto stored = store::get_shadow(*t, pk, dn);
  if (!stored)
    return false;
  auto doc = thing::parse_shadow_doc(*stored);
  return doc && !doc->desired.empty();
}

}  // namespace

shadow_service_actor::behavior_type shadow_service(shadow_service_actor::pointer self,
                                                   context_ptr ctx) {
  auto me = caf::actor_cast<subscriber_actor>(self);
  subscribe_internal(*ctx, me, shadow_service_key, "/shadow/update/+/+", mqtt::qos::at_least_once);
  subscribe_internal(*ctx, me, shadow_service_key, "/as/mqtt/status/+/+", mqtt::qos::at_most_once);
  auto st = std::make_shared<service_state>();
  // The device actors are not linked (see spawn_shadow_device): stop them
  // when the service ends.
  self->attach_functor([st] {
    for (auto& [key, live] : st->live)
      caf::anon_send_exit(live.actor, caf::exit_reason::user_shutdown);
    st->live.clear();
  });
  // Hands `req` to the device's actor, spawning it when there is none.
  auto route = [self, ctx, st](std::shared_ptr<const shadow_request> req) {
    auto key = req->product_key + "/" + req->device_name;
    auto it = st->live.find(key);
    if (it == st->live.end()) {
      auto actor = spawn_shadow_device(self, ctx, req->product_key, req->device_name);
      it = st->live.emplace(std::move(key), live_shadow{std::move(actor), 0}).first;
    }
    ++it->second.sent;
    self->send(it->second.actor, shadow_msg{std::move(req)});
  };
  return {
      [ctx, st, route](const deliver_msg& d) {
        const auto& m = *d.msg;
        if (auto dev = update_device(m.topic)) {
          auto req = std::make_shared<shadow_request>();
          req->op = shadow_op::device;
          req->product_key = std::move(dev->first);
          req->device_name = std::move(dev->second);
          req->msg = d.msg;
          req->q = d.granted < m.q ? d.granted : m.q;
          route(std::move(req));
          return;
        }
        auto dev = online_device(m);
        if (!dev)
          return;
        // A live actor knows its document; otherwise spawn one only when
        // the stored shadow has something to push.
        if (!st->live.contains(dev->first + "/" + dev->second) &&
            !desired_pending(*ctx, dev->first, dev->second))
          return;
        auto req = std::make_shared<shadow_request>();
        req->op = shadow_op::online;
        req->product_key = std::move(dev->first);
        req->device_name = std::move(dev->second);
        route(std::move(req));
      },
      [route](const shadow_msg& m) { route(m.req); },
      [self, st](shadow_idle_atom, const std::string& key, std::uint64_t handled) {
        auto it = st->live.find(key);
        if (it == st->live.end() || it->second.sent != handled)
          return;  // requests are on their way to it: it stays
        self->send(it->second.actor, shadow_stop_atom::value);
        st->live.erase(it);
      },
  };
}

}  // namespace iotb::actors
