#include "broker/actions/device_topic.hpp"

#include <array>

namespace iotb::actions {

namespace {

/// The first `n` levels of `topic` (after its leading '/'); fewer when it
/// has fewer. Level 0 is the first after the leading slash.
template <std::size_t N>
std::size_t split(std::string_view topic, std::array<std::string_view, N>& out) {
  std::size_t n = 0;
  topic.remove_prefix(1);
  while (n < N) {
    auto slash = topic.find('/');
    out[n++] = topic.substr(0, slash);
    if (slash == std::string_view::npos)
      break;
    topic.remove_prefix(slash + 1);
  }
  return n;
}

}  // namespace

std::optional<std::pair<std::string_view, std::string_view>> device_of(
    std::string_view topic) noexcept {
  if (topic.size() < 2 || topic[0] != '/')
    return std::nullopt;
  std::array<std::string_view, 6> l{};
  auto n = split(topic, l);
  auto at = [&](std::size_t i) -> std::optional<std::pair<std::string_view, std::string_view>> {
    if (n <= i + 1 || l[i].empty() || l[i + 1].empty())
      return std::nullopt;
    return std::pair{l[i], l[i + 1]};
  };
  if (l[0] == "sys")
    return at(1);
  if (l[0] == "ext")
    return (l[1] == "ntp" || l[1] == "session" || l[1] == "error") ? at(2) : std::nullopt;
  if (l[0] == "shadow")
    return (l[1] == "update" || l[1] == "get") ? at(2) : std::nullopt;
  if (l[0] == "ota")
    return l[1] == "device" ? at(3) : std::nullopt;
  if (l[0] == "as")
    return (l[1] == "mqtt" && l[2] == "status") ? at(3) : std::nullopt;
  if (l[0] == "broadcast")
    return std::nullopt;
  if (n >= 3 && l[2] == "user")
    return at(0);
  return std::nullopt;
}

}  // namespace iotb::actions
