#pragma once
/// @file
/// Dates for timestamp(), timestamp_utc(), format_date(),
/// unix_ts_to_rfc3339() and rfc3339_to_unix_ts(): proleptic Gregorian
/// calendar arithmetic without the C library's time-zone state. Internal to
/// broker/rules.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace iotb::rules::detail {

/// A point in time: whole seconds since the Unix epoch and nanoseconds.
struct instant {
  std::int64_t seconds = 0;
  std::int32_t nanos = 0;  ///< 0 … 999,999,999
};

/// Time units of format_date() and the RFC 3339 functions.
enum class time_unit : std::uint8_t { second, millisecond, microsecond, nanosecond };
[[nodiscard]] std::optional<time_unit> parse_unit(std::string_view s) noexcept;
[[nodiscard]] instant from_unit(std::int64_t v, time_unit u) noexcept;
/// Nothing on overflow.
[[nodiscard]] std::optional<std::int64_t> to_unit(instant t, time_unit u) noexcept;

/// Java-style patterns (the platform's timestamp(format)): y M d H h m s S
/// a Z X and 'quoted text'. Empty when `pattern` is fine, else why not.
[[nodiscard]] std::string check_java_pattern(std::string_view pattern);
/// `t` formatted by a checked pattern, in UTC.
[[nodiscard]] std::string format_java(std::string_view pattern, instant t);

/// strftime-style formats (format_date): %Y %m %d %H %M %S %N %3N %6N %9N
/// %z %:z %%. Empty when fine, else why not.
[[nodiscard]] std::string check_strftime(std::string_view format);
/// `t` formatted at UTC offset `offset_s` seconds.
[[nodiscard]] std::string format_strftime(std::string_view format, instant t,
                                          std::int32_t offset_s);

/// Parses a UTC offset: "Z", "+08:00", "-0530", "local" is refused.
[[nodiscard]] std::optional<std::int32_t> parse_offset(std::string_view s) noexcept;

/// RFC 3339 in UTC with `digits` fraction digits (0, 3, 6, 9):
/// "2023-11-14T22:13:20.123Z".
[[nodiscard]] std::string rfc3339_utc(instant t, int digits);
/// Parses RFC 3339 ("2023-11-14T22:13:20Z", "…T22:13:20.5+08:00", a space
/// for the T); nothing when malformed.
[[nodiscard]] std::optional<instant> parse_rfc3339(std::string_view s) noexcept;

}  // namespace iotb::rules::detail
