#pragma once
/// @file
/// What the scenarios (scenario.cpp, scenario_rrpc.cpp) share about the
/// connect phase and the pacer.

#include <chrono>
#include <cstddef>
#include <cstdint>

namespace iotb::loadgen::pacing {

/// CONNECTs in flight at once during the connect phase.
inline constexpr std::size_t max_connecting = 200;
/// The connect phase must complete within this.
inline constexpr std::chrono::seconds connect_deadline{30};
/// The pacer's period.
inline constexpr std::chrono::milliseconds pace_period{1};

/// The steady clock in nanoseconds.
inline std::uint64_t now_ns() noexcept {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                        std::chrono::steady_clock::now().time_since_epoch())
                                        .count());
}

}  // namespace iotb::loadgen::pacing
