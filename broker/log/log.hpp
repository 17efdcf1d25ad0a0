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

/// The budget of one call site of `IOTB_LOG_LIMITED`: one line per second;
/// what is held back meanwhile is counted and reported on the next line.
/// Thread-safety: any thread.
class rate_gate {
 public:
  /// True when a line may be written now; then `held` is the number of
  /// lines suppressed since the last one.
  [[nodiscard]] bool allow(std::uint64_t& held) noexcept;

 private:
  std::atomic<std::int64_t> next_ns_{0};
  std::atomic<std::uint64_t> held_{0};
};

}  // namespace iotb::log

// A for-statement rather than if/else: safe inside an unbraced `if`.
#define IOTB_LOG(lvl, component)                                                            \
  for (bool iotb_log_once_ = ::iotb::log::enabled(::iotb::log::level::lvl); iotb_log_once_; \
       iotb_log_once_ = false)                                                              \
  ::iotb::log::line(::iotb::log::level::lvl, component)

// As IOTB_LOG, but at most one line per second from this call site; the
// next line written says how many were suppressed. For every line that an
// outside event can repeat (refusals, denials, bad input, store errors).
#define IOTB_LOG_LIMITED(lvl, component)                                              \
  for (                                                                               \
      std::uint64_t iotb_held_ = 0,                                                   \
                    iotb_log_once_ = ::iotb::log::enabled(::iotb::log::level::lvl) && \
                                     []() -> ::iotb::log::rate_gate & {               \
                      static ::iotb::log::rate_gate g;                                \
                      return g;                                                       \
                    }()                                                               \
                                                 .allow(iotb_held_);                  \
      iotb_log_once_; iotb_log_once_ = 0)                                             \
  ::iotb::log::line(::iotb::log::level::lvl, component).suppressed(iotb_held_)
