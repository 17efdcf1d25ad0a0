#pragma once
/// @file
/// The broker's one clock, in two readings:
/// - monotonic time (`clock::now()`, a `std::chrono::steady_clock` time
///   point) for everything measured: timers, rates and quotas, timeouts,
///   deadlines, durations;
/// - wall time (`clock::wall_ms()`, milliseconds since the Unix epoch) for
///   everything stored or shown: record timestamps, device-log lines, status
///   messages, NTP answers, session expiry across restarts.
/// Code that tests need to drive with a fake clock takes the time as an
/// argument (the token buckets, the session state machine's environment,
/// the admin token store) instead of calling these.
///
/// Thread-safety: all functions may be called from any thread.

#include <chrono>
#include <cstdint>

namespace iotb::clock {

using mono = std::chrono::steady_clock;
using wall = std::chrono::system_clock;

/// Monotonic now.
[[nodiscard]] inline mono::time_point now() noexcept {
  return mono::now();
}

/// Milliseconds since the Unix epoch of `t` (0 before the epoch).
[[nodiscard]] inline std::uint64_t to_ms(wall::time_point t) noexcept {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  return ms < 0 ? 0 : static_cast<std::uint64_t>(ms);
}

/// Wall-clock now, in milliseconds since the Unix epoch.
[[nodiscard]] inline std::uint64_t wall_ms() noexcept {
  return to_ms(wall::now());
}

}  // namespace iotb::clock
