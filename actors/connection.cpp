#include "actors/connection.hpp"

#include <caf/actor_cast.hpp>
#include <caf/send.hpp>

#include "broker/acl/device_acl.hpp"
#include "broker/log/log.hpp"

namespace iotb::actors {

namespace {

constexpr std::uint32_t expiry_never = 0xFFFFFFFF;
constexpr std::size_t flush_bytes = 64 * 1024;
constexpr unsigned flush_deferrals = 32;

/// Forwards what a transport reads (on its I/O thread) to the actor.
class transport_glue final : public net::transport_listener {
 public:
  transport_glue(caf::actor target, std::uint32_t gen) : target_(std::move(target)), gen_(gen) {}
  void on_packets(std::vector<mqtt::packet>&& batch) override {
    caf::anon_send(target_, packets_atom::value, gen_,
                   std::make_shared<std::vector<mqtt::packet>>(std::move(batch)));
  }
  void on_closed(const net::close_info& info) override {
    caf::anon_send(target_, closed_atom::value, gen_, std::make_shared<const net::close_info>(info));
  }
  void on_writable() override { caf::anon_send(target_, writable_atom::value, gen_); }

 private:
  caf::actor target_;
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

connection::connection(caf::actor_config& cfg, context_ptr ctx, std::string client_id,
                       std::string name, std::uint64_t key)
    : caf::event_based_actor(cfg),
      ctx_(std::move(ctx)),
      session_(ctx_->cfg, *this, std::move(client_id), key),
      flags_(std::make_shared<session_flags>()),
      name_(std::move(name)) {}

connection::~connection() = default;

caf::behavior connection::make_behavior() {
  // Whatever ends this actor, the socket must close.
  attach_functor([t = &transport_] {
    if (*t)
      (*t)->close();
  });
  // Every handler ends with after_handler(): output is flushed when the
  // mailbox runs empty, so a handler that skips it (e.g. for a stale event
  // of an old transport) could strand bytes queued by the previous one.
  return {
      [this](attach_atom, const attach_request_ptr& req) {
        on_attach(req);
        after_handler();
      },
      [this](packets_atom, std::uint32_t gen, const batch_ptr& batch) {
        on_packets(gen, batch);
        after_handler();
      },
      [this](deliver_atom, const message_ptr& m, std::uint8_t q, bool retain,
             std::uint32_t sub_id) {
        session_.on_deliver(m, static_cast<mqtt::qos>(q), retain, sub_id);
        after_handler();
      },
      [this](closed_atom, std::uint32_t gen, const close_ptr& info) {
        on_closed(gen, info);
        after_handler();
      },
      [this](writable_atom, std::uint32_t gen) {
        if (gen == gen_ && transport_) {
          write_blocked_ = false;
          flush();
          session_.on_writable();
        }
        after_handler();
      },
      [this](will_atom, std::uint32_t gen) {
        if (gen == will_gen_ && pending_will_) {
          publish_will(pending_will_);
          pending_will_ = nullptr;
        }
        after_handler();
      },
      [this](expire_atom, std::uint32_t gen) {
        if (gen == expire_gen_ && !transport_)
          end_session();
        after_handler();
      },
      [this](kick_atom, std::uint8_t r, const std::string& why) {
        on_kick(static_cast<mqtt::reason>(r), why);
        after_handler();
      },
      [this](regclose_atom, std::uint32_t gen) {
        if (gen == gen_ && transport_) {
          session_.send_disconnect(mqtt::reason::administrative_action,
                                   "registration connection closed after 15 s");
          end_connection("registration connection closed by the server after 15 s");
        }
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

void connection::on_attach(const attach_request_ptr& req) {
  const auto& c = req->connect;
  bool took_over = static_cast<bool>(transport_);
  if (transport_) {
    IOTB_LOG(info, "conn") << "client=" << session_.client_id() << " taken over by peer="
                           << req->transport->peer() << " (was peer=" << peer_ << ")";
    if (session_.who().is_device())
      ctx_->device_log(session_.who().product_key, session_.who().device_name,
                       store::log_kind::takeover,
                       "connection from " + peer_ + " taken over by " + req->transport->peer(),
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
  for (auto& e : pub_acl_cache_)
    e.topic.clear();
  ip_ = peer_.substr(0, peer_.rfind(':'));
  if (ip_.size() > 2 && ip_.front() == '[')
    ip_ = ip_.substr(1, ip_.size() - 2);
  ++gen_;
  epoch_ = req->epoch;
  bool existed = attaches_++ > 0;
  session_.on_connect(c, req->who, existed, req->assigned_id);
  flags_->online = true;
  transport_->attach(std::make_shared<transport_glue>(caf::actor_cast<caf::actor>(this), gen_),
                     session_.keep_alive());
  IOTB_LOG(info, "conn") << "client=" << session_.client_id() << " connected peer=" << peer_
                         << " mqtt=" << version_name(c.ver) << " clean=" << c.clean_start
                         << " keepalive=" << session_.keep_alive()
                         << " expiry=" << session_.expiry();
  if (session_.who().is_device() || session_.who().who == auth::identity::kind::registration)
    on_device_online(took_over);
}

void connection::on_packets(std::uint32_t gen, const batch_ptr& batch) {
  if (gen != gen_ || !transport_)
    return;
  auto t = transport_;
  for (auto& p : *batch) {
    if (session_.on_packet(p) == verdict::close) {
      end_connection(session_.close_reason());
      break;
    }
  }
  t->batch_done();
}

void connection::on_closed(std::uint32_t gen, const close_ptr& info) {
  if (gen != gen_ || !transport_)
    return;
  using kind = net::close_info::kind;
  switch (info->what) {
    case kind::decode_error:
      IOTB_LOG(warn, "conn") << "client=" << session_.client_id() << " peer=" << peer_
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

void connection::end_connection(const char* why) {
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
      delayed_send(this, std::chrono::seconds{w->second}, will_atom::value, ++will_gen_);
    }
  }
  auto expiry = session_.expiry();
  if (expiry == 0) {
    end_session();
  } else if (expiry != expiry_never) {
    delayed_send(this, std::chrono::seconds{expiry}, expire_atom::value, ++expire_gen_);
  }
}

void connection::end_session() {
  if (pending_will_) {
    publish_will(pending_will_);
    pending_will_ = nullptr;
  }
  session_.clear();
  if (!ending_) {
    ending_ = true;
    send(ctx_->manager, detach_atom::value, name_, epoch_);
  }
}

void connection::publish_will(const message_ptr& m) {
  if (!ctx_->authz->can_publish(session_.who(), m->topic).allowed)
    return;
  route(m);
}

void connection::after_handler() {
  if (out_.empty() || write_blocked_ || !transport_)
    return;
  if (mailbox().empty() || ++deferred_ >= flush_deferrals || out_.size() >= flush_bytes)
    flush();
}

void connection::flush() {
  deferred_ = 0;
  if (!transport_ || write_blocked_ || out_.empty())
    return;
  switch (transport_->write(out_)) {
    case net::tcp_transport::write_status::done:
      return;
    case net::tcp_transport::write_status::would_block:
      write_blocked_ = true;
      return;
    case net::tcp_transport::write_status::failed:
      // The reader side reports the closed socket; drop what cannot go.
      out_.clear();
      return;
  }
}

std::size_t connection::route(const message_ptr& m) {
  if (m->retain) {
    if (m->payload.empty())
      ctx_->retained.erase(m->topic);
    else
      ctx_->retained.set(m->topic, m);
  }
  std::size_t reached = 0;
  auto self_key = session_.key();
  if (session_.who().is_device() && m->origin == self_key)
    answer_device(m);
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
    ++reached;
    auto q = std::min(e.opts.max_qos, m->q);
    bool retain = e.opts.retain_as_published && m->retain;
    if (e.session == self_key)
      session_.on_deliver(m, q, retain, e.sub_id);
    else
      caf::anon_send(e.target, deliver_atom::value, m, static_cast<std::uint8_t>(q), retain,
                     e.sub_id);
  });
  return reached;
}

bool connection::subscribe(const std::string& filter, const mqtt::subscribe_options& opts,
                           std::uint32_t sub_id) {
  return ctx_->subs.insert(
      filter, sub_entry{caf::actor_cast<caf::actor>(this), session_.key(), opts, sub_id, flags_,
                        session_.who().who == auth::identity::kind::anonymous});
}

bool connection::unsubscribe(const std::string& filter) {
  return ctx_->subs.erase(filter, session_.key());
}

void connection::retained(const std::string& filter,
                          const std::function<void(const message_ptr&)>& f) {
  if (session_.who().who != auth::identity::kind::anonymous)
    return ctx_->retained.match(filter, f);
  ctx_->retained.match(filter, [&](const message_ptr& m) {
    if (!acl::is_device_namespace(m->topic))
      f(m);
  });
}

bool connection::can_publish(std::string_view topic) {
  for (auto& e : pub_acl_cache_)
    if (!e.topic.empty() && e.topic == topic) {
      if (!e.verdict.allowed)
        denied("publish to", topic, e.verdict.why);
      return e.verdict.allowed;
    }
  auto d = ctx_->authz->can_publish(session_.who(), topic);
  auto& slot = pub_acl_cache_[pub_acl_next_++ % pub_acl_cache_.size()];
  slot.topic.assign(topic);
  slot.verdict = d;
  if (!d.allowed)
    denied("publish to", topic, d.why);
  return d.allowed;
}

bool connection::can_subscribe(std::string_view filter) {
  auto d = ctx_->authz->can_subscribe(session_.who(), filter);
  if (!d.allowed)
    denied("subscribe to", filter, d.why);
  return d.allowed;
}

void connection::limit_exceeded(const char* what, std::string_view filter) {
  const auto& who = session_.who();
  if (who.is_device())
    ctx_->device_log(who.product_key, who.device_name, store::log_kind::throttled,
                     std::string("limit of ") + what + " reached: '" + std::string(filter) +
                         "' refused",
                     ip_);
}

void connection::denied(const char* what, std::string_view topic, std::string_view why) {
  ctx_->stats.acl_denials.fetch_add(1, std::memory_order_relaxed);
  const auto& who = session_.who();
  IOTB_LOG(info, "acl") << "client=" << session_.client_id() << " " << what << " '" << topic
                        << "' denied: " << why;
  if (who.is_device()) {
    std::string text(what);
    text.append(" '").append(topic).append("' denied: ").append(why);
    ctx_->device_log(who.product_key, who.device_name, store::log_kind::acl_denied,
                     std::move(text), ip_);
  }
}

void connection::dropped(const char* why) {
  ctx_->stats.dropped_queue.fetch_add(1, std::memory_order_relaxed);
  IOTB_LOG(debug, "conn") << "client=" << session_.client_id() << " dropped a message: " << why;
}

}  // namespace iotb::actors
