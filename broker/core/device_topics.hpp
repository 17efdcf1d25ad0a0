#pragma once
/// @file
/// Topics and JSON payloads the broker itself publishes to or for devices
/// (SPEC §2.2, §3): status notifications, the NTP responder, dynamic
/// registration answers. Pure functions; unit-tested in
/// device_topics.test.cpp.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace iotb::core {

/// `/as/mqtt/status/${pk}/${dn}`.
[[nodiscard]] std::string status_topic(std::string_view pk, std::string_view dn);

/// `{"status":"online|offline","productKey","deviceName","time","utcTime",
/// "lastTime","clientIp"}` with times in the cloud's formats: `time` and
/// `lastTime` as "YYYY-MM-DD hh:mm:ss.mmm" (UTC here: the broker has no
/// customer time zone), `utcTime` as ISO 8601 with `Z`.
[[nodiscard]] std::string status_payload(bool online, std::string_view pk, std::string_view dn,
                                         std::uint64_t time_ms, std::uint64_t last_ms,
                                         std::string_view client_ip);

/// `(pk, dn)` when `topic` is `/ext/ntp/${pk}/${dn}/request` (views into
/// `topic`), else nothing.
[[nodiscard]] std::optional<std::pair<std::string_view, std::string_view>> ntp_request_device(
    std::string_view topic) noexcept;
/// `(pk, dn)` of the device whose namespace `topic` is in (SPEC §3:
/// `/${pk}/${dn}/…`, `/sys/${pk}/${dn}/…`, `/shadow/{update,get}/${pk}/${dn}`,
/// `/ota/device/<kind>/${pk}/${dn}`, `/ext/{ntp,error}/${pk}/${dn}…`,
/// `/ext/rrpc/${id}/<device topic>`), views into `topic`; nothing for other
/// topics (broadcasts, application topics).
[[nodiscard]] std::optional<std::pair<std::string_view, std::string_view>> device_of_topic(
    std::string_view topic) noexcept;
/// True when `topic` is `/ext/ntp/${pk}/${dn}/request`.
[[nodiscard]] bool is_ntp_request(std::string_view topic, std::string_view pk,
                                  std::string_view dn) noexcept;
/// `/ext/ntp/${pk}/${dn}/response`.
[[nodiscard]] std::string ntp_response_topic(std::string_view pk, std::string_view dn);
/// The NTP answer to `request` (`{"deviceSendTime":"…"}`, the value a
/// string or a number): `{"deviceSendTime":"…","serverRecvTime":"…",
/// "serverSendTime":"…"}` with server times in ms since the epoch, as
/// strings like the cloud sends them. Nothing when `request` is not a JSON
/// object with `deviceSendTime`.
[[nodiscard]] std::optional<std::string> ntp_response(std::string_view request,
                                                      std::uint64_t recv_ms, std::uint64_t send_ms);

/// `{"productKey","deviceName","deviceSecret"}` (pre-registered answer).
[[nodiscard]] std::string register_payload(std::string_view pk, std::string_view dn,
                                           std::string_view device_secret);
/// `{"productKey","deviceName","clientId","deviceToken"}` (registration-free).
[[nodiscard]] std::string regnwl_payload(std::string_view pk, std::string_view dn,
                                         std::string_view client_id, std::string_view token);

/// "YYYY-MM-DD hh:mm:ss.mmm" (UTC) and "YYYY-MM-DDThh:mm:ss.mmmZ".
[[nodiscard]] std::string format_time(std::uint64_t ms, bool iso);

}  // namespace iotb::core
