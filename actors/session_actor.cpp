#include "actors/session_actor.hpp"

#include <caf/actor_cast.hpp>
#include <caf/send.hpp>

#include "actors/dispatch.hpp"
#include "broker/acl/device_acl.hpp"
#include "broker/log/log.hpp"
#include "broker/util/clock.hpp"

namespace iotb::actors {

namespace {

constexpr std::size_t flush_bytes = 64 * 1024;
constexpr unsigned flush_deferrals = 32;

/// Forwards what a transport reads (on its I/O thread) to the actor.
class transport_glue final : public net::transport_listener {
 public:
  transport_glue(session_actor target, std::uint32_t gen) : target_(std::move(target)), gen_(gen) {}
  void on_packets(std::vector<mqtt::packet>&& batch) override {
    caf::anon_send(
        target_, packets_msg{gen_, std::make_shared<std::vector<mqtt::packet>>(std::move(batch))});
  }
  void on_closed(const net::close_info& info) override {
    caf::anon_send(target_, closed_msg{gen_, std::make_shared<const net::close_info>(info)});
  }
  void on_writable() override { caf::anon_send(target_, writable_msg{gen_}); }

 private:
  session_actor target_;
  std::uint32_t gen_;
};

const char* version_name(mqtt::version v) {
  switch (v) {
    case mqtt::version::v31:
      return "3.1";
    case mqtt::version::v311:
      return "3.1.1";
    default:
      return "5.0";
  }
}

}  // namespace

session_actor_impl::session_actor_impl(caf::actor_config& cfg, context_ptr ctx,
                                       std::string client_id, std::string name, std::uint64_t key)
    : session_actor::base(cfg),
      ctx_(std::move(ctx)),
      session_(ctx_->cfg, *this, std::move(client_id), key),
      flags_(std::make_shared<session_flags>()),
      name_(std::move(name)),
      uplink_(ctx_->cfg.device_uplink_rate, std::chrono::seconds{1}) {}

session_actor_impl::~session_actor_impl() = default;

void session_actor_impl::on_exit() {
  // Whatever ends this actor, the socket must close and the manager must
  // forget it. (An override, not attach_functor: that allocated a functor
  // with a copy of the name per session.)
  if (transport_)
    transport_->close();
  caf::anon_send(ctx_->manager, ended_msg{name_, session_.key()});
}

session_actor::behavior_type session_actor_impl::make_behavior() {
  // Every handler ends with after_handler(): output is flushed when the
  // mailbox runs empty, so a handler that skips it (e.g. for a stale event
  // of an old transport) could strand bytes queued by the previous one.
  // The hot handlers come first (CAF tries them in order).
  return {
      [this](const packets_msg& p) {
        on_packets(p);
        after_handler();
      },
      [this](const deliver_msg& d) {
        session_.on_deliver(d.msg, d.granted, d.retain, d.sub_ids, d.seq);
        after_handler();
      },
      [this](const stored_msg& s) {
        on_stored(s.cookie, s.ok);
        after_handler();
      },
      [this](const writable_msg& w) {
        if (w.gen == gen_ && transport_) {
          write_blocked_ = false;
          flush();
          session_.on_writable();
        }
        after_handler();
      },
      [this](const closed_msg& c) {
        on_closed(c);
        after_handler();
      },
      [this](const attach_msg& a) {
        on_attach(a.req);
        after_handler();
      },
      [this](const restore_msg& r) {
        on_restore(*r.record);
        after_handler();
      },
      [this](const kick_msg& k) {
        on_kick(k.reason, k.why);
        after_handler();
      },
      [this](const timer_msg& t) {
        on_timer(t);
        after_handler();
      },
      [this](terminate_atom) { quit(); },
      [this](shutdown_atom) {
        if (transport_) {
          session_.send_disconnect(mqtt::reason::server_shutting_down, "server shutting down");
          flush();
          transport_->close();
          transport_ = nullptr;
        }
        quit();
      },
  };
}

void session_actor_impl::on_timer(const timer_msg& t) {
  switch (t.kind) {
    case timer_kind::will:
      if (t.gen == will_gen_ && pending_will_) {
        publish_will(pending_will_);
        pending_will_ = nullptr;
      }
      return;
    case timer_kind::expire:
      if (t.gen == expire_gen_ && !transport_)
        end_session();
      return;
    case timer_kind::registration_window:
      if (t.gen == gen_ && transport_) {
        session_.send_disconnect(mqtt::reason::administrative_action,
                                 "registration connection closed after 15 s");
        end_connection("registration connection closed by the server after 15 s");
      }
      return;
  }
}

void session_actor_impl::on_attach(const connect_request_ptr& req) {
  const auto& c = req->connect;
  bool took_over = static_cast<bool>(transport_);
  if (transport_) {
    // The session still shows the old connection's client id; the new
    // one (a device may send another) is the CONNECT's.
    IOTB_LOG(info, "conn") << "client=" << c.client_id
                           << " took the session over: peer=" << req->transport->peer()
                           << " (was client=" << session_.client_id() << " peer=" << peer_ << ")";
    if (session_.who().is_device())
      ctx_->device_log(
          session_.who().product_key, session_.who().device_name, store::log_kind::takeover,
          "connection from " + peer_ + " (client=" + session_.client_id() + ") taken over by " +
              req->transport->peer() + " (client=" + c.client_id + ")",
          ip_);
    session_.send_disconnect(mqtt::reason::session_taken_over, "session taken over");
    flush();
    transport_->close();
    transport_ = nullptr;
    flags_->online = false;
    session_.on_connection_lost();
    if (auto w = session_.take_will(); w && (w->second == 0 || c.clean_start))
      publish_will(w->first);
  }
  // A reconnection before the will delay passed cancels the will, unless the
  // old session ends now (clean start), which publishes it.
  if (pending_will_) {
    if (c.clean_start)
      publish_will(pending_will_);
    pending_will_ = nullptr;
  }
  ++will_gen_;
  ++expire_gen_;
  ending_ = false;
  out_.clear();
  write_blocked_ = false;
  deferred_ = 0;
  transport_ = req->transport;
  peer_ = transport_->peer();
  pub_acl_cache_.reset();
  ip_ = peer_.substr(0, peer_.rfind(':'));
  if (ip_.size() > 2 && ip_.front() == '[')
    ip_ = ip_.substr(1, ip_.size() - 2);
  ++gen_;
  epoch_ = req->epoch;
  bool existed = attaches_++ > 0;
  held_batches_ = 0;  // those belonged to the old transport
  req->who.file_rules = ctx_->authz->file_rules(req->who, c.client_id);
  session_.on_connect(c, req->who, existed, req->assigned_id);
  if (req->who.file_rules)
    session_.reapply_subscriptions();  // a resumed session: this client's ACL-file rules
  update_durability(c.clean_start);
  flags_->online = true;
  transport_->attach(std::make_shared<transport_glue>(self(), gen_), session_.keep_alive());
  IOTB_LOG(info, "conn") << "client=" << session_.client_id() << " connected peer=" << peer_
                         << " mqtt=" << version_name(c.ver) << " clean=" << c.clean_start
                         << " keepalive=" << session_.keep_alive()
                         << " expiry=" << session_.expiry();
  if (session_.who().is_device() || session_.who().who == auth::identity::kind::registration)
    on_device_online(took_over);
  publish_directory_entry(c.ver, c.username.value_or(""));
}

void session_actor_impl::publish_directory_entry(mqtt::version ver, const std::string& username) {
  flags_->client_id.store(std::make_shared<const std::string>(session_.client_id()));
  session_info info;
  info.client_id = session_.client_id();
  info.name = name_;
  info.actor = self();
  info.key = session_.key();
  info.connected = static_cast<bool>(transport_);
  info.ip = ip_;
  if (transport_)
    info.listener = transport_->settings().listener_name;
  info.protocol = static_cast<std::uint8_t>(ver);
  info.username = username;
  info.product_key = session_.who().product_key;
  info.device_name = session_.who().device_name;
  info.ext_rrpc = session_.who().ext_rrpc;
  info.keep_alive = session_.keep_alive();
  info.expiry = session_.expiry();
  info.durable = session_.store_id() != 0;
  info.connected_at_ms = transport_ ? clock::wall_ms() : 0;
  ctx_->directory.put(std::move(info));
}

void session_actor_impl::on_packets(const packets_msg& msg) {
  if (msg.gen != gen_ || !transport_)
    return;
  auto t = transport_;
  for (auto& p : *msg.batch) {
    if (session_.on_packet(p) == verdict::close) {
      end_connection(session_.close_reason());
      break;
    }
  }
  // Receive maximum (SPEC §6): while too many QoS 1/2 messages wait for the
  // store, stop reading (the transport reads at most a few batches ahead).
  if (transport_ == t && session_.inbound_backlog() >= ctx_->cfg.receive_maximum)
    ++held_batches_;
  else
    t->batch_done();
}

void session_actor_impl::release_batches() {
  if (!transport_ || held_batches_ == 0 || session_.inbound_backlog() >= ctx_->cfg.receive_maximum)
    return;
  for (; held_batches_ > 0; --held_batches_)
    transport_->batch_done();
}

void session_actor_impl::on_stored(std::uint64_t cookie, bool ok) {
  if (!ok)
    ctx_->metrics.drop(metrics::drop_reason::store_full);
  if (!transport_)
    return;  // the client resends after reconnecting
  if (session_.on_stored(cookie, ok) == verdict::close) {
    end_connection(session_.close_reason());
    return;
  }
  release_batches();
}

void session_actor_impl::update_durability(bool clean_start) {
  // A durable session that resumes with expiry 0 stays durable until it
  // ends (at this connection's end): its stored queue may hold more than
  // memory does, and deliveries in flight carry stored seqs. Its record
  // then says expiry 0, which a restart treats as ended.
  bool resumed_durable = session_.store_id() != 0 && !clean_start;
  bool durable = ctx_->durable && (session_.expiry() > 0 || resumed_durable) &&
                 session_.who().who != auth::identity::kind::registration;
  if (durable) {
    if (session_.store_id() == 0)
      session_.set_store_id(session_.key());
    flags_->store_id = session_.store_id();
    persist();
  } else if (session_.store_id() != 0) {
    ctx_->durable->erase_session(name_, session_.store_id());
    session_.set_store_id(0);
    flags_->store_id = 0;
  }
}

void session_actor_impl::persist(std::uint64_t disconnected_ms) {
  if (!ctx_->durable || session_.store_id() == 0)
    return;
  auto r = session_.record(disconnected_ms);
  r.name = name_;
  ctx_->durable->put_session(std::move(r));
}

void session_actor_impl::on_restore(const store::session_record& r) {
  session_.restore(r);
  flags_->store_id = session_.store_id();
  ctx_->restoring.fetch_sub(1, std::memory_order_release);
  attaches_ = 1;  // the next CONNECT finds the session present
  publish_directory_entry(mqtt::version::v311, {});
  if (r.expiry == mqtt::session_expiry_never)
    return;
  auto now = clock::wall_ms();
  auto since = r.disconnected_ms != 0 && r.disconnected_ms < now ? now - r.disconnected_ms : 0;
  auto left_ms =
      std::uint64_t{r.expiry} * 1000 > since ? std::uint64_t{r.expiry} * 1000 - since : 0;
  delayed_send(self(), std::chrono::milliseconds{left_ms},
               timer_msg{timer_kind::expire, ++expire_gen_});
}

void session_actor_impl::acked(std::uint64_t seq, std::uint64_t message_id) {
  if (ctx_->durable && session_.store_id() != 0)
    ctx_->durable->ack(session_.store_id(), seq, message_id);
}

std::vector<store::queued> session_actor_impl::page(std::uint64_t after_seq, std::size_t max) {
  if (!ctx_->durable || session_.store_id() == 0)
    return {};
  std::size_t expired = 0;
  auto r = ctx_->durable->page(session_.store_id(), after_seq, max, &expired);
  if (expired > 0) {
    ctx_->metrics.drop(metrics::drop_reason::expired, expired);
    IOTB_LOG(info, "store") << "client=" << session_.client_id() << ": " << expired
                            << " queued messages expired (retention or message expiry)";
  }
  if (!r) {
    IOTB_LOG_LIMITED(error, "store") << "client=" << session_.client_id()
                                     << ": cannot read the stored queue: " << r.error().what;
    return {};
  }
  return std::move(*r);
}

void session_actor_impl::queue_cleared() {
  if (ctx_->durable && session_.store_id() != 0)
    ctx_->durable->clear_queue(session_.store_id());
}

void session_actor_impl::subscriptions_changed() {
  persist();
}

bool session_actor_impl::uplink_allowed() {
  const auto& who = session_.who();
  if (!who.is_device())
    return true;
  auto now = clock::now();
  const char* which = nullptr;
  if (!uplink_.try_take(now))
    which = "device";
  else if (!ctx_->uplink_all.try_take(now))
    which = "broker";
  if (!which)
    return true;
  ctx_->metrics.throttle(metrics::throttle_kind::uplink);
  ctx_->metrics.drop(metrics::drop_reason::throttled);
  ++throttled_;
  // One log line and device-log entry per second at most, with the count.
  if (now - throttle_logged_ >= std::chrono::seconds{1}) {
    std::string text =
        "uplink throttled: " + std::to_string(throttled_) + " PUBLISH dropped (" + which +
        " limit " +
        std::to_string(std::string_view(which) == "device" ? ctx_->cfg.device_uplink_rate
                                                           : ctx_->cfg.broker_uplink_rate) +
        "/s)";
    IOTB_LOG(info, "quota") << "client=" << session_.client_id() << " " << text;
    ctx_->device_log(who.product_key, who.device_name, store::log_kind::throttled, text, ip_);
    throttled_ = 0;
    throttle_logged_ = now;
  }
  return false;
}

void session_actor_impl::on_closed(const closed_msg& c) {
  if (c.gen != gen_ || !transport_)
    return;
  const auto& info = c.info;
  using kind = net::close_info::kind;
  switch (info->what) {
    case kind::decode_error:
      IOTB_LOG_EVENT(warn, "conn") << "client=" << session_.client_id() << " peer=" << peer_
                                   << " sent a bad packet: " << info->error.what;
      session_.send_disconnect(mqtt::to_reason(info->error.code), info->error.what);
      end_connection(info->error.what);
      return;
    case kind::keep_alive_timeout:
      session_.send_disconnect(mqtt::reason::keep_alive_timeout, "keep alive timeout");
      end_connection("keep-alive timeout");
      return;
    case kind::io_error:
      end_connection(info->detail.c_str());
      return;
    case kind::peer_closed:
      end_connection("connection closed by peer");
      return;
  }
}

void session_actor_impl::end_connection(const char* why) {
  IOTB_LOG(info, "conn") << "client=" << session_.client_id() << " disconnected peer=" << peer_
                         << ": " << why;
  if (session_.who().is_device())
    on_device_offline(why);
  flush();
  transport_->close();
  transport_ = nullptr;
  out_.clear();
  flags_->online = false;
  session_.on_connection_lost();
  if (auto w = session_.take_will()) {
    if (w->second == 0) {
      publish_will(w->first);
    } else {
      pending_will_ = w->first;
      delayed_send(self(), std::chrono::seconds{w->second},
                   timer_msg{timer_kind::will, ++will_gen_});
    }
  }
  auto expiry = session_.expiry();
  ctx_->directory.disconnected(name_, clock::wall_ms());
  if (expiry != 0)
    persist(clock::wall_ms());  // the expiry runs from now, also across restarts
  if (expiry == 0) {
    end_session();
  } else if (expiry != mqtt::session_expiry_never) {
    delayed_send(self(), std::chrono::seconds{expiry},
                 timer_msg{timer_kind::expire, ++expire_gen_});
  }
}

void session_actor_impl::end_session() {
  if (pending_will_) {
    publish_will(pending_will_);
    pending_will_ = nullptr;
  }
  session_.clear();
  ctx_->directory.erase(name_);
  if (ctx_->durable && session_.store_id() != 0) {
    ctx_->durable->erase_session(name_, session_.store_id());
    session_.set_store_id(0);
    flags_->store_id = 0;
  }
  // A CONNECT that reaches this actor before the manager has handled the
  // detach below starts a new session: no session present.
  attaches_ = 0;
  if (!ending_) {
    ending_ = true;
    send(ctx_->manager, detach_msg{name_, epoch_});
  }
}

void session_actor_impl::publish_will(const message_ptr& m) {
  if (!ctx_->authz->can_publish(session_.who(), m->topic).allowed)
    return;
  route(m, 0);
}

void session_actor_impl::after_handler() {
  if (out_.empty() || write_blocked_ || !transport_)
    return;
  if (mailbox().empty() || ++deferred_ >= flush_deferrals || out_.size() >= flush_bytes)
    flush();
}

void session_actor_impl::flush() {
  deferred_ = 0;
  if (!transport_ || write_blocked_ || out_.empty())
    return;
  switch (transport_->write(out_)) {
    case net::transport::write_status::done:
      return;
    case net::transport::write_status::would_block:
      write_blocked_ = true;
      return;
    case net::transport::write_status::failed:
      // The reader side reports the closed socket; drop what cannot go.
      out_.clear();
      return;
  }
}

bool session_actor_impl::can_publish(std::string_view topic) {
  if (!pub_acl_cache_)
    pub_acl_cache_ = std::make_unique<std::array<acl_cache_entry, 8>>();
  auto& cache = *pub_acl_cache_;
  for (auto& e : cache)
    if (!e.topic.empty() && e.topic == topic) {
      if (!e.verdict.allowed)
        denied("publish to", topic, e.verdict.why);
      return e.verdict.allowed;
    }
  auto d = ctx_->authz->can_publish(session_.who(), topic);
  auto& slot = cache[pub_acl_next_++ % cache.size()];
  slot.topic.assign(topic);
  slot.verdict = d;
  if (!d.allowed)
    denied("publish to", topic, d.why);
  return d.allowed;
}

bool session_actor_impl::can_subscribe(std::string_view filter) {
  auto d = ctx_->authz->can_subscribe(session_.who(), filter);
  if (!d.allowed)
    denied("subscribe to", filter, d.why);
  return d.allowed;
}

void session_actor_impl::limit_exceeded(const char* what, std::string_view filter) {
  const auto& who = session_.who();
  if (who.is_device())
    ctx_->device_log(
        who.product_key, who.device_name, store::log_kind::throttled,
        std::string("limit of ") + what + " reached: '" + std::string(filter) + "' refused", ip_);
}

void session_actor_impl::denied(const char* what, std::string_view topic, std::string_view why) {
  ctx_->metrics.acl_denials.inc();
  if (what[0] == 'p')  // "publish to": the message goes nowhere
    ctx_->metrics.drop(metrics::drop_reason::not_authorized);
  const auto& who = session_.who();
  IOTB_LOG_EVENT(info, "acl") << "client=" << session_.client_id() << " " << what << " '" << topic
                              << "' denied: " << why;
  if (who.is_device()) {
    std::string text(what);
    text.append(" '").append(topic).append("' denied: ").append(why);
    ctx_->device_log(who.product_key, who.device_name, store::log_kind::acl_denied, std::move(text),
                     ip_);
  }
}

void session_actor_impl::dropped(metrics::drop_reason why) {
  ctx_->metrics.drop(why);
  ++drops_;
  // A summary per client, at most one line a second (at info: a slow
  // consumer is the client's problem, not the broker's).
  auto now = clock::now();
  if (now - drop_logged_ < std::chrono::seconds{1})
    return;
  IOTB_LOG(info, "conn") << "client=" << session_.client_id() << " dropped " << drops_
                         << " outbound messages since the last report (last reason: "
                         << metrics::to_string(why) << ")";
  drops_ = 0;
  drop_logged_ = now;
}

}  // namespace iotb::actors
