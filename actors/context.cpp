#include "actors/context.hpp"

#include <chrono>

#include "broker/metrics/broker_metrics.hpp"
#include "broker/util/clock.hpp"

namespace iotb::actors {

broker_context::broker_context(config c)
    : cfg(std::move(c)),
      ids(clock::wall_ms()),
      authn(std::make_unique<auth::anonymous_authenticator>()),
      authz(std::make_unique<acl::open_authorizer>()),
      uplink_all(cfg.broker_uplink_rate, std::chrono::seconds{1}),
      connects_all(cfg.max_connect_rate, std::chrono::seconds{1}) {}

std::string broker_context::prometheus_text() const {
  metrics::scrape_gauges g;
  g.subscriptions = static_cast<std::int64_t>(subs.size());
  g.retained = static_cast<std::int64_t>(retained.size());
  if (durable) {
    auto s = durable->snapshot();
    g.store_used_bytes = static_cast<std::int64_t>(s.used_bytes);
    g.store_max_bytes = static_cast<std::int64_t>(s.max_bytes);
  }
  auto text = metrics::render_prometheus(metrics, g);
  if (metrics_extra)
    text += metrics_extra();
  return text;
}

void broker_context::device_log(const std::string& pk, const std::string& dn, store::log_kind kind,
                                std::string text, std::string ip) const {
  if (!writer)
    return;
  writer->submit([pk, dn, kind, text = std::move(text), ip = std::move(ip),
                  t = clock::wall_ms()](store::write_txn& txn) {
    // A device deleted meanwhile has no log to append to: not an error.
    if (!store::get_device(txn, pk, dn))
      return expected<bool, store::error>(true);
    return store::append_log(txn, pk, dn, kind, text, ip, t);
  });
}

void broker_context::device_state(const std::string& pk, const std::string& dn, bool online,
                                  std::string ip, store::log_kind kind, std::string text) const {
  if (!writer)
    return;
  writer->submit([pk, dn, online, ip = std::move(ip), kind, text = std::move(text),
                  t = clock::wall_ms()](store::write_txn& txn) {
    if (!store::get_device(txn, pk, dn))
      return expected<bool, store::error>(true);  // deleted meanwhile
    auto ok = online ? store::mark_online(txn, pk, dn, ip, t) : store::mark_offline(txn, pk, dn, t);
    if (!ok)
      return ok;
    return store::append_log(txn, pk, dn, kind, text, ip, t);
  });
}

}  // namespace iotb::actors
