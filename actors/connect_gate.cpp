#include "actors/connect_gate.hpp"

#include <caf/send.hpp>

#include "actors/messages.hpp"
#include "broker/log/log.hpp"
#include "broker/tls/random.hpp"
#include "broker/util/clock.hpp"

namespace iotb::actors {

namespace {

std::string ip_of(const std::string& peer) {
  auto colon = peer.rfind(':');
  auto ip = colon == std::string::npos ? peer : peer.substr(0, colon);
  if (ip.size() > 2 && ip.front() == '[' && ip.back() == ']')
    ip = ip.substr(1, ip.size() - 2);
  return ip;
}

/// A first packet that is not a valid CONNECT.
void refuse_bad_first_packet(const net::transport_ptr& t, const net::connect_attempt& a) {
  if (a.not_connect) {
    IOTB_LOG_EVENT(info, "net") << "peer=" << t->peer() << " closed: first packet is not CONNECT";
    t->close();
    return;
  }
  IOTB_LOG_EVENT(info, "net") << "peer=" << t->peer() << " CONNECT refused: " << a.error.what;
  if (a.level == 5 || a.error.code == mqtt::errc::unsupported_version) {
    std::vector<std::uint8_t> out;
    mqtt::encode(mqtt::connack{false, mqtt::to_reason(a.error.code), {}},
                 a.level == 5 ? mqtt::version::v5 : mqtt::version::v311, out);
    t->reject(std::move(out));
  } else {
    t->close();
  }
}

}  // namespace

void refuse_connect(const net::transport_ptr& t, const mqtt::connect& c, mqtt::reason r,
                    const std::string& why) {
  IOTB_LOG_EVENT(info, "session") << "peer=" << t->peer() << " client='" << c.client_id
                                  << "' refused (" << mqtt::to_string(r) << "): " << why;
  std::vector<std::uint8_t> out;
  mqtt::encode(mqtt::connack{false, r, {}}, c.ver, out);
  t->reject(std::move(out));
}

void connect_gate::operator()(net::transport_ptr t, net::connect_attempt&& a) const {
  if (!a.connect)
    return refuse_bad_first_packet(t, a);
  auto& c = *a.connect;
  const auto& cfg = ctx_->cfg;
  if (c.props.authentication_method)
    return refuse_connect(t, c, mqtt::reason::bad_authentication_method,
                          "enhanced authentication is not supported");
  if (!ctx_->connects_all.try_take(clock::now())) {
    ctx_->metrics.throttle(metrics::throttle_kind::connect);
    return refuse_connect(t, c,
                          c.ver == mqtt::version::v5 ? mqtt::reason::connection_rate_exceeded
                                                     : mqtt::reason::server_unavailable,
                          "more than " + std::to_string(cfg.max_connect_rate) +
                              " CONNECTs per second (max-connect-rate)");
  }
  const auto& peer = t->peer();
  auto res =
      ctx_->authn->authenticate({c, peer, t->settings().anonymous_allowed, t->settings().secure});
  if (res.code != mqtt::reason::success) {
    ctx_->metrics.auth_failures.inc();
    if (!res.who.product_key.empty() && !res.who.device_name.empty())
      ctx_->device_log(res.who.product_key, res.who.device_name, store::log_kind::auth_failure,
                       std::string(mqtt::to_string(res.code)) + ": " + res.why, ip_of(peer));
    return refuse_connect(t, c, res.code, res.why);
  }
  if (!res.client_id.empty())
    c.client_id = std::move(res.client_id);
  bool assigned = false;
  if (c.client_id.empty()) {
    if (c.ver == mqtt::version::v31 || (c.ver == mqtt::version::v311 && !c.clean_start))
      return refuse_connect(t, c, mqtt::reason::client_identifier_not_valid,
                            "an empty client id needs a clean session");
    c.client_id = "auto-" + tls::random_hex(12);
    assigned = true;
  }
  if (c.client_id.size() > cfg.max_client_id_length)
    return refuse_connect(t, c, mqtt::reason::client_identifier_not_valid, "client id too long");
  auto req = std::make_shared<connect_request>();
  if (res.who.who == auth::identity::kind::registration) {
    // A registration connection answers once and closes: a fresh session.
    req->session_name = std::string(1, '\0') + "r" + tls::random_hex(8);
    c.clean_start = true;
    c.props.session_expiry_interval.reset();
    c.will_msg.reset();
  } else {
    req->session_name = res.session_key.empty() ? c.client_id : std::move(res.session_key);
  }
  req->transport = std::move(t);
  req->connect = std::move(c);
  req->who = std::move(res.who);
  req->assigned_id = assigned;
  caf::anon_send(ctx_->manager, connect_msg{std::move(req)});
}

}  // namespace iotb::actors
