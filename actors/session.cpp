#include "actors/session.hpp"

#include <algorithm>

#include "broker/log/log.hpp"

namespace iotb::actors {

using namespace iotb::mqtt;

namespace {

qos min_qos(qos a, qos b) {
  return a < b ? a : b;
}

bool is_shared(std::string_view filter) {
  return filter.starts_with("$share/");
}

}  // namespace

session::session(const config& cfg, session_env& env, std::string client_id, std::uint64_t key)
    : cfg_(cfg), env_(env), client_id_(std::move(client_id)), key_(key) {}

void session::on_connect(const connect& c, const iotb::auth::identity& who, bool existed,
                         bool assigned_id) {
  bool present = existed && !c.clean_start;
  if (!present) {
    clear();
    if (store_id_ != 0)
      env_.queue_cleared();
  }
  acks_.clear();  // acknowledgements owed to the previous connection are moot
  puback_backlog_ = 0;
  if (!c.client_id.empty())
    client_id_ = c.client_id;  // a device's session may be taken over under another client id
  who_ = who;
  ver_ = c.ver;
  online_ = true;
  close_reason_ = "";
  keep_alive_ = std::min(c.keep_alive, cfg_.max_keep_alive);
  bool keep_alive_cut = keep_alive_ != c.keep_alive;
  bool expiry_cut = false;
  if (ver_ == version::v5) {
    auto requested = c.props.session_expiry_interval.value_or(0);
    expiry_ = std::min(requested, cfg_.max_session_expiry);
    expiry_cut = expiry_ != requested;
    client_receive_max_ = c.props.receive_maximum.value_or(65535);
    client_max_packet_ = c.props.maximum_packet_size.value_or(0);
    client_alias_max_ = c.props.topic_alias_maximum.value_or(0);
    problem_info_ = c.props.request_problem_information.value_or(1) != 0;
  } else {
    expiry_ = c.clean_start ? 0 : cfg_.max_session_expiry;
    client_receive_max_ = 65535;
    client_max_packet_ = 0;
    client_alias_max_ = 0;
    problem_info_ = true;
  }
  will_ = c.will_msg ? std::make_unique<mqtt::will>(*c.will_msg) : nullptr;
  alias_in_.clear();  // sized on first use: most clients never send an alias
  alias_in_.shrink_to_fit();
  alias_out_.clear();
  next_alias_out_ = 1;

  connack ack;
  ack.session_present = present;
  if (ver_ == version::v5) {
    ack.props.receive_maximum = cfg_.receive_maximum;
    ack.props.maximum_packet_size = cfg_.max_packet_size;
    ack.props.topic_alias_maximum = cfg_.topic_alias_maximum;
    ack.props.retain_available = 1;
    ack.props.wildcard_subscription_available = 1;
    ack.props.subscription_identifier_available = 1;
    ack.props.shared_subscription_available = 1;
    if (keep_alive_cut)
      ack.props.server_keep_alive = keep_alive_;
    if (expiry_cut)
      ack.props.session_expiry_interval = expiry_;
    if (assigned_id)
      ack.props.assigned_client_identifier = client_id_;
  }
  env_.out().emit([&](buffer& b) { encode(ack, ver_, b); });

  // Resume: in-flight messages first (DUP), in their original order; then
  // the queue as the window allows.
  for (std::size_t i = 0; i < inflight_.size();) {
    auto before = inflight_.size();
    auto& f = inflight_[i];
    if (f.released)
      send_ack(packet_type::pubrel, f.packet_id, reason::success);
    else
      send_publish(f.p, f.packet_id, true);  // may drop it (too large)
    if (inflight_.size() == before)
      ++i;
  }
  pump();
}

void session::set_store_id(std::uint64_t id) noexcept {
  if (id == store_id_)
    return;
  // The seqs held so far belong to the old queue: acknowledging one later
  // must not delete an entry of the new queue, and the new queue's first
  // seqs must not be taken for ones already seen (mem_upto_).
  for (auto& f : inflight_)
    f.p.seq = 0;
  for (auto& p : queue_)
    p.seq = 0;
  mem_upto_ = 0;
  dup_upto_ = 0;
  spilled_ = false;
  store_id_ = id;
}

void session::restore(const store::session_record& r) {
  ver_ = r.version;
  expiry_ = r.expiry;
  who_ = {};
  who_.who = static_cast<auth::identity::kind>(r.kind);
  who_.product_key = r.product_key;
  who_.device_name = r.device_name;
  store_id_ = r.store_id;
  online_ = false;
  for (auto& x : r.subs) {
    env_.subscribe(x.filter, x.opts, x.sub_id);
    subs_[x.filter] = sub_record{x.opts, x.sub_id, x.system};
    system_subs_ += x.system ? 1 : 0;
  }
  mem_upto_ = 0;
  dup_upto_ = r.last_seq;
  spilled_ = true;  // the whole queue is on disk
}

store::session_record session::record(std::uint64_t disconnected_ms) const {
  store::session_record r;
  r.client_id = client_id_;
  r.store_id = store_id_;
  r.version = ver_;
  r.expiry = expiry_;
  r.disconnected_ms = disconnected_ms;
  r.kind = static_cast<std::uint8_t>(who_.who);
  r.product_key = who_.product_key;
  r.device_name = who_.device_name;
  r.subs.reserve(subs_.size());
  for (auto& [filter, rec] : subs_)
    r.subs.push_back({filter, rec.opts, rec.sub_id, rec.system});
  return r;
}

verdict session::on_packet(packet& p) {
  switch (p.index()) {
    case 2:
      return on_publish(std::get<publish>(p));
    case 3:
      return on_ack(std::get<pub_ack>(p));
    case 4:
      return on_subscribe(std::get<subscribe>(p));
    case 6:
      return on_unsubscribe(std::get<unsubscribe>(p));
    case 8:
      env_.out().emit([](buffer& b) { encode(pingresp{}, b); });
      return verdict::keep;
    case 10:
      return on_disconnect(std::get<disconnect>(p));
    case 0:
      return protocol_violation(reason::protocol_error, "second CONNECT");
    case 11:
      // No enhanced authentication method was agreed at CONNECT.
      return protocol_violation(reason::protocol_error, "AUTH without an authentication method");
    default:
      return protocol_violation(reason::protocol_error, "packet type not allowed from a client");
  }
}

verdict session::protocol_violation(reason r, const char* why) {
  close_reason_ = why;
  send_disconnect(r, why);
  return verdict::close;
}

void session::send_disconnect(reason r, const char* reason_string) {
  if (ver_ != version::v5)
    return;
  disconnect d;
  d.code = r;
  if (reason_string && problem_info_ && *reason_string)
    d.props.reason_string = reason_string;
  env_.out().emit([&](buffer& b) { encode(d, ver_, b); });
}

void session::send_ack(packet_type t, std::uint16_t id, reason r) {
  pub_ack a;
  a.type = t;
  a.packet_id = id;
  a.code = r;
  env_.out().emit([&](buffer& b) { encode(a, ver_, b); });
}

verdict session::on_publish(publish& p) {
  if (ver_ == version::v5 && p.props.topic_alias) {
    auto alias = *p.props.topic_alias;
    if (alias == 0 || alias > cfg_.topic_alias_maximum)
      return protocol_violation(reason::topic_alias_invalid, "topic alias out of range");
    if (alias_in_.size() <= alias)
      alias_in_.resize(std::size_t{alias} + 1);
    if (p.topic.empty()) {
      if (alias_in_[alias].empty())
        return protocol_violation(reason::protocol_error, "unknown topic alias");
      p.topic = alias_in_[alias];
    } else {
      alias_in_[alias] = p.topic;
    }
  }
  if (p.q == qos::exactly_once && inbound_qos2_.contains(p.packet_id)) {
    // Retransmission of a message we already routed: acknowledge only.
    send_ack(packet_type::pubrec, p.packet_id, reason::success);
    return verdict::keep;
  }
  // Receive Maximum: QoS 2 counts until PUBREL, QoS 1 until its PUBACK went
  // out (it may wait for the store). MQTT 5 §3.3.4: DISCONNECT 0x93; a
  // 3.1.1 client has no such limit (its reads pause while QoS 1 waits) but
  // has always been held to it for QoS 2.
  if (p.q != qos::at_most_once) {
    bool v5 = ver_ == version::v5;
    auto unacked = inbound_qos2_.size() + (v5 ? puback_backlog_ : 0);
    if ((v5 || p.q == qos::exactly_once) && unacked >= cfg_.receive_maximum)
      return protocol_violation(reason::receive_maximum_exceeded,
                                "more unacknowledged QoS 1/2 PUBLISHes than receive maximum");
  }
  auto ack_type = p.q == qos::exactly_once ? packet_type::pubrec : packet_type::puback;
  if (ver_ == version::v5 && p.props.payload_format_indicator.value_or(0) == 1 &&
      !valid_utf8(p.payload)) {
    if (p.q == qos::at_most_once)
      return protocol_violation(reason::payload_format_invalid, "payload is not UTF-8");
    ack_in_order(ack_type, p.packet_id, reason::payload_format_invalid);
    return verdict::keep;
  }
  if (!env_.uplink_allowed()) {
    // Dropped and counted (the cloud platform's behaviour); MQTT 5 is told.
    if (p.q != qos::at_most_once)
      ack_in_order(ack_type, p.packet_id,
                   ver_ == version::v5 ? reason::message_rate_too_high : reason::success);
    return verdict::keep;
  }
  if (!env_.can_publish(p.topic)) {  // the environment logs why
    if (p.q != qos::at_most_once)
      ack_in_order(ack_type, p.packet_id,
                   ver_ == version::v5 ? reason::not_authorized : reason::success);
    return verdict::keep;
  }
  auto m = make_message(std::move(p.topic), std::move(p.payload), p.q, p.retain,
                        env_.next_message_id(), key_, env_.now());
  m->props = std::move(p.props);
  m->props.topic_alias.reset();
  m->props.subscription_identifiers.clear();
  std::uint64_t cookie = p.q == qos::at_most_once ? 0 : ++next_cookie_;
  auto r = env_.route(m, cookie);
  if (p.q == qos::at_most_once)
    return verdict::keep;
  if (p.q == qos::exactly_once)
    inbound_qos2_.insert(p.packet_id);
  auto code =
      r.reached == 0 && ver_ == version::v5 ? reason::no_matching_subscribers : reason::success;
  if (r.deferred) {
    acks_.push_back(inbound_ack{cookie, ack_type, p.packet_id, code});  // sent by on_stored
    puback_backlog_ += ack_type == packet_type::puback ? 1 : 0;
  } else
    ack_in_order(ack_type, p.packet_id, code);
  return verdict::keep;
}

verdict session::on_stored(std::uint64_t cookie, bool ok) {
  auto it = std::find_if(acks_.begin(), acks_.end(),
                         [&](const inbound_ack& a) { return a.cookie == cookie; });
  if (it == acks_.end())
    return verdict::keep;  // for an earlier connection
  if (!ok) {
    IOTB_LOG_LIMITED(warn, "store") << "client=" << client_id_ << " PUBLISH id=" << it->packet_id
                                    << " refused: the message store is full or failing";
    if (ver_ != version::v5) {
      // 3.1.1 has no negative PUBACK: close; the client resends after
      // reconnecting (the message was not acknowledged, nothing is lost).
      close_reason_ = "message store full: QoS 1/2 PUBLISH not stored";
      return verdict::close;
    }
    it->code = reason::quota_exceeded;
    if (it->type == packet_type::pubrec)
      inbound_qos2_.erase(it->packet_id);
  }
  it->cookie = 0;
  send_ready_acks();
  return verdict::keep;
}

void session::ack_in_order(packet_type t, std::uint16_t id, reason r) {
  if (acks_.empty()) {
    send_ack(t, id, r);
    return;
  }
  acks_.push_back(inbound_ack{0, t, id, r});
  puback_backlog_ += t == packet_type::puback ? 1 : 0;
  send_ready_acks();
}

void session::send_ready_acks() {
  while (!acks_.empty() && acks_.front().cookie == 0) {
    auto& a = acks_.front();
    send_ack(a.type, a.packet_id, a.code);
    puback_backlog_ -= a.type == packet_type::puback ? 1 : 0;
    acks_.pop_front();
  }
}

verdict session::on_ack(const pub_ack& a) {
  auto it = std::find_if(inflight_.begin(), inflight_.end(),
                         [&](const outflight& f) { return f.packet_id == a.packet_id; });
  switch (a.type) {
    case packet_type::puback:
      if (it != inflight_.end() && it->p.q == qos::at_least_once) {
        completed(it->p);
        inflight_.erase(it);
        pump();
      }
      return verdict::keep;
    case packet_type::pubrec:
      if (it == inflight_.end() || it->p.q != qos::exactly_once) {
        send_ack(packet_type::pubrel, a.packet_id, reason::packet_identifier_not_found);
        return verdict::keep;
      }
      if (static_cast<std::uint8_t>(a.code) >= 0x80) {
        completed(it->p);
        inflight_.erase(it);  // the receiver refused it: done
        pump();
        return verdict::keep;
      }
      it->released = true;
      if (it->p.seq == 0)
        it->p.msg = nullptr;  // the payload is no longer needed (the id is, if stored)
      send_ack(packet_type::pubrel, a.packet_id, reason::success);
      return verdict::keep;
    case packet_type::pubcomp:
      if (it != inflight_.end() && it->released) {
        completed(it->p);
        inflight_.erase(it);
        pump();
      }
      return verdict::keep;
    case packet_type::pubrel: {
      auto found = inbound_qos2_.erase(a.packet_id) > 0;
      send_ack(packet_type::pubcomp, a.packet_id,
               found ? reason::success : reason::packet_identifier_not_found);
      return verdict::keep;
    }
    default:
      return protocol_violation(reason::protocol_error, "unexpected acknowledgement");
  }
}

verdict session::on_subscribe(const subscribe& s) {
  suback ack;
  ack.packet_id = s.packet_id;
  auto sub_id = s.props.subscription_identifier.value_or(0);
  struct retained_job {
    std::string filter;
    qos granted;
  };
  std::vector<retained_job> jobs;
  const bool device = who_.is_device();
  std::size_t index = 0;
  for (auto& f : s.filters) {
    if (device && index++ >= cfg_.max_filters_per_subscribe) {
      IOTB_LOG_EVENT(info, "acl") << "client=" << client_id_ << " subscribe to '" << f.filter
                                  << "' refused: more than " << cfg_.max_filters_per_subscribe
                                  << " filters in one SUBSCRIBE";
      env_.limit_exceeded("filters per SUBSCRIBE", f.filter);
      ack.codes.push_back(reason::quota_exceeded);
      continue;
    }
    if (!env_.can_subscribe(f.filter)) {  // the environment logs why
      ack.codes.push_back(reason::not_authorized);
      continue;
    }
    auto existing = subs_.find(f.filter);
    if (device && existing == subs_.end() &&
        subs_.size() - system_subs_ >= cfg_.max_subscriptions_per_device) {
      env_.limit_exceeded("subscriptions per device", f.filter);
      ack.codes.push_back(reason::quota_exceeded);
      continue;
    }
    if (existing != subs_.end() && existing->second.system)
      --system_subs_;  // the device subscribed itself: now its own
    bool is_new = env_.subscribe(f.filter, f.opts, sub_id);
    subs_[f.filter] = sub_record{f.opts, sub_id};
    ack.codes.push_back(static_cast<reason>(f.opts.max_qos));
    bool send_retained = !is_shared(f.filter) &&
                         (f.opts.retain_handling == 0 || (f.opts.retain_handling == 1 && is_new));
    if (send_retained)
      jobs.push_back({f.filter, f.opts.max_qos});
  }
  env_.out().emit([&](buffer& b) { encode(ack, ver_, b); });
  env_.subscriptions_changed();
  for (auto& j : jobs) {
    env_.retained(j.filter, [&](const message_ptr& m) {
      on_deliver(m, min_qos(m->q, j.granted), true, sub_id);
    });
  }
  return verdict::keep;
}

verdict session::on_unsubscribe(const unsubscribe& u) {
  unsuback ack;
  ack.packet_id = u.packet_id;
  for (auto& f : u.filters) {
    auto it = subs_.find(f);
    bool existed = it != subs_.end();
    if (existed) {
      system_subs_ -= it->second.system ? 1 : 0;
      subs_.erase(it);
    }
    if (existed)
      env_.unsubscribe(f);
    ack.codes.push_back(existed ? reason::success : reason::no_subscription_existed);
  }
  env_.out().emit([&](buffer& b) { encode(ack, ver_, b); });
  env_.subscriptions_changed();
  return verdict::keep;
}

verdict session::on_disconnect(const disconnect& d) {
  if (ver_ == version::v5 && d.props.session_expiry_interval) {
    if (expiry_ == 0 && *d.props.session_expiry_interval != 0)
      return protocol_violation(reason::protocol_error,
                                "session expiry set on DISCONNECT after 0 at CONNECT");
    expiry_ = std::min(*d.props.session_expiry_interval, cfg_.max_session_expiry);
  }
  if (d.code != reason::disconnect_with_will)
    will_.reset();
  close_reason_ = "client sent DISCONNECT";
  online_ = false;
  return verdict::close;
}

void session::on_connection_lost() {
  online_ = false;
}

std::optional<std::pair<message_ptr, std::uint32_t>> session::take_will() {
  if (!will_)
    return std::nullopt;
  auto m = make_will();
  auto delay = will_->props.will_delay_interval.value_or(0);
  will_.reset();
  if (delay > expiry_)
    delay = expiry_;
  return std::make_pair(std::move(m), delay);
}

message_ptr session::make_will() const {
  auto m = make_message(will_->topic, will_->payload, will_->q, will_->retain,
                        env_.next_message_id(), key_, env_.now());
  m->props = will_->props;
  m->props.will_delay_interval.reset();
  return m;
}

void session::clear() {
  for (auto& [filter, rec] : subs_)
    env_.unsubscribe(filter);
  subs_.clear();
  system_subs_ = 0;
  inflight_.clear();
  queue_.clear();
  queue_bytes_ = 0;
  inbound_qos2_.clear();
  acks_.clear();
  puback_backlog_ = 0;
  last_packet_id_ = 0;
  mem_upto_ = 0;
  dup_upto_ = 0;
  spilled_ = false;
}

void session::reapply_subscriptions() {
  for (auto& [filter, rec] : subs_)
    env_.subscribe(filter, rec.opts, rec.sub_id);
}

void session::subscribe_system(const std::string& filter, qos max_qos) {
  subscribe_options opts;
  opts.max_qos = max_qos;
  // No-local (SPEC §4): an automatic subscription never hands the device
  // its own PUBLISH back — its RRPC answer on `/ext/rrpc/${id}/…` (which
  // `/ext/rrpc/+/…` matches) or its `…/thing/service/${id}_reply` (which
  // `…/thing/service/+` matches) go to the broker and to applications.
  opts.no_local = true;
  if (auto it = subs_.find(filter); it != subs_.end()) {
    if (!it->second.system || it->second.opts == opts)
      return;  // the device's own subscription stays as it is
    // A system subscription restored from an older record: made no-local.
    env_.subscribe(filter, opts, 0);
    it->second.opts = opts;
    return;
  }
  env_.subscribe(filter, opts, 0);
  subs_[filter] = sub_record{opts, 0, true};
  ++system_subs_;
}

}  // namespace iotb::actors
