#pragma once
/// @file
/// Structured, levelled logging to stderr: one line per event,
/// `2026-11-23T10:00:00.123Z INFO  conn  client=abc connected`.
///
/// Usage: `IOTB_LOG(info, "conn") << "client=" << id << " connected";` — the
/// stream expression is not evaluated when the level is disabled.
///
/// Thread-safety: every function may be called from any thread; a line is
/// written with one `write(2)` so lines never interleave.

#include <atomic>
#include <cstdint>
#include <sstream>
#include <string_view>

namespace iotb::log {

/// Severity, from most to least verbose.
enum class level : std::uint8_t { trace, debug, info, warn, error, off };

/// Parses "trace", "debug", "info", "warn", "error" or "off".
/// @returns false for any other string (and leaves `out` unchanged).
[[nodiscard]] bool parse_level(std::string_view s, level& out) noexcept;

/// The name `parse_level` reads ("info").
[[nodiscard]] std::string_view to_string(level l) noexcept;

/// Sets the minimum level written (default: info).
void set_level(level l) noexcept;

/// True when a message at `l` would be written.
[[nodiscard]] bool enabled(level l) noexcept;

/// Collects one line and writes it on destruction.
class line {
 public:
  line(level l, std::string_view component);
  ~line();
  line(const line&) = delete;
  line& operator=(const line&) = delete;

  template <class T>
  line& operator<<(const T& x) {
    out_ << x;
    return *this;
  }

  /// Ends the line with "(N similar lines suppressed)" when `n` > 0.
  line& suppressed(std::uint64_t n) noexcept {
    suppressed_ = n;
    return *this;
  }

 private:
  std::ostringstream out_;
  std::uint64_t suppressed_ = 0;
};

/// The budget of one call site of `IOTB_LOG_LIMITED` (one line per second)
/// or `IOTB_LOG_EVENT` (a burst of lines per second): what is held back
/// meanwhile is counted and reported on the next line written.
/// Thread-safety: any thread (a burst may overshoot by the number of
/// threads racing at a window's start; nothing worse).
class rate_gate {
 public:
  explicit rate_gate(std::uint32_t per_second = 1) noexcept : per_second_(per_second) {}
  /// True when a line may be written now; then `held` is the number of
  /// lines suppressed since the last one.
  [[nodiscard]] bool allow(std::uint64_t& held) noexcept;

 private:
  const std::uint32_t per_second_;
  std::atomic<std::int64_t> window_end_ns_{0};
  std::atomic<std::uint32_t> used_{0};  ///< lines written in this window
  std::atomic<std::uint64_t> held_{0};
};

/// Lines per second of one `IOTB_LOG_EVENT` call site.
inline constexpr std::uint32_t event_lines_per_second = 20;

}  // namespace iotb::log

// A for-statement rather than if/else: safe inside an unbraced `if`.
#define IOTB_LOG(lvl, component)                                                            \
  for (bool iotb_log_once_ = ::iotb::log::enabled(::iotb::log::level::lvl); iotb_log_once_; \
       iotb_log_once_ = false)                                                              \
  ::iotb::log::line(::iotb::log::level::lvl, component)

// As IOTB_LOG, but at most one line per second from this call site; the
// next line written says how many were suppressed. For every line that an
// outside event can repeat (refusals, denials, bad input, store errors).
#define IOTB_LOG_GATED(lvl, component, per_second)                                    \
  for (                                                                               \
      std::uint64_t iotb_held_ = 0,                                                   \
                    iotb_log_once_ = ::iotb::log::enabled(::iotb::log::level::lvl) && \
                                     []() -> ::iotb::log::rate_gate & {               \
                      static ::iotb::log::rate_gate g{per_second};                    \
                      return g;                                                       \
                    }()                                                               \
                                                 .allow(iotb_held_);                  \
      iotb_log_once_; iotb_log_once_ = 0)                                             \
  ::iotb::log::line(::iotb::log::level::lvl, component).suppressed(iotb_held_)
#define IOTB_LOG_LIMITED(lvl, component) IOTB_LOG_GATED(lvl, component, 1)

// For a line per outside event that a peer may repeat at will (a refused
// CONNECT, an ACL denial, a bad request): every event is logged up to
// `event_lines_per_second` per call site and second, a flood is summarised
// by the count on the next line.
#define IOTB_LOG_EVENT(lvl, component) \
  IOTB_LOG_GATED(lvl, component, ::iotb::log::event_lines_per_second)
