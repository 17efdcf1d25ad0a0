#include "actors/dispatch.hpp"

#include <caf/send.hpp>

#include "actors/messages.hpp"
#include "broker/acl/device_acl.hpp"

namespace iotb::actors {

session_env::routed dispatch(broker_context& ctx, const message_ptr& m, const publisher& from) {
  auto* durable = ctx.durable.get();
  if (m->retain) {
    if (m->payload.empty())
      ctx.retained.erase(m->topic);
    else
      ctx.retained.set(m->topic, m);
    if (durable && m->q == mqtt::qos::at_most_once)
      durable->set_retained(m);
  }
  session_env::routed r;
  // Persistent subscribers get QoS 1/2 through their durable queue: the
  // message is committed first, then delivered with its entry's seq.
  std::vector<store::target> targets;
  std::vector<caf::actor> target_actors;
  std::optional<bool> device_topic;  // computed once, if a confined subscriber matches
  ctx.subs.match(m->topic, [&](const sub_entry& e) {
    if (e.opts.no_local && e.session == m->origin)
      return;
    if (e.confined) {
      if (!device_topic)
        device_topic = acl::is_device_namespace(m->topic);
      if (*device_topic)
        return;
    }
    ++r.reached;
    auto q = std::min(e.opts.max_qos, m->q);
    bool retain = e.opts.retain_as_published && m->retain;
    if (durable && q != mqtt::qos::at_most_once) {
      if (auto sid = e.flags ? e.flags->store_id.load(std::memory_order_relaxed) : 0; sid != 0) {
        targets.push_back(store::target{sid, q, retain, e.sub_id});
        target_actors.push_back(e.target);
        return;
      }
    }
    if (from.local && e.session == from.key)
      from.local->on_deliver(m, q, retain, e.sub_id);
    else
      caf::anon_send(e.target, deliver_atom::value, m, static_cast<std::uint8_t>(q), retain,
                     e.sub_id, std::uint64_t{0});
  });
  if (r.reached != 0)
    ctx.metrics.messages_delivered.inc(r.reached);
  else
    ctx.metrics.drop(metrics::drop_reason::no_subscribers);
  bool retain_update = durable && m->retain && m->q != mqtt::qos::at_most_once;
  if (targets.empty() && !retain_update)
    return r;
  r.deferred = from.cookie != 0 || from.stored;
  auto ack_to = from.cookie != 0 ? from.ack_to : caf::actor{};
  durable->enqueue(
      m, std::move(targets), retain_update,
      [m, ack_to, cookie = from.cookie, stored = from.stored, actors = std::move(target_actors)](
          bool ok, const std::vector<store::target>& tg, const std::vector<std::uint64_t>& seqs) {
        for (std::size_t i = 0; i < seqs.size(); ++i)
          caf::anon_send(actors[i], deliver_atom::value, m, static_cast<std::uint8_t>(tg[i].q),
                         tg[i].retain, tg[i].sub_id, seqs[i]);
        if (ack_to)
          caf::anon_send(ack_to, stored_atom::value, cookie, ok);
        if (stored)
          stored(ok);
      });
  return r;
}

bool subscribe_internal(broker_context& ctx, const caf::actor& target, std::uint64_t key,
                        const std::string& filter, mqtt::qos max_qos) {
  // Always "online", never durable: an internal subscriber lives as long
  // as the broker.
  static const auto always_online = [] {
    auto f = std::make_shared<session_flags>();
    f->online = true;
    return std::shared_ptr<const session_flags>(std::move(f));
  }();
  mqtt::subscribe_options opts;
  opts.max_qos = max_qos;
  if (!mqtt::valid_topic_filter(filter))
    return false;
  ctx.subs.insert(filter, sub_entry{target, key, opts, 0, always_online, false});
  return true;
}

}  // namespace iotb::actors
