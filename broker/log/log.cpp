#include "broker/log/log.hpp"

#include <unistd.h>

#include <chrono>
#include <ctime>
#include <string>

#include "broker/util/clock.hpp"

namespace iotb::log {

namespace {

std::atomic<level>& min_level() {
  static std::atomic<level> lvl{level::info};
  return lvl;
}

constexpr std::string_view names[] = {"TRACE", "DEBUG", "INFO ", "WARN ", "ERROR", "OFF  "};

}  // namespace

namespace {
constexpr std::string_view level_names[] = {"trace", "debug", "info", "warn", "error", "off"};
}  // namespace

std::string_view to_string(level l) noexcept {
  auto i = static_cast<std::size_t>(l);
  return i < std::size(level_names) ? level_names[i] : "?";
}

bool parse_level(std::string_view s, level& out) noexcept {
  const auto& keys = level_names;
  for (std::size_t i = 0; i < std::size(keys); ++i) {
    if (s == keys[i]) {
      out = static_cast<level>(i);
      return true;
    }
  }
  return false;
}

void set_level(level l) noexcept {
  min_level().store(l, std::memory_order_relaxed);
}

bool enabled(level l) noexcept {
  return l >= min_level().load(std::memory_order_relaxed);
}

line::line(level l, std::string_view component) {
  using namespace std::chrono;
  auto now = clock::wall::now();
  auto secs = system_clock::to_time_t(now);
  auto ms = duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
  char frac[8];
  std::snprintf(frac, sizeof(frac), ".%03dZ ", static_cast<int>(ms));
  out_ << stamp << frac << names[static_cast<int>(l)] << ' ' << component << ": ";
}

line::~line() {
  if (suppressed_ != 0)
    out_ << " (" << suppressed_ << " similar lines suppressed)";
  out_ << '\n';
  auto s = out_.str();
  // One write per line: lines from different threads never interleave.
  [[maybe_unused]] auto n = ::write(STDERR_FILENO, s.data(), s.size());
}

bool rate_gate::allow(std::uint64_t& held) noexcept {
  auto now =
      std::chrono::duration_cast<std::chrono::nanoseconds>(clock::now().time_since_epoch()).count();
  auto end = window_end_ns_.load(std::memory_order_relaxed);
  if (now >= end &&
      window_end_ns_.compare_exchange_strong(end, now + 1'000'000'000, std::memory_order_relaxed))
    used_.store(0, std::memory_order_relaxed);  // a new window (this thread opened it)
  if (used_.fetch_add(1, std::memory_order_relaxed) >= per_second_) {
    held_.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  held = held_.exchange(0, std::memory_order_relaxed);
  return true;
}

}  // namespace iotb::log
