#include <cstdio>

#include "broker/metrics/broker_metrics.hpp"

namespace iotb::metrics {

std::string_view to_string(drop_reason r) noexcept {
  constexpr std::string_view names[] = {"queue_full",     "slow_consumer", "expired",
                                        "too_large",      "store_full",    "throttled",
                                        "not_authorized", "no_subscribers"};
  auto i = static_cast<std::size_t>(r);
  return i < std::size(names) ? names[i] : "unknown";
}

std::string_view to_string(throttle_kind k) noexcept {
  constexpr std::string_view names[] = {"uplink", "connect", "downlink"};
  auto i = static_cast<std::size_t>(k);
  return i < std::size(names) ? names[i] : "unknown";
}

std::string_view to_string(listener_id l) noexcept {
  constexpr std::string_view names[] = {"mqtt", "mqtts", "ws", "wss"};
  auto i = static_cast<std::size_t>(l);
  return i < std::size(names) ? names[i] : "unknown";
}

namespace {

constexpr std::string_view packet_names[16] = {"",          "connect",  "connack",     "publish",
                                               "puback",    "pubrec",   "pubrel",      "pubcomp",
                                               "subscribe", "suback",   "unsubscribe", "unsuback",
                                               "pingreq",   "pingresp", "disconnect",  "auth"};

class writer {
 public:
  explicit writer(std::string& out) : out_(out) {}
  /// `# HELP` and `# TYPE` lines.
  void head(std::string_view name, std::string_view type, std::string_view help) {
    out_.append("# HELP iotbroker_").append(name).append(" ").append(help).append("\n");
    out_.append("# TYPE iotbroker_").append(name).append(" ").append(type).append("\n");
  }
  /// One sample; `labels` is `k="v",…` or empty.
  template <class V>
  void sample(std::string_view name, std::string_view labels, V value) {
    out_.append("iotbroker_").append(name);
    if (!labels.empty())
      out_.append("{").append(labels).append("}");
    out_.append(" ").append(format(value)).append("\n");
  }
  void single(std::string_view name, std::string_view type, std::string_view help,
              std::uint64_t value) {
    head(name, type, help);
    sample(name, {}, value);
  }

 private:
  static std::string format(std::uint64_t v) { return std::to_string(v); }
  static std::string format(std::int64_t v) { return std::to_string(v); }
  static std::string format(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.9g", v);
    return buf;
  }
  std::string& out_;
};

std::string label(std::string_view k, std::string_view v) {
  return std::string(k) + "=\"" + std::string(v) + "\"";
}

}  // namespace

std::string render_prometheus(const broker_metrics& m, const scrape_gauges& g) {
  std::string out;
  out.reserve(8192);
  writer w(out);
  auto per_listener = [&](std::string_view name, std::string_view type, std::string_view help,
                          auto value) {
    w.head(name, type, help);
    for (std::size_t i = 0; i < listener_ids; ++i)
      w.sample(name, label("listener", to_string(static_cast<listener_id>(i))),
               value(m.listeners[i]));
  };
  per_listener("connections", "gauge", "Open client connections, by listener.",
               [](const listener_metrics& l) { return l.connections.value(); });
  per_listener("connections_accepted_total", "counter", "Connections accepted, by listener.",
               [](const listener_metrics& l) { return l.accepted.value(); });
  per_listener("bytes_received_total", "counter", "Bytes read from client sockets, by listener.",
               [](const listener_metrics& l) { return l.bytes_received.value(); });
  per_listener("bytes_sent_total", "counter", "Bytes written to client sockets, by listener.",
               [](const listener_metrics& l) { return l.bytes_sent.value(); });
  w.head("sessions", "gauge", "Sessions (connected, or persistent and offline).");
  w.sample("sessions", {}, m.sessions.value());
  w.head("subscriptions", "gauge", "Subscriptions in the router (clients and internal).");
  w.sample("subscriptions", {}, g.subscriptions);
  w.head("retained", "gauge", "Retained messages.");
  w.sample("retained", {}, g.retained);
  if (g.store_used_bytes >= 0) {
    w.head("store_used_bytes", "gauge", "Bytes in use in the session store's map.");
    w.sample("store_used_bytes", {}, g.store_used_bytes);
    w.head("store_max_bytes", "gauge", "The most the session store's map may grow to.");
    w.sample("store_max_bytes", {}, g.store_max_bytes);
  }
  w.single("messages_received_total", "counter", "PUBLISH packets received from clients.",
           m.packets_received[3].value());
  w.single("messages_sent_total", "counter", "PUBLISH packets sent to clients.",
           m.messages_sent.value());
  w.single("messages_delivered_total", "counter", "Messages handed to a matching subscription.",
           m.messages_delivered.value());
  w.head("messages_dropped_total", "counter", "Messages not delivered, by reason.");
  for (std::size_t i = 0; i < drop_reasons; ++i)
    w.sample("messages_dropped_total", label("reason", to_string(static_cast<drop_reason>(i))),
             m.dropped[i].value());
  w.head("packets_received_total", "counter", "MQTT packets received, by type.");
  for (std::size_t i = 1; i < 16; ++i)
    w.sample("packets_received_total", label("type", packet_names[i]),
             m.packets_received[i].value());
  w.single("auth_failures_total", "counter", "CONNECTs refused by authentication.",
           m.auth_failures.value());
  w.single("acl_denials_total", "counter", "PUBLISH and SUBSCRIBE topics refused by the ACL.",
           m.acl_denials.value());
  w.single("thing_requests_total", "counter",
           "Device thing-model requests (property and event posts, tags, desired values, OTA).",
           m.thing_requests.value());
  w.single("thing_refused_total", "counter",
           "Device thing-model requests refused (malformed, or invalid in strict mode).",
           m.thing_refused.value());
  w.single("thing_tagged_total", "counter",
           "Device thing-model posts kept with weak-mode findings (checkFailedData).",
           m.thing_tagged.value());
  w.single("shadow_requests_total", "counter",
           "Device shadow requests (device updates, gets, deletes; API reads and writes).",
           m.shadow_requests.value());
  w.single("shadow_refused_total", "counter",
           "Device shadow requests answered with an error code (400-409, 429, 500).",
           m.shadow_refused.value());
  w.single("shadow_controls_total", "counter",
           "Shadow control messages pushed to devices (desired state changed).",
           m.shadow_controls.value());
  w.head("shadow_actors", "gauge", "Device shadow actors alive (idle ones stop).");
  w.sample("shadow_actors", {}, m.shadow_actors.value());
  w.head("throttled_total", "counter", "Requests refused by a quota, by kind.");
  for (std::size_t i = 0; i < throttle_kinds; ++i)
    w.sample("throttled_total", label("what", to_string(static_cast<throttle_kind>(i))),
             m.throttled[i].value());
  w.head("device_calls_total", "counter",
         "Server to device calls (RRPC, property set, service invoke), by kind and result.");
  for (std::size_t k = 0; k < thing::call_kinds; ++k)
    for (std::size_t s = 0; s < thing::call_statuses; ++s)
      w.sample("device_calls_total",
               label("kind", thing::to_string(static_cast<thing::call_kind>(k))) + "," +
                   label("result", thing::to_string(static_cast<thing::call_status>(s))),
               m.calls[k][s].value());
  w.head("call_answers_dropped_total", "counter",
         "Device answers that completed no call (unknown or expired id, another device or "
         "sender, not an Alink reply).");
  for (std::size_t i = 0; i < thing::answer_drops; ++i)
    w.sample("call_answers_dropped_total",
             label("reason", thing::to_string(static_cast<thing::answer_drop>(i))),
             m.call_answers_dropped[i].value());
  w.single("store_commits_total", "counter", "Group commits of the session store.",
           m.store_commits.value());
  const auto& h = m.store_commit_seconds;
  w.head("store_commit_seconds", "histogram", "Session store group commit latency (seconds).");
  char le[32];
  for (std::size_t i = 0; i < h.bounds().size(); ++i) {
    std::snprintf(le, sizeof le, "le=\"%g\"", h.bounds()[i]);
    w.sample("store_commit_seconds_bucket", le, h.cumulative(i));
  }
  w.sample("store_commit_seconds_bucket", "le=\"+Inf\"", h.cumulative(h.bounds().size()));
  w.sample("store_commit_seconds_sum", {}, h.sum());
  w.sample("store_commit_seconds_count", {}, h.count());
  return out;
}

}  // namespace iotb::metrics
