#include "actors/live.hpp"
#include "actors/live_viewer.hpp"

#include <chrono>
#include <deque>

#include <rapidjson/document.h>
#include <boost/asio/post.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket.hpp>

#include "broker/admin/identity.hpp"
#include "broker/admin/json.hpp"
#include "broker/admin/router.hpp"
#include "broker/core/device_topics.hpp"
#include "broker/log/log.hpp"
#include "broker/mqtt/codec.hpp"
#include "broker/router/topic_match.hpp"
#include "broker/util/clock.hpp"

namespace iotb::actors {

namespace beast = boost::beast;
namespace websocket = beast::websocket;

namespace {

std::string hex_of(std::string_view s) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(s.size() * 2);
  for (unsigned char c : s) {
    out.push_back(digits[c >> 4]);
    out.push_back(digits[c & 15]);
  }
  return out;
}

}  // namespace

std::string live_json(const std::function<void(admin::json_writer&)>& body) {
  rapidjson::StringBuffer sb;
  admin::json_writer w(sb);
  w.StartObject();
  body(w);
  w.EndObject();
  return {sb.GetString(), sb.GetSize()};
}

namespace {

/// A viewer's WebSocket over `Stream` (`beast::tcp_stream` or
/// `net::tls_stream`), on the admin connection's strand.
template <class Stream>
class ws_viewer final : public live_hub::viewer {
 public:
  ws_viewer(std::weak_ptr<live_hub> hub, Stream stream, std::string who)
      : viewer(std::move(hub), std::move(who)), ws_(std::move(stream)) {}

  void start(admin::request req) {
    beast::get_lowest_layer(ws_).expires_never();
    ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
    ws_.read_message_max(64 * 1024);
    auto r = std::make_shared<admin::request>(std::move(req));
    ws_.async_accept(*r, [self = self(), r](beast::error_code ec) {
      if (ec)
        return self->closed("handshake: " + ec.message());
      IOTB_LOG(info, "admin") << self->who_ << " opened the live WebSocket";
      self->read();
    });
  }

  void close() override {
    boost::asio::post(ws_.get_executor(),
                      [self = self()] { beast::get_lowest_layer(self->ws_).close(); });
  }

 private:
  std::shared_ptr<ws_viewer> self() {
    return std::static_pointer_cast<ws_viewer>(shared_from_this());
  }

  void wake() override {
    boost::asio::post(ws_.get_executor(), [self = self()] { self->write_next(); });
  }

  void read() {
    ws_.async_read(buf_, [self = self()](beast::error_code ec, std::size_t) {
      if (ec)
        return self->closed(ec == websocket::error::closed ? "closed" : ec.message());
      auto text = beast::buffers_to_string(self->buf_.data());
      self->buf_.consume(self->buf_.size());
      self->on_command(text);
      self->read();
    });
  }

  void write_next() {
    if (!next_frame())
      return;
    ws_.text(true);
    ws_.async_write(boost::asio::buffer(current_),
                    [self = self()](beast::error_code ec, std::size_t) {
                      if (ec)
                        return self->closed(ec.message());
                      self->write_next();
                    });
  }

  websocket::stream<Stream> ws_;
  beast::flat_buffer buf_;
};

}  // namespace

// -- hub ----------------------------------------------------------------------

live_hub::live_hub(context_ptr ctx, boost::asio::io_context& ioc, admin::identity& ids)
    : ctx_(std::move(ctx)), ioc_(ioc), ids_(ids), timer_(ioc) {}

live_hub::~live_hub() = default;

template <class Stream>
bool live_hub::upgrade(admin::request& req, Stream& stream, const std::string& remote) {
  auto target = admin::parse_target(req.target());
  if (!target || target->segments != std::vector<std::string>{"api", "v1", "ws"})
    return false;  // the HTTP server answers 404
  std::string auth(req[admin::http::field::authorization]);
  if (auth.empty())
    if (auto t = target->query.get("token"))
      auth = "Bearer " + std::string(*t);
  auto who = ids_.authenticate(auth);
  if (!who) {
    IOTB_LOG_EVENT(info, "admin") << remote << " live WebSocket refused: " << who.error().message;
    return false;  // answered 401 by the request handler
  }
  auto v = std::make_shared<ws_viewer<Stream>>(weak_from_this(), std::move(stream),
                                               who->audit_name() + "@" + remote);
  {
    std::lock_guard lk(mu_);
    if (stopped_)
      return false;
    viewers_.push_back(v);
  }
  v->start(std::move(req));
  return true;
}

template bool live_hub::upgrade(admin::request&, beast::tcp_stream&, const std::string&);
template bool live_hub::upgrade(admin::request&, net::tls_stream&, const std::string&);

void live_hub::forget(viewer* v) {
  {
    std::lock_guard lk(mu_);
    std::erase_if(viewers_, [v](const std::shared_ptr<viewer>& p) { return p.get() == v; });
  }
  update_tap();
}

void live_hub::update_tap() {
  auto taps = std::make_shared<std::vector<tap_entry>>();
  std::lock_guard lk(mu_);
  for (const auto& v : viewers_) {
    auto f = v->trace();
    bool events = v->wants_events();
    if (f || events)
      taps->push_back({v, std::move(f), events});
  }
  taps_ = taps->empty() ? nullptr : std::move(taps);
  ctx_->tracing.store(taps_ != nullptr, std::memory_order_relaxed);
}

void live_hub::on_message(const message_ptr& m, std::string_view client_id) {
  std::shared_ptr<const std::vector<tap_entry>> taps;
  {
    std::lock_guard lk(mu_);
    taps = taps_;
  }
  if (!taps)
    return;
  auto time = clock::wall_ms();
  // Device status changes are events too.
  std::optional<std::string> event;
  if (m->topic.starts_with("/as/mqtt/status/")) {
    rapidjson::Document d;
    d.Parse(m->payload.data(), m->payload.size());
    if (!d.HasParseError() && d.IsObject() && d.HasMember("status") && d["status"].IsString())
      event = live_json([&](admin::json_writer& w) {
        admin::field(w, "type", "event");
        admin::field(w, "event", d["status"].GetString());
        for (const char* k : {"productKey", "deviceName", "clientIp"})
          if (d.HasMember(k) && d[k].IsString())
            admin::field(w, k, d[k].GetString());
        w.Key("time");
        w.Uint64(time);
      });
  }
  auto dev = core::device_of_topic(m->topic);
  for (const auto& tap : *taps) {
    // Named references, not a structured binding: the lambda below uses
    // `f`, and clang 14 cannot capture a binding.
    const auto& v = tap.v;
    const auto& f = tap.filter;
    if (event && tap.events)
      v->push(*event);
    if (!f || !router::topic_matches(f->topic, m->topic))
      continue;
    if (!f->client_id.empty() && f->client_id != client_id)
      continue;
    if (!f->device.empty() &&
        (!dev || f->device != std::string(dev->first) + "/" + std::string(dev->second)))
      continue;
    if (!v->admit(time, f->max_rate))
      continue;  // over its rate or its queue is full: counted, not formatted
    v->push(live_json([&](admin::json_writer& w) {
      admin::field(w, "type", "trace");
      w.Key("time");
      w.Uint64(time);
      admin::field(w, "direction", "in");
      admin::field(w, "clientId", client_id);
      admin::field(w, "topic", m->topic);
      w.Key("qos");
      w.Uint(static_cast<unsigned>(m->q));
      w.Key("retain");
      w.Bool(m->retain);
      admin::field(w, "messageId", std::to_string(m->id));
      switch (f->payload) {
        case trace_payload::text: {
          // A text frame must be UTF-8: a browser drops the socket otherwise.
          bool replaced = false;
          admin::field(w, "payload", admin::utf8_lossy(m->payload, &replaced));
          if (replaced) {
            w.Key("binary");
            w.Bool(true);
          }
          break;
        }
        case trace_payload::hex:
          admin::field(w, "payload", hex_of(m->payload));
          break;
        case trace_payload::hidden:
          w.Key("payloadSize");
          w.Uint64(m->payload.size());
          break;
      }
    }));
  }
}

void live_hub::start() {
  if (ctx_->registry)
    if (auto t = ctx_->registry->read())
      change_seq_ = store::last_change(*t);
  ctx_->trace_tap = [self = weak_from_this()](const message_ptr& m, std::string_view cid) {
    if (auto h = self.lock())
      h->on_message(m, cid);
  };
  tick();
}

void live_hub::tick() {
  timer_.expires_after(std::chrono::seconds{1});
  timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
    if (ec || self->stopped_)
      return;
    std::vector<std::shared_ptr<viewer>> vs;
    {
      std::lock_guard lk(self->mu_);
      vs = self->viewers_;
    }
    bool any_metrics = false;
    for (const auto& v : vs) {
      any_metrics = any_metrics || v->wants_metrics();
      v->report_refused();
    }
    if (any_metrics) {
      // The same figures as /metrics: its samples as one JSON object.
      // The same text as /metrics, rules and store gauges included.
      auto text = self->ctx_->prometheus_text();
      auto frame = live_json([&](admin::json_writer& w) {
        admin::field(w, "type", "metrics");
        w.Key("time");
        w.Uint64(clock::wall_ms());
        w.Key("values");
        w.StartObject();
        std::string_view rest = text;
        while (!rest.empty()) {
          auto nl = rest.find('\n');
          auto line = rest.substr(0, nl);
          rest = nl == std::string_view::npos ? std::string_view{} : rest.substr(nl + 1);
          if (line.empty() || line.front() == '#')
            continue;
          auto sp = line.rfind(' ');
          auto key = line.substr(0, sp);
          w.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
          w.Double(std::strtod(std::string(line.substr(sp + 1)).c_str(), nullptr));
        }
        w.EndObject();
      });
      for (const auto& v : vs)
        if (v->wants_metrics())
          v->push(frame);
    }
    self->poll_registry();
    self->tick();
  });
}

void live_hub::poll_registry() {
  if (!ctx_->registry)
    return;
  auto t = ctx_->registry->read();
  if (!t)
    return;
  auto changes = store::changes_since(*t, change_seq_, 1000);
  if (!changes || changes->empty())
    return;
  std::vector<std::shared_ptr<viewer>> vs;
  {
    std::lock_guard lk(mu_);
    vs = viewers_;
  }
  for (const auto& ch : *changes) {
    change_seq_ = ch.seq;
    const char* what = nullptr;
    switch (ch.kind) {
      case store::change_kind::device_created:
        what = "created";
        break;
      case store::change_kind::device_deleted:
        what = "deleted";
        break;
      case store::change_kind::device_disabled:
        what = "disabled";
        break;
      case store::change_kind::device_enabled:
        what = "enabled";
        break;
      default:
        continue;
    }
    auto frame = live_json([&](admin::json_writer& w) {
      admin::field(w, "type", "event");
      admin::field(w, "event", what);
      admin::field(w, "productKey", ch.product_key);
      admin::field(w, "deviceName", ch.device_name);
      w.Key("time");
      w.Uint64(ch.time_ms);
    });
    for (const auto& v : vs)
      if (v->wants_events())
        v->push(frame);
  }
}

void live_hub::stop() {
  std::vector<std::shared_ptr<viewer>> vs;
  {
    std::lock_guard lk(mu_);
    if (stopped_)
      return;
    stopped_ = true;
    vs.swap(viewers_);
  }
  ctx_->tracing.store(false, std::memory_order_relaxed);
  boost::asio::post(ioc_, [self = shared_from_this()] { self->timer_.cancel(); });
  for (auto& v : vs)
    v->close();
}

}  // namespace iotb::actors
