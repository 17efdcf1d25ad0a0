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

 private:
  std::ostringstream out_;
};

}  // namespace iotb::log

// A for-statement rather than if/else: safe inside an unbraced `if`.
#define IOTB_LOG(lvl, component)                                                            \
  for (bool iotb_log_once_ = ::iotb::log::enabled(::iotb::log::level::lvl); iotb_log_once_; \
       iotb_log_once_ = false)                                                              \
  ::iotb::log::line(::iotb::log::level::lvl, component)
