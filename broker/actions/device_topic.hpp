#pragma once
/// @file
/// Which device a topic belongs to (its product key and device name), for
/// the rules engine's productKey()/deviceName() and its sink records: the
/// SPEC §3 layouts `/sys/${pk}/${dn}/…`, `/ext/{ntp,session,error}/${pk}/${dn}…`,
/// `/shadow/{update,get}/${pk}/${dn}`, `/ota/device/<what>/${pk}/${dn}`,
/// `/as/mqtt/status/${pk}/${dn}` and custom topics `/${pk}/${dn}/user/…`.
/// Pure; unit-tested in device_topic.test.cpp.

#include <optional>
#include <string_view>
#include <utility>

namespace iotb::actions {

/// pk and dn (views into `topic`); nullopt for a topic of no device.
[[nodiscard]] std::optional<std::pair<std::string_view, std::string_view>> device_of(
    std::string_view topic) noexcept;

}  // namespace iotb::actions
