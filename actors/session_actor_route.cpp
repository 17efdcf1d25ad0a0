// The session actor's routing side: its messages go to dispatch
// (actors/dispatch.cpp), and the router entries of its own subscriptions
// and its view of the retained store are kept here.

#include <caf/actor_cast.hpp>
#include <caf/send.hpp>

#include "actors/dispatch.hpp"
#include "actors/session_actor.hpp"
#include "broker/acl/device_acl.hpp"

namespace iotb::actors {

session_env::routed session_actor_impl::route(const message_ptr& m, std::uint64_t cookie) {
  return dispatch(*ctx_, m,
                  {session_.key(), session_.client_id(), &session_,
                   cookie != 0 ? store_ack_actor{self()} : store_ack_actor{}, cookie});
}

bool session_actor_impl::subscribe(const std::string& filter, const mqtt::subscribe_options& opts,
                                   std::uint32_t sub_id) {
  bool shared = filter.starts_with("$share/");
  // Counted before the insert, so that no publisher sees two entries of
  // this session while the count still says one.
  if (!shared)
    flags_->subscriptions.fetch_add(1, std::memory_order_relaxed);
  sub_entry e{subscriber_actor{self()},
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

bool session_actor_impl::unsubscribe(const std::string& filter) {
  bool found = ctx_->subs.erase(filter, session_.key());
  if (found && !filter.starts_with("$share/"))
    flags_->subscriptions.fetch_sub(1, std::memory_order_relaxed);
  return found;
}

void session_actor_impl::retained(const std::string& filter,
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
