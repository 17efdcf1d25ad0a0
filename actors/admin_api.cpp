#include "actors/admin_api.hpp"

#include <mutex>
#include <tuple>

#include <caf/send.hpp>

#include "actors/admin_quotas.hpp"
#include "actors/dispatch.hpp"
#include "actors/messages.hpp"
#include "broker/admin/server.hpp"
#include "broker/core/device_topics.hpp"
#include "broker/limits/token_bucket.hpp"
#include "broker/log/log.hpp"
#include "broker/router/topic_match.hpp"
#include "broker/tls/digest.hpp"
#include "broker/util/clock.hpp"

namespace iotb::actors {

namespace {

using admin::api_call;
using admin::api_errc;
using admin::api_error;
using admin::json_body;
using call_ptr = std::shared_ptr<api_call>;

std::string message_id_body(std::uint64_t id) {
  rapidjson::StringBuffer sb;
  admin::json_writer w(sb);
  w.StartObject();
  w.Key("messageId");
  w.String(std::to_string(id).c_str());  // 64-bit: a string, as JavaScript needs
  w.EndObject();
  return {sb.GetString(), sb.GetSize()};
}

/// Publishes `m` and answers with its id once it is safe: at once, or after
/// the store committed it for durable subscribers.
void publish_and_answer(broker_context& ctx, const call_ptr& call, message_ptr m) {
  auto id = m->id;
  publisher from;
  from.stored = [call, id](bool ok) {
    if (ok)
      call->reply(200, message_id_body(id));
    else
      call->fail(api_error{api_errc::unavailable, "the message store refused the message"});
  };
  auto r = dispatch(ctx, m, from);
  if (!r.deferred)
    call->reply(200, message_id_body(id));
}

void handle_publish(broker_context& ctx, admin_quotas& q, const call_ptr& call) {
  auto b = json_body::parse(call->req.body());
  if (!b)
    return call->fail(b.error());
  auto topic = b->string("topic", true, 65535);
  auto payload = read_payload(*b, ctx.cfg.max_packet_size);
  auto qos = b->uint("qos", 0, 2);
  auto retain = b->boolean("retain");
  if (auto e = b->finish())
    return call->fail(*e);
  if (!mqtt::valid_topic_name(*topic))
    return call->fail(api_error{api_errc::bad_field, "topic: not a valid MQTT topic name"});
  if (auto dev = core::device_of_topic(*topic)) {
    const auto& who = *call->who;
    if (!who.may_change(dev->first))
      return call->fail(api_error{api_errc::forbidden, "topic: not one of your products"});
    if (auto e = q.take_downlink(ctx, dev->first, dev->second))
      return call->fail(*e);
  }
  call->audit_target = *topic;
  publish_and_answer(
      ctx, call,
      make_message(std::move(*topic), std::move(*payload), static_cast<mqtt::qos>(qos.value_or(0)),
                   retain.value_or(false), ctx.ids.next(), 0));
}

void handle_broadcast(broker_context& ctx, admin_quotas& q, const call_ptr& call) {
  auto pk = std::string(call->path.value("pk"));
  if (call->who && !call->who->may_change(pk))
    return call->fail(api_error{api_errc::forbidden, "not one of your products"});
  auto b = json_body::parse(call->req.body());
  if (!b)
    return call->fail(b.error());
  auto suffix = b->string("topicSuffix", true, 128);
  auto payload = read_payload(*b, std::size_t{1} << 20);  // the size check below says 413
  if (auto e = b->finish())
    return call->fail(*e);
  if (payload->size() > ctx.cfg.broadcast_max_size)
    return call->fail(
        api_error{api_errc::too_large,
                  "payload: more than " + std::to_string(ctx.cfg.broadcast_max_size) + " bytes"});
  auto topic = "/broadcast/" + pk + "/" + *suffix;
  if (suffix->empty() || !mqtt::valid_topic_name(topic))
    return call->fail(api_error{api_errc::bad_field, "topicSuffix: not a valid topic level"});
  if (q.broadcast_on) {
    std::lock_guard lk(q.mu);
    if (!q.broadcast.try_take(pk, clock::now())) {
      ctx.metrics.throttle(metrics::throttle_kind::downlink);
      return call->fail(api_error{
          api_errc::throttled,
          "one broadcast per product every " + std::to_string(ctx.cfg.broadcast_interval) + " s"});
    }
  }
  call->audit_target = topic;
  publish_and_answer(ctx, call,
                     make_message(std::move(topic), std::move(*payload), mqtt::qos::at_most_once,
                                  false, ctx.ids.next(), 0));
}

void handle_retained_list(broker_context& ctx, const call_ptr& call) {
  auto page = admin::parse_page(call->query);
  if (!page)
    return call->fail(page.error());
  auto filter = std::string(call->query.get("topic").value_or("#"));
  if (!mqtt::valid_topic_filter(filter))
    return call->fail(api_error{api_errc::bad_request, "topic: not a valid topic filter"});
  std::vector<message_ptr> all;
  ctx.retained.match(filter, [&](const message_ptr& m) { all.push_back(m); });
  std::sort(all.begin(), all.end(),
            [](const message_ptr& a, const message_ptr& b) { return a->topic < b->topic; });
  call->reply(200, admin::list_body(all.size(), [&](admin::json_writer& w) {
                for (std::size_t i = page->offset();
                     i < all.size() && i < page->offset() + page->limit; ++i) {
                  const auto& m = *all[i];
                  w.StartObject();
                  admin::field(w, "topic", m.topic);
                  admin::field(w, "payloadBase64", tls::base64_encode(m.payload));
                  w.Key("qos");
                  w.Uint(static_cast<unsigned>(m.q));
                  admin::field(w, "messageId", std::to_string(m.id));
                  w.EndObject();
                }
              }));
}

void handle_retained_delete(broker_context& ctx, const call_ptr& call) {
  auto topic = call->query.get("topic");
  if (!topic || !mqtt::valid_topic_name(*topic))
    return call->fail(api_error{api_errc::bad_request, "topic: give one retained topic"});
  call->audit_target = std::string(*topic);
  bool found = false;
  ctx.retained.match(std::string(*topic), [&](const message_ptr&) { found = true; });
  if (!found)
    return call->fail(api_error{api_errc::not_found, "no retained message on this topic"});
  // An empty retained message clears it everywhere (memory and store).
  publish_and_answer(
      ctx, call,
      make_message(std::string(*topic), {}, mqtt::qos::at_most_once, true, ctx.ids.next(), 0));
}

const char* protocol_name(std::uint8_t p) {
  return p == 3 ? "3.1" : p == 5 ? "5.0" : "3.1.1";
}

void write_session(admin::json_writer& w, const session_info& s) {
  w.StartObject();
  admin::field(w, "clientId", s.client_id);
  admin::field(w, "state", s.connected ? "online" : "offline");
  admin::field(w, "ip", s.ip);
  admin::field(w, "listener", s.listener);
  admin::field(w, "protocol", protocol_name(s.protocol));
  admin::field(w, "username", s.username);
  if (!s.product_key.empty()) {
    admin::field(w, "productKey", s.product_key);
    admin::field(w, "deviceName", s.device_name);
  }
  w.Key("keepAlive");
  w.Uint(s.keep_alive);
  w.Key("expiry");
  w.Uint(s.expiry);
  w.Key("durable");
  w.Bool(s.durable);
  w.Key("connectedAt");
  w.Uint64(s.connected_at_ms);
  w.Key("disconnectedAt");
  w.Uint64(s.disconnected_at_ms);
  w.EndObject();
}

void handle_sessions(broker_context& ctx, const call_ptr& call) {
  auto page = admin::parse_page(call->query);
  if (!page)
    return call->fail(page.error());
  session_directory::filter f;
  f.client_prefix = std::string(call->query.value("clientId"));
  f.ip = std::string(call->query.value("ip"));
  f.product_key = std::string(call->query.value("product"));
  if (auto st = call->query.get("state")) {
    if (*st != "online" && *st != "offline")
      return call->fail(api_error{api_errc::bad_request, "state: online or offline"});
    f.connected = *st == "online";
  }
  if (call->who && call->who->who == admin::principal::kind::app) {
    // An application sees only its products' devices.
    if (f.product_key.empty() || !call->who->may_see(f.product_key))
      return call->fail(api_error{api_errc::forbidden, "give product= one of your products"});
  }
  // Not a structured binding: clang 14 (fuzz builds, clang-tidy) cannot
  // capture one in a lambda.
  auto listed = ctx.directory.list(f, page->offset(), page->limit);
  const auto& items = listed.first;
  call->reply(200, admin::list_body(listed.second, [&](admin::json_writer& w) {
                for (const auto& s : items)
                  write_session(w, s);
              }));
}

void handle_session_delete(broker_context& ctx, const call_ptr& call) {
  auto client_id = std::string(call->path.value("clientId"));
  call->audit_target = client_id;
  auto found = ctx.directory.find(client_id);
  if (found.empty())
    return call->fail(api_error{api_errc::not_found, "no session with this client id"});
  for (const auto& s : found) {
    if (call->who && !s.product_key.empty() && !call->who->may_change(s.product_key))
      return call->fail(api_error{api_errc::forbidden, "not one of your products"});
  }
  for (const auto& s : found)
    caf::anon_send(s.actor, kick_msg{mqtt::reason::administrative_action,
                                     "session deleted through the admin API"});
  call->reply(204, {});
}

void handle_subscriptions(broker_context& ctx, const call_ptr& call) {
  auto page = admin::parse_page(call->query);
  if (!page)
    return call->fail(page.error());
  auto client = call->query.get("clientId");
  auto topic = call->query.get("topic");
  auto match = call->query.get("match");
  if (match && !mqtt::valid_topic_name(*match))
    return call->fail(api_error{api_errc::bad_request, "match: not a valid topic name"});
  struct row {
    std::string client_id, filter;
    mqtt::subscribe_options opts;
    std::uint32_t sub_id;
  };
  std::vector<row> rows;
  ctx.subs.for_each_subscription([&](const std::string& filter, const sub_entry& e) {
    if (e.session >= internal_key_base || !e.flags)
      return;
    auto cid = e.flags->client_id.load();
    if (!cid || (client && *cid != *client) || (topic && filter != *topic))
      return;
    if (match) {
      std::string_view f = filter;
      if (f.starts_with("$share/"))
        f = f.substr(std::min(f.size(), f.find('/', 7) + 1));
      if (!router::topic_matches(f, *match))
        return;
    }
    rows.push_back({*cid, filter, e.opts, e.sub_id});
  });
  std::sort(rows.begin(), rows.end(), [](const row& a, const row& b) {
    return std::tie(a.client_id, a.filter) < std::tie(b.client_id, b.filter);
  });
  call->reply(200, admin::list_body(rows.size(), [&](admin::json_writer& w) {
                for (std::size_t i = page->offset();
                     i < rows.size() && i < page->offset() + page->limit; ++i) {
                  const auto& r = rows[i];
                  w.StartObject();
                  admin::field(w, "clientId", r.client_id);
                  admin::field(w, "topic", r.filter);
                  w.Key("qos");
                  w.Uint(static_cast<unsigned>(r.opts.max_qos));
                  w.Key("noLocal");
                  w.Bool(r.opts.no_local);
                  w.Key("retainAsPublished");
                  w.Bool(r.opts.retain_as_published);
                  if (r.sub_id != 0) {
                    w.Key("subscriptionId");
                    w.Uint(r.sub_id);
                  }
                  w.EndObject();
                }
              }));
}

void handle_metrics(broker_context& ctx, const call_ptr& call) {
  admin::response r{boost::beast::http::status::ok, 11};
  r.set(boost::beast::http::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
  r.set(boost::beast::http::field::cache_control, "no-store");
  r.body() = ctx.prometheus_text();
  call->res.send(std::move(r));
}

}  // namespace

std::optional<std::string> read_payload(json_body& b, std::size_t max) {
  auto text = b.string("payload", false, max);
  auto b64 = b.string("payloadBase64", false, max / 3 * 4 + 4);
  if (text && b64) {
    b.fail("give either payload or payloadBase64, not both");
    return std::nullopt;
  }
  if (b64) {
    auto raw = tls::base64_decode(*b64);
    if (!raw) {
      b.fail("payloadBase64: not base64");
      return std::nullopt;
    }
    return raw;
  }
  return text.value_or(std::string{});
}

void add_broker_routes(admin::server& srv, context_ptr ctx, bool metrics_open,
                       std::shared_ptr<admin_quotas> q) {
  using admin::access;
  using admin::method;
  srv.route(method::get, "/metrics", metrics_open ? access::open : access::read,
            [ctx](const call_ptr& c) { handle_metrics(*ctx, c); });
  srv.route(method::post, "/api/v1/publish", access::change,
            [ctx, q](const call_ptr& c) { handle_publish(*ctx, *q, c); });
  srv.route(method::post, "/api/v1/products/{pk}/broadcast", access::change,
            [ctx, q](const call_ptr& c) { handle_broadcast(*ctx, *q, c); });
  srv.route(method::get, "/api/v1/sessions", access::read,
            [ctx](const call_ptr& c) { handle_sessions(*ctx, c); });
  srv.route(method::del, "/api/v1/sessions/{clientId}", access::change,
            [ctx](const call_ptr& c) { handle_session_delete(*ctx, c); });
  srv.route(method::get, "/api/v1/subscriptions", access::read,
            [ctx](const call_ptr& c) { handle_subscriptions(*ctx, c); });
  srv.route(method::get, "/api/v1/retained", access::read,
            [ctx](const call_ptr& c) { handle_retained_list(*ctx, c); });
  srv.route(method::del, "/api/v1/retained", access::change,
            [ctx](const call_ptr& c) { handle_retained_delete(*ctx, c); });
}

}  // namespace iotb::actors
