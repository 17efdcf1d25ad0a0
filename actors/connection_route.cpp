// The connection actor's routing side: a message published by its client
// (or the broker on its behalf) to the matching subscriptions — overlapping
// subscriptions of one client grouped into one delivery, durable
// subscribers through the store — and the router entries of its own
// subscriptions.

#include <unordered_map>

#include <caf/actor_cast.hpp>
#include <caf/send.hpp>

#include "actors/connection.hpp"
#include "broker/acl/device_acl.hpp"

namespace iotb::actors {

namespace {

/// One session's matches, gathered when it has overlapping subscriptions.
struct grouped_match {
  std::uint64_t session;
  caf::actor target;
  std::uint64_t store_id;
  mqtt::qos q;
  bool retain;
  sub_id_list sub_ids;
};

}  // namespace

session_env::routed connection::route(const message_ptr& m, std::uint64_t cookie) {
  auto* durable = ctx_->durable.get();
  if (m->retain) {
    if (m->payload.empty())
      ctx_->retained.erase(m->topic);
    else
      ctx_->retained.set(m->topic, m);
    if (durable && m->q == mqtt::qos::at_most_once)
      durable->set_retained(m);
  }
  routed r;
  auto self_key = session_.key();
  if (session_.who().is_device() && m->origin == self_key)
    answer_device(m);
  // Persistent subscribers get QoS 1/2 through their durable queue: the
  // message is committed first, then delivered with its entry's seq.
  std::vector<store::target> targets;
  std::vector<caf::actor> target_actors;
  auto deliver = [&](std::uint64_t session, const caf::actor& target, std::uint64_t sid,
                     mqtt::qos q, bool retain, const sub_id_list& ids) {
    if (durable && q != mqtt::qos::at_most_once && sid != 0) {
      targets.push_back(store::target{sid, q, retain, ids});
      target_actors.push_back(target);
      return;
    }
    if (session == self_key)
      session_.on_deliver(m, q, retain, ids);
    else if (ids.size() <= 1)
      caf::anon_send(target, deliver_atom::value, m, static_cast<std::uint8_t>(q), retain,
                     ids.front(), std::uint64_t{0});
    else
      caf::anon_send(target, deliver_atom::value, m, static_cast<std::uint8_t>(q), retain,
                     ids.to_vector(), std::uint64_t{0});
  };
  // Sessions with more than one subscription may match several times;
  // with `overlapping-subscriptions = single` their matches are gathered
  // and sent as one copy once the match is done (outside the read lock).
  // A session with one subscription, the common case, is sent at once.
  const bool single = ctx_->cfg.overlapping_single;
  std::vector<grouped_match> groups;
  std::unordered_map<std::uint64_t, std::size_t> index;  // session → groups slot
  std::optional<bool> device_topic;  // computed once, if a confined subscriber matches
  ctx_->subs.match(m->topic, [&](const sub_entry& e) {
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
  bool retain_update = durable && m->retain && m->q != mqtt::qos::at_most_once;
  if (targets.empty() && !retain_update)
    return r;
  r.deferred = cookie != 0;
  auto self = cookie != 0 ? caf::actor_cast<caf::actor>(this) : caf::actor{};
  durable->enqueue(
      m, std::move(targets), retain_update,
      [m, self, cookie, actors = std::move(target_actors)](
          bool ok, const std::vector<store::target>& tg, const std::vector<std::uint64_t>& seqs) {
        for (std::size_t i = 0; i < seqs.size(); ++i) {
          if (tg[i].sub_id.size() <= 1)
            caf::anon_send(actors[i], deliver_atom::value, m, static_cast<std::uint8_t>(tg[i].q),
                           tg[i].retain, tg[i].sub_id.front(), seqs[i]);
          else
            caf::anon_send(actors[i], deliver_atom::value, m, static_cast<std::uint8_t>(tg[i].q),
                           tg[i].retain, tg[i].sub_id.to_vector(), seqs[i]);
        }
        if (self)
          caf::anon_send(self, stored_atom::value, cookie, ok);
      });
  return r;
}

bool connection::subscribe(const std::string& filter, const mqtt::subscribe_options& opts,
                           std::uint32_t sub_id) {
  bool shared = filter.starts_with("$share/");
  // Counted before the insert, so that no publisher sees two entries of
  // this session while the count still says one.
  if (!shared)
    flags_->subscriptions.fetch_add(1, std::memory_order_relaxed);
  sub_entry e{caf::actor_cast<caf::actor>(this),
              session_.key(),
              opts,
              sub_id,
              flags_,
              session_.who().who == auth::identity::kind::anonymous,
              shared};
  if (const auto& rules = session_.who().file_rules) {
    std::string_view f = filter;
    if (shared)
      f = f.substr(std::min(f.size(), f.find('/', 7) + 1));  // the filter of $share/<group>/
    if (rules->can_subscribe(f) != acl::sub_verdict::allow)
      e.read_check = rules;  // partly granted: check each delivery
  }
  bool added = ctx_->subs.insert(filter, std::move(e));
  if (!shared && !added)
    flags_->subscriptions.fetch_sub(1, std::memory_order_relaxed);  // replaced an existing one
  return added;
}

bool connection::unsubscribe(const std::string& filter) {
  bool found = ctx_->subs.erase(filter, session_.key());
  if (found && !filter.starts_with("$share/"))
    flags_->subscriptions.fetch_sub(1, std::memory_order_relaxed);
  return found;
}

void connection::retained(const std::string& filter,
                          const std::function<void(const message_ptr&)>& f) {
  const auto& rules = session_.who().file_rules;
  bool confined = session_.who().who == auth::identity::kind::anonymous;
  if (!confined && !rules)
    return ctx_->retained.match(filter, f);
  ctx_->retained.match(filter, [&](const message_ptr& m) {
    if ((!confined || !acl::is_device_namespace(m->topic)) && (!rules || rules->can_read(m->topic)))
      f(m);
  });
}

}  // namespace iotb::actors
