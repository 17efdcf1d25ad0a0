#include "actors/call_book.hpp"

#include <algorithm>

namespace iotb::actors {

namespace {

std::string ms_text(std::chrono::milliseconds d) {
  return std::to_string(d.count()) + " ms";
}

bool contains(const std::vector<std::uint64_t>& v, std::uint64_t x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

const char* kind_text(call_kind k) {
  switch (k) {
    case call_kind::rrpc:
      return "RRPC";
    case call_kind::property_set:
      return "property set";
    case call_kind::service:
      return "service";
  }
  return "call";
}

}  // namespace

call_book::call_book(call_env& env, call_config cfg, std::uint64_t origin)
    : env_(env), cfg_(std::move(cfg)), origin_(origin) {}

call_book::~call_book() {
  for (auto& entry : calls_) {
    auto& p = entry.second;
    if (p.done)
      finish(
          p,
          call_result{
              call_status::unknown, entry.first, {}, std::nullopt, "the broker is shutting down"});
  }
}

void call_book::start(call_request req) {
  auto end_now = [&](call_status s, std::uint64_t id, std::string why) {
    env_.ended(req.kind, s);
    req.done(call_result{s, id, {}, std::nullopt, std::move(why)});
  };
  if (calls_.size() >= cfg_.max_pending)
    return end_now(call_status::unknown, 0,
                   "more than " + std::to_string(cfg_.max_pending) + " calls in progress");
  const auto& pk = req.product_key;
  const auto& dn = req.device_name;
  auto presence = env_.presence(pk, dn);
  const auto id = env_.next_id();
  const auto id_text = std::to_string(id);
  if (presence.sessions.empty()) {
    if (req.kind == call_kind::property_set && cfg_.on_offline_property_set)
      return cfg_.on_offline_property_set(offline_property_set{pk, dn, std::move(req.payload), id},
                                          std::move(req.done));
    return end_now(call_status::offline, id, "the device is offline");
  }

  pending_call p;
  p.kind = req.kind;
  p.product_key = pk;
  p.device_name = dn;
  p.service_id = req.service_id;
  p.sessions = presence.sessions;
  std::string topic;
  std::string payload;
  switch (req.kind) {
    case call_kind::rrpc:
      p.over_rrpc = true;
      if (!req.topic.empty() || presence.ext_rrpc) {
        topic = thing::ext_rrpc_topic(
            id_text, req.topic.empty() ? thing::default_rrpc_inner_topic(pk, dn) : req.topic);
      } else {
        topic = thing::rrpc_request_topic(pk, dn, id_text);
      }
      payload = std::move(req.payload);
      break;
    case call_kind::property_set:
      topic = thing::property_set_topic(pk, dn);
      payload = thing::build_call_request(id_text, "thing.service.property.set", req.payload);
      break;
    case call_kind::service: {
      std::optional<bool> sync = req.sync;
      if (!sync && cfg_.service_is_sync)
        sync = cfg_.service_is_sync(pk, req.service_id);
      p.over_rrpc = sync.value_or(false);
      payload = thing::build_call_request(id_text, "thing.service." + req.service_id, req.payload);
      if (!p.over_rrpc)
        topic = thing::service_topic(pk, dn, req.service_id);
      else if (presence.ext_rrpc)
        topic = thing::ext_rrpc_topic(id_text, thing::service_topic(pk, dn, req.service_id));
      else
        topic = thing::rrpc_request_topic(pk, dn, id_text);
      break;
    }
  }
  if (!env_.subscribed(topic, presence.sessions))
    return end_now(call_status::unknown, id,
                   "the device is online but has no subscription matching " + topic);
  const bool async = req.kind == call_kind::service && !p.over_rrpc;
  p.timeout = async                                                        ? cfg_.async_reply_window
              : req.timeout.count() <= 0 || req.timeout > cfg_.max_timeout ? cfg_.max_timeout
                                                                           : req.timeout;
  if (!async)
    p.done = std::move(req.done);
  auto timeout = p.timeout;
  calls_.emplace(id, std::move(p));
  env_.publish(std::move(topic), std::move(payload), id);
  env_.arm(id, timeout);
  if (async) {
    env_.ended(req.kind, call_status::sent);
    req.done(call_result{call_status::sent, id, {}, std::nullopt, {}});
  }
}

void call_book::on_timeout(std::uint64_t id) {
  auto it = calls_.find(id);
  if (it == calls_.end())
    return;  // answered meanwhile
  auto& p = it->second;
  if (p.done) {
    env_.device_log(p.product_key, p.device_name,
                    std::string(kind_text(p.kind)) + " " + std::to_string(id) +
                        ": no answer within " + ms_text(p.timeout) + " (TIMEOUT)");
    finish(
        p,
        call_result{
            call_status::timeout, id, {}, std::nullopt, "no answer within " + ms_text(p.timeout)});
  } else {
    env_.device_log(p.product_key, p.device_name,
                    "service " + p.service_id + " " + std::to_string(id) + ": no reply within " +
                        ms_text(p.timeout));
  }
  calls_.erase(it);
}

void call_book::on_message(const message& m) {
  if (m.origin == origin_)
    return;  // one of the book's own requests
  auto a = thing::parse_answer_topic(m.topic);
  if (!a)
    return;
  if (a->kind == thing::answer_kind::rrpc_response || a->kind == thing::answer_kind::ext_rrpc)
    on_rrpc_answer(m, *a);
  else
    on_reply(m, *a);
}

void call_book::on_rrpc_answer(const message& m, const thing::answer_topic& a) {
  auto id = thing::parse_message_id(a.message_id);
  auto it = id ? calls_.find(*id) : calls_.end();
  if (it == calls_.end() || !it->second.over_rrpc) {
    // Only a device's own answer is reported: an application may run its
    // own extended-form RRPC with a device over MQTT.
    if (from_device(a.product_key, a.device_name, m.origin, {})) {
      env_.answer_dropped(thing::answer_drop::unknown_id);
      env_.device_log(
          std::string(a.product_key), std::string(a.device_name),
          "RRPC answer on " + m.topic + " for an unknown or expired message id: dropped");
    }
    return;
  }
  auto* p = accept(*id, a, m.origin, "RRPC answer");
  if (!p)
    return;
  call_result r{call_status::success, *id, {}, std::nullopt, {}};
  if (p->kind == call_kind::rrpc) {
    r.payload = m.payload;
  } else {  // a sync service: an Alink reply
    auto reply = thing::parse_alink_answer(m.payload);
    if (reply) {
      r.reply = std::move(*reply);
    } else {
      env_.answer_dropped(thing::answer_drop::bad_reply);
      r.status = call_status::unknown;
      r.payload = m.payload;
      r.why = "the device's answer is not an Alink reply: " + reply.error();
    }
  }
  finish(*p, std::move(r));
  calls_.erase(*id);
}

void call_book::on_reply(const message& m, const thing::answer_topic& a) {
  auto reply = thing::parse_alink_answer(m.payload);
  if (!reply) {
    if (from_device(a.product_key, a.device_name, m.origin, {}))
      env_.answer_dropped(thing::answer_drop::bad_reply);
    return;
  }
  auto id = thing::parse_message_id(reply->id);
  auto it = id ? calls_.find(*id) : calls_.end();
  const bool set_reply = a.kind == thing::answer_kind::property_set_reply;
  if (it == calls_.end() || it->second.over_rrpc ||
      (set_reply
           ? it->second.kind != call_kind::property_set
           : it->second.kind != call_kind::service || it->second.service_id != a.service_id)) {
    // A reply to a request sent some other way (an application's publish)
    // or one that expired: counted, not logged (it is ordinary traffic).
    if (from_device(a.product_key, a.device_name, m.origin, {}))
      env_.answer_dropped(thing::answer_drop::unknown_id);
    return;
  }
  auto* p = accept(*id, a, m.origin, set_reply ? "property set reply" : "service reply");
  if (!p)
    return;
  if (p->done) {
    finish(*p, call_result{call_status::success, *id, {}, std::move(*reply), {}});
  } else {  // an async service: answered already; the reply goes to the log
    env_.device_log(p->product_key, p->device_name,
                    "service " + p->service_id + " " + std::to_string(*id) +
                        " replied: code=" + std::to_string(reply->code) +
                        (reply->message.empty() ? std::string{} : " " + reply->message));
  }
  calls_.erase(*id);
}

call_book::pending_call* call_book::accept(std::uint64_t id, const thing::answer_topic& a,
                                           std::uint64_t origin, std::string_view what) {
  auto& p = calls_.at(id);
  const auto id_text = std::to_string(id);
  if (a.product_key != p.product_key || a.device_name != p.device_name) {
    env_.answer_dropped(thing::answer_drop::wrong_device);
    env_.device_log(std::string(a.product_key), std::string(a.device_name),
                    std::string(what) + " for message id " + id_text +
                        ", which was sent to another device: dropped");
    return nullptr;
  }
  if (!from_device(p.product_key, p.device_name, origin, p.sessions)) {
    env_.answer_dropped(thing::answer_drop::wrong_sender);
    env_.device_log(p.product_key, p.device_name,
                    std::string(what) + " for message id " + id_text +
                        " not published by the device itself: dropped");
    return nullptr;
  }
  return &p;
}

bool call_book::from_device(std::string_view pk, std::string_view dn, std::uint64_t origin,
                            const std::vector<std::uint64_t>& known) {
  if (origin == 0)
    return false;  // the broker (admin API publish)
  if (contains(known, origin))
    return true;
  return contains(env_.presence(std::string(pk), std::string(dn)).sessions, origin);
}

void call_book::finish(pending_call& p, call_result r) {
  env_.ended(p.kind, r.status);
  auto done = std::move(p.done);
  p.done = nullptr;
  done(std::move(r));
}

}  // namespace iotb::actors
