// One device's shadow actor (actors/shadow_service.hpp): the document, the
// request rate limit, the writes and the answers that wait for them.

#include <chrono>
#include <utility>
#include <vector>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <caf/send.hpp>

#include "actors/device_presence.hpp"
#include "actors/shadow_service.hpp"
#include "broker/limits/token_bucket.hpp"
#include "broker/log/log.hpp"
#include "broker/store/registry.hpp"
#include "broker/store/thing_store.hpp"
#include "broker/thing/shadow.hpp"
#include "broker/util/clock.hpp"

namespace iotb::actors {

namespace {

/// When a device back online with desired attributes pending is sent
/// `control`, counted from the online notification: its subscription to
/// `/shadow/get/…` is looked for at each (a device without `_ss=1`
/// subscribes after its CONNECT), then the push is given up (the device
/// can still `get`).
constexpr std::chrono::milliseconds push_delays[] = {std::chrono::milliseconds{500},
                                                     std::chrono::milliseconds{2000},
                                                     std::chrono::milliseconds{5000}};

/// `{"code":"<slug>","message":"…","errorcode":N}`: an API answer for a
/// refused shadow request.
std::string api_error_body(thing::shadow_errc e, std::string_view message) {
  const char* slug = "bad_field";
  switch (thing::shadow_http_status(e)) {
    case 409:
      slug = "conflict";
      break;
    case 429:
      slug = "throttled";
      break;
    case 500:
      slug = "internal";
      break;
    default:
      break;
  }
  rapidjson::StringBuffer sb;
  rapidjson::Writer<rapidjson::StringBuffer> w(sb);
  w.StartObject();
  w.Key("code");
  w.String(slug);
  w.Key("message");
  w.String(message.data(), static_cast<rapidjson::SizeType>(message.size()));
  w.Key("errorcode");
  w.Int(thing::shadow_code(e));
  w.EndObject();
  return {sb.GetString(), sb.GetSize()};
}

/// The API's PATCH answer: the document with `"control":"sent"|"offline"`.
std::string with_control(std::string doc_json, bool sent) {
  if (!doc_json.empty() && doc_json.back() == '}')
    doc_json.pop_back();
  doc_json += sent ? R"(,"control":"sent"})" : R"(,"control":"offline"})";
  return doc_json;
}

const char* method_name(thing::shadow_method m) {
  switch (m) {
    case thing::shadow_method::update:
      return "update";
    case thing::shadow_method::get:
      return "get";
    case thing::shadow_method::remove:
      return "delete";
    case thing::shadow_method::unknown:
      break;
  }
  return "request";
}

}  // namespace

/// The actor's state.
struct shadow_state {
  context_ptr ctx;
  shadow_service_actor service;
  std::string pk;
  std::string dn;
  std::string reply_topic;  ///< /shadow/get/${pk}/${dn}
  thing::shadow_doc doc;
  bool loaded = false;  ///< false: the stored document could not be read (500s)
  bool reload = false;  ///< a write failed: read the document again once idle
  limits::token_bucket rate;
  std::uint64_t handled = 0;                          ///< requests taken from the service
  std::chrono::steady_clock::time_point last_active;  ///< when it last took a request
  /// Answers in request order; `write` ones wait for their write's commit.
  struct answer {
    bool write = false;
    std::function<void(bool committed)> finish;
  };
  std::vector<answer> answers;  ///< few at a time (a vector: no block while empty)

  static inline const char* name = "shadow";

  /// Reads the document from the registry (an absent one is empty).
  void load() {
    loaded = false;
    doc = {};
    if (!ctx->registry) {
      loaded = true;
      return;
    }
    auto t = ctx->registry->read();
    if (!t) {
      IOTB_LOG(warn, "shadow") << pk << "/" << dn << ": cannot read the store: " << t.error().what;
      return;
    }
    auto stored = store::get_shadow(*t, pk, dn);
    if (!stored) {
      loaded = stored.error().code == store::errc::not_found;
      if (!loaded)
        IOTB_LOG(warn, "shadow") << pk << "/" << dn << ": " << stored.error().what;
      return;
    }
    auto parsed = thing::parse_shadow_doc(*stored);
    if (!parsed) {
      IOTB_LOG(warn, "shadow") << pk << "/" << dn << ": the stored document is corrupt";
      return;
    }
    doc = std::move(*parsed);
    loaded = true;
  }

  /// Publishes `payload` to the device on `/shadow/get/${pk}/${dn}`.
  void publish(std::string payload, mqtt::qos q) const {
    publisher from;
    from.key = shadow_service_key;
    auto id = ctx->ids.next();
    dispatch(*ctx, make_message(reply_topic, std::move(payload), q, false, id, shadow_service_key),
             from);
  }

  /// Pushes `control` when the device is online. @returns whether it was sent.
  bool push_control(std::string_view why) {
    if (ctx->directory.device_sessions(pk, dn).empty())
      return false;
    publish(thing::control_message(doc, static_cast<std::int64_t>(clock::wall_ms())),
            mqtt::qos::at_least_once);
    ctx->metrics.shadow_controls.inc();
    ctx->device_log(pk, dn, store::log_kind::shadow,
                    "shadow control pushed (" + std::string(why) + ", version " +
                        std::to_string(doc.version) + ")",
                    {});
    return true;
  }

  /// Queues an answer; one that waits for nothing runs at once when
  /// nothing is before it.
  void answer_later(bool write, std::function<void(bool)> finish) {
    if (!write && answers.empty()) {
      finish(true);
      return;
    }
    answers.push_back(answer{write, std::move(finish)});
  }

  /// A write completed: its answer, then the ready ones behind it.
  void committed(bool ok) {
    if (answers.empty())
      return;
    auto first = std::move(answers.front());
    answers.erase(answers.begin());
    if (!ok)
      reload = true;
    first.finish(ok);
    while (!answers.empty() && !answers.front().write) {
      auto next = std::move(answers.front());
      answers.erase(answers.begin());
      next.finish(true);
    }
    if (answers.empty() && reload) {
      reload = false;
      load();  // the document in memory may hold a change that is not stored
    }
  }
};

namespace {

using self_ptr = shadow_actor::stateful_pointer<shadow_state>;

/// Submits the document's write; its completion comes back as a message.
/// @returns false when there is no writer (then nothing waits).
bool write(self_ptr self, std::string stored) {
  auto& st = self->state;
  if (!st.ctx->writer)
    return false;
  auto me = caf::actor_cast<shadow_actor>(self);
  st.ctx->writer->submit(
      [pk = st.pk, dn = st.dn,
       stored = std::move(stored)](store::write_txn& t) -> expected<bool, store::error> {
        if (!store::get_device(t, pk, dn))
          return true;  // deleted meanwhile: keep nothing
        return store::put_shadow(t, pk, dn, stored);
      },
      [me](bool ok) { caf::anon_send(me, shadow_commit_atom::value, ok); });
  return true;
}

void refused(shadow_state& st, thing::shadow_errc e, std::string_view what) {
  st.ctx->metrics.shadow_refused.inc();
  st.ctx->device_log(st.pk, st.dn, store::log_kind::shadow,
                     std::string(what) + " refused: " + std::to_string(thing::shadow_code(e)) +
                         " " + std::string(thing::shadow_message(e)),
                     {});
}

/// A device's request on `/shadow/update/${pk}/${dn}`.
void on_device(self_ptr self, const std::shared_ptr<const shadow_request>& req) {
  const auto& r = *req;
  auto& st = self->state;
  const auto now_ms = static_cast<std::int64_t>(clock::wall_ms());
  const auto q = std::min(r.q, mqtt::qos::at_least_once);
  std::optional<thing::shadow_errc> early;
  if (!st.rate.try_take(std::chrono::steady_clock::now()))
    early = thing::shadow_errc::too_many_requests;
  else if (!st.loaded)
    early = thing::shadow_errc::server_error;
  if (early) {
    refused(st, *early, "shadow request");
    st.answer_later(false, [&st, reply = thing::shadow_error_reply(*early, r.body(), now_ms),
                            q](bool) mutable { st.publish(std::move(reply), q); });
    return;
  }
  auto out = thing::handle_device_request(st.doc, r.body(), now_ms);
  if (out.error)
    refused(st, *out.error, std::string("shadow ") + method_name(out.method));
  if (!out.changed) {
    st.answer_later(false, [&st, reply = std::move(out.reply), q](bool) mutable {
      st.publish(std::move(reply), q);
    });
    return;
  }
  st.doc = std::move(out.doc);
  const bool waits = write(self, std::move(out.stored));
  st.answer_later(waits, [&st, reply = std::move(out.reply), req, q, now_ms](bool ok) mutable {
    if (ok) {
      st.publish(std::move(reply), q);
      return;
    }
    refused(st, thing::shadow_errc::server_error, "shadow update (not stored)");
    st.publish(thing::shadow_error_reply(thing::shadow_errc::server_error, req->body(), now_ms), q);
  });
}

/// The admin API's PATCH: desired attributes, then `control` if online.
void on_patch(self_ptr self, const std::shared_ptr<const shadow_request>& r) {
  auto& st = self->state;
  if (!st.loaded) {
    refused(st, thing::shadow_errc::server_error, "shadow API update");
    st.answer_later(false, [r](bool) {
      r->done(500, api_error_body(thing::shadow_errc::server_error, "the shadow cannot be read"));
    });
    return;
  }
  auto out = thing::apply_desired(st.doc, r->body(), static_cast<std::int64_t>(clock::wall_ms()));
  if (!out) {
    st.ctx->metrics.shadow_refused.inc();
    st.answer_later(false, [r, e = out.error()](bool) {
      r->done(static_cast<unsigned>(thing::shadow_http_status(e.code)),
              api_error_body(e.code, e.message));
    });
    return;
  }
  st.doc = std::move(out->doc);
  const bool waits = write(self, out->stored);
  st.answer_later(waits, [&st, r, stored = std::move(out->stored)](bool ok) mutable {
    if (!ok) {
      r->done(500, api_error_body(thing::shadow_errc::server_error, "the shadow was not stored"));
      return;
    }
    // The document as it was written (a later request may have changed
    // `doc` already; its own answer shows that).
    const bool sent = st.push_control("desired changed by the API");
    r->done(200, with_control(std::move(stored), sent));
  });
}

/// Looks for the device's subscription to `/shadow/get/…` and pushes
/// `control` when desired attributes are pending.
void on_push(self_ptr self, std::int32_t attempt) {
  auto& st = self->state;
  if (st.ctx->directory.device_sessions(st.pk, st.dn).empty() || st.doc.desired.empty())
    return;  // offline again (the next online notification tries again), or nothing pending
  if (device_subscribed(*st.ctx, st.pk, st.dn, st.reply_topic)) {
    st.push_control("desired pending at reconnect");
    return;
  }
  auto next = static_cast<std::size_t>(attempt) + 1;
  if (next < std::size(push_delays))
    self->delayed_send(self, push_delays[next] - push_delays[next - 1], shadow_push_atom::value,
                       static_cast<std::int32_t>(next));
}

shadow_actor::behavior_type shadow_device(self_ptr self, context_ptr ctx,
                                          shadow_service_actor service, std::string pk,
                                          std::string dn) {
  auto& st = self->state;
  st.ctx = std::move(ctx);
  st.service = std::move(service);
  st.pk = std::move(pk);
  st.dn = std::move(dn);
  st.reply_topic = "/shadow/get/" + st.pk + "/" + st.dn;
  if (st.ctx->cfg.shadow_rate != 0)
    st.rate = limits::token_bucket(st.ctx->cfg.shadow_rate, std::chrono::seconds{1});
  st.load();
  st.ctx->metrics.shadow_actors.add();
  self->attach_functor([ctx = st.ctx] { ctx->metrics.shadow_actors.sub(); });
  // Checked every half idle period: an actor stops between 1 and 1.5 idle
  // periods after its last request.
  const auto idle =
      std::chrono::milliseconds{std::max<std::uint32_t>(1, st.ctx->cfg.shadow_idle_seconds) * 1000};
  const auto check = idle / 2;
  st.last_active = clock::now();
  self->delayed_send(self, check, shadow_tick_atom::value);
  return {
      [self](const shadow_msg& m) {
        auto& s = self->state;
        ++s.handled;
        s.last_active = clock::now();
        const auto& r = *m.req;
        switch (r.op) {
          case shadow_op::device:
            s.ctx->metrics.shadow_requests.inc();
            on_device(self, m.req);
            break;
          case shadow_op::get:
            s.ctx->metrics.shadow_requests.inc();
            if (!s.loaded) {
              s.ctx->metrics.shadow_refused.inc();
              s.answer_later(false, [req = m.req](bool) {
                req->done(500, api_error_body(thing::shadow_errc::server_error,
                                              "the shadow cannot be read"));
              });
            } else {
              s.answer_later(false, [req = m.req, json = s.doc.to_json()](bool) mutable {
                req->done(200, std::move(json));
              });
            }
            break;
          case shadow_op::patch:
            s.ctx->metrics.shadow_requests.inc();
            on_patch(self, m.req);
            break;
          case shadow_op::online:
            if (s.loaded && !s.doc.desired.empty())
              self->delayed_send(self, push_delays[0], shadow_push_atom::value, std::int32_t{0});
            break;
        }
      },
      [self, idle, check](shadow_tick_atom) {
        auto& s = self->state;
        if (clock::now() - s.last_active >= idle && s.answers.empty())
          self->send(s.service, shadow_idle_atom::value, s.pk + "/" + s.dn, s.handled);
        self->delayed_send(self, check, shadow_tick_atom::value);
      },
      [self](shadow_stop_atom) { self->quit(); },
      [self](shadow_commit_atom, bool ok) { self->state.committed(ok); },
      [self](shadow_push_atom, std::int32_t attempt) { on_push(self, attempt); },
  };
}

}  // namespace

shadow_actor spawn_shadow_device(shadow_service_actor::pointer parent, context_ptr ctx,
                                 std::string pk, std::string dn) {
  // Not linked: CAF 0.17 keeps an actor's links in a list searched on
  // every link and unlink, which made each spawn and stop cost O(live
  // actors) in the service. The service stops its actors when it ends.
  return parent->spawn(shadow_device, std::move(ctx), caf::actor_cast<shadow_service_actor>(parent),
                       std::move(pk), std::move(dn));
}

}  // namespace iotb::actors
