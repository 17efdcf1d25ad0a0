#pragma once
/// @file
/// The admin API's downlink quotas (SPEC §6): one token bucket per device
/// for everything the API sends a device (`/api/v1/publish` to a device
/// topic, RRPC, property set, service invoke: `--device-downlink-rate`,
/// 50/s) and one per product for broadcasts (`--broadcast-interval`).
///
/// Thread-safety: every member may be called from any thread (one leaf mutex).

#include <algorithm>
#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "actors/context.hpp"
#include "broker/admin/json.hpp"
#include "broker/limits/token_bucket.hpp"
#include "broker/util/clock.hpp"

namespace iotb::actors {

struct admin_quotas {
  explicit admin_quotas(const config& cfg)
      : downlink(cfg.device_downlink_rate, std::chrono::seconds{1}, cfg.device_downlink_rate,
                 100'000),
        broadcast(1, std::chrono::seconds{std::max<std::uint32_t>(cfg.broadcast_interval, 1)}, 1,
                  10'000),
        broadcast_on(cfg.broadcast_interval != 0),
        downlink_on(cfg.device_downlink_rate != 0) {}

  /// Takes one token of device pk/dn's downlink bucket. @returns the 429
  /// `throttled` error (counted in the metrics) when it is empty.
  [[nodiscard]] std::optional<admin::api_error> take_downlink(broker_context& ctx,
                                                              std::string_view pk,
                                                              std::string_view dn) {
    if (!downlink_on)
      return std::nullopt;
    std::string key{pk};
    key.append("/").append(dn);
    std::lock_guard lk(mu);
    if (downlink.try_take(key, clock::now()))
      return std::nullopt;
    ctx.metrics.throttle(metrics::throttle_kind::downlink);
    return admin::api_error{admin::api_errc::throttled,
                            "more than " + std::to_string(ctx.cfg.device_downlink_rate) +
                                " messages per second to this device"};
  }

  std::mutex mu;
  limits::keyed_rate downlink;
  limits::keyed_rate broadcast;
  bool broadcast_on;
  bool downlink_on;
};

}  // namespace iotb::actors
