/// @file
/// UTF-8, topic name and topic filter validation (MQTT 1.5.4, 4.7).

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "broker/mqtt/codec.hpp"

namespace iotb::mqtt {

namespace {

/// Longest string MQTT can carry.
constexpr std::size_t max_string_size = 65535;

/// Checks the levels of a (non-shared) filter: `+` alone in its level, `#`
/// alone in the last level.
bool valid_filter_levels(std::string_view s) noexcept {
  if (s.empty())
    return false;
  std::size_t start = 0;
  for (;;) {
    auto slash = s.find('/', start);
    auto level =
        s.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    if (level.find('+') != std::string_view::npos && level != "+")
      return false;
    if (level.find('#') != std::string_view::npos &&
        (level != "#" || slash != std::string_view::npos))
      return false;
    if (slash == std::string_view::npos)
      return true;
    start = slash + 1;
  }
}

}  // namespace

bool valid_utf8(std::string_view s) noexcept {
  const auto* p = reinterpret_cast<const std::uint8_t*>(s.data());
  const auto* end = p + s.size();
  while (p < end) {
    std::uint32_t c = *p;
    if (c < 0x80) {
      if (c == 0)
        return false;  // U+0000 is not allowed in MQTT strings
      ++p;
      continue;
    }
    std::size_t extra = 0;
    std::uint32_t min = 0;
    if ((c & 0xE0) == 0xC0) {
      extra = 1;
      c &= 0x1F;
      min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
      extra = 2;
      c &= 0x0F;
      min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
      extra = 3;
      c &= 0x07;
      min = 0x10000;
    } else {
      return false;  // continuation byte or 0xF8..0xFF as a lead byte
    }
    if (static_cast<std::size_t>(end - p) <= extra)
      return false;  // truncated sequence
    for (std::size_t i = 1; i <= extra; ++i) {
      std::uint32_t cc = p[i];
      if ((cc & 0xC0) != 0x80)
        return false;
      c = (c << 6) | (cc & 0x3F);
    }
    if (c < min)
      return false;  // overlong encoding
    if (c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
      return false;  // beyond Unicode, or a UTF-16 surrogate
    p += extra + 1;
  }
  return true;
}

bool valid_topic_name(std::string_view s) noexcept {
  return !s.empty() && s.size() <= max_string_size &&
         s.find_first_of("+#") == std::string_view::npos && valid_utf8(s);
}

bool valid_topic_filter(std::string_view s) noexcept {
  if (s.empty() || s.size() > max_string_size || !valid_utf8(s))
    return false;
  constexpr std::string_view share_prefix = "$share/";
  if (!s.starts_with(share_prefix))
    return valid_filter_levels(s);
  // $share/<group>/<filter>
  auto rest = s.substr(share_prefix.size());
  auto slash = rest.find('/');
  if (slash == std::string_view::npos || slash == 0)
    return false;
  if (rest.substr(0, slash).find_first_of("+#") != std::string_view::npos)
    return false;
  return valid_filter_levels(rest.substr(slash + 1));
}

}  // namespace iotb::mqtt
