#pragma once
/// @file
/// What the broker knows about a device's presence, for the actors that
/// push to a device when it comes back (desired values, shadow `control`):
/// the broker's own `/as/mqtt/status/${pk}/${dn}` notifications, and
/// whether one of the device's sessions subscribes to a topic.
///
/// Thread-safety: both functions use only the context's thread-safe parts.

#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "actors/context.hpp"

namespace iotb::actors {

/// The topic prefix of the broker's device status notifications.
inline constexpr std::string_view status_prefix = "/as/mqtt/status/";

/// pk and dn of an `online` notification published by the broker
/// (`{"status":"online",…}` on `/as/mqtt/status/${pk}/${dn}`); nullopt for
/// anything else (an offline one, or a message not from the broker).
[[nodiscard]] std::optional<std::pair<std::string, std::string>> online_device(const message& m);

/// True when one of device pk/dn's connected sessions subscribes to
/// `topic` (a push would reach it).
[[nodiscard]] bool device_subscribed(broker_context& ctx, std::string_view pk, std::string_view dn,
                                     const std::string& topic);

}  // namespace iotb::actors
