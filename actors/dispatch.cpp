#include "actors/dispatch.hpp"

#include <unordered_map>

#include <caf/send.hpp>

#include "actors/messages.hpp"
#include "broker/acl/device_acl.hpp"

namespace iotb::actors {

namespace {

/// One session's matches, gathered when it has overlapping subscriptions.
struct grouped_match {
  std::uint64_t session;
  subscriber_actor target;
  std::uint64_t store_id;
  mqtt::qos q;
  bool retain;
  sub_id_list sub_ids;
};

void send_deliver(const subscriber_actor& target, const message_ptr& m, mqtt::qos q, bool retain,
                  const sub_id_list& ids, std::uint64_t seq) {
  caf::anon_send(target, deliver_msg{m, q, retain, ids, seq});
}

}  // namespace

session_env::routed dispatch(broker_context& ctx, const message_ptr& m, const publisher& from) {
  if (ctx.tracing.load(std::memory_order_relaxed) && ctx.trace_tap)
    ctx.trace_tap(m, from.client_id);
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
  std::vector<subscriber_actor> target_actors;
  auto deliver = [&](std::uint64_t session, const subscriber_actor& target, std::uint64_t sid,
                     mqtt::qos q, bool retain, const sub_id_list& ids) {
    if (durable && q != mqtt::qos::at_most_once && sid != 0) {
      targets.push_back(store::target{sid, q, retain, ids});
      target_actors.push_back(target);
      return;
    }
    if (from.local && session == from.key)
      from.local->on_deliver(m, q, retain, ids);
    else
      send_deliver(target, m, q, retain, ids, 0);
  };
  // Sessions with more than one subscription may match several times;
  // with `overlapping-subscriptions = single` their matches are gathered
  // and sent as one copy once the match is done (outside the read lock).
  // A session with one subscription, the common case, is sent at once.
  const bool single = ctx.cfg.overlapping_single;
  std::vector<grouped_match> groups;
  std::unordered_map<std::uint64_t, std::size_t> index;  // session → groups slot
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
    if (e.read_check && !e.read_check->can_read(m->topic))
      return;
    ++r.reached;
    auto q = std::min(e.opts.max_qos, m->q);
    bool retain = e.opts.retain_as_published && m->retain;
    if (e.direct) {  // internal: never durable, never grouped
      e.direct->offer(m, from.client_id);
      return;
    }
    auto sid = e.flags ? e.flags->store_id.load(std::memory_order_relaxed) : 0;
    if (single && !e.shared && e.flags &&
        e.flags->subscriptions.load(std::memory_order_relaxed) > 1) {
      // A linear search while few sessions are gathered, an index beyond.
      grouped_match* g = nullptr;
      if (groups.size() <= 8) {
        for (auto& x : groups)
          if (x.session == e.session)
            g = &x;
      } else {
        if (index.empty())
          for (std::size_t i = 0; i < groups.size(); ++i)
            index.emplace(groups[i].session, i);
        if (auto it = index.find(e.session); it != index.end())
          g = &groups[it->second];
      }
      if (!g) {
        if (!index.empty())
          index.emplace(e.session, groups.size());
        groups.push_back(grouped_match{e.session, e.target, sid, q, retain, e.sub_id});
        return;
      }
      g->q = std::max(g->q, q);
      g->retain = g->retain || retain;
      g->sub_ids.add(e.sub_id);
      return;
    }
    deliver(e.session, e.target, sid, q, retain, e.sub_id);
  });
  for (auto& g : groups)
    deliver(g.session, g.target, g.store_id, g.q, g.retain, g.sub_ids);
  if (r.reached != 0)
    ctx.metrics.messages_delivered.inc(r.reached);
  else
    ctx.metrics.drop(metrics::drop_reason::no_subscribers);
  bool retain_update = durable && m->retain && m->q != mqtt::qos::at_most_once;
  if (targets.empty() && !retain_update)
    return r;
  r.deferred = from.cookie != 0 || from.stored;
  auto ack_to = from.cookie != 0 ? from.ack_to : store_ack_actor{};
  durable->enqueue(
      m, std::move(targets), retain_update,
      [m, ack_to, cookie = from.cookie, stored = from.stored, actors = std::move(target_actors)](
          bool ok, const std::vector<store::target>& tg, const std::vector<std::uint64_t>& seqs) {
        for (std::size_t i = 0; i < seqs.size(); ++i)
          send_deliver(actors[i], m, tg[i].q, tg[i].retain, tg[i].sub_id, seqs[i]);
        if (ack_to)
          caf::anon_send(ack_to, stored_msg{cookie, ok});
        if (stored)
          stored(ok);
      });
  return r;
}

bool subscribe_internal(broker_context& ctx, const subscriber_actor& target, std::uint64_t key,
                        const std::string& filter, mqtt::qos max_qos, direct_subscriber* direct) {
  // Always "online", never durable: an internal subscriber lives as long
  // as the broker.
  static const auto always_online = [] {
    auto f = std::make_shared<session_flags>();
    f->online = true;
    return std::shared_ptr<const session_flags>(std::move(f));
  }();
  mqtt::subscribe_options opts;
  opts.max_qos = max_qos;
  opts.no_local = true;  // what the subscriber publishes itself never comes back
  if (!mqtt::valid_topic_filter(filter))
    return false;
  sub_entry e;
  e.target = target;
  e.session = key;
  e.opts = opts;
  e.flags = always_online;
  e.direct = direct;
  ctx.subs.insert(filter, std::move(e));
  return true;
}

}  // namespace iotb::actors
