#include "actors/device_presence.hpp"

#include <algorithm>
#include <vector>

#include <rapidjson/document.h>

namespace iotb::actors {

std::optional<std::pair<std::string, std::string>> online_device(const message& m) {
  if (m.origin != 0 || !m.topic.starts_with(status_prefix))
    return std::nullopt;
  std::string_view rest(m.topic);
  rest.remove_prefix(status_prefix.size());
  auto slash = rest.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 == rest.size())
    return std::nullopt;
  rapidjson::Document d;
  d.Parse(m.payload.data(), m.payload.size());
  if (d.HasParseError() || !d.IsObject())
    return std::nullopt;
  auto it = d.FindMember("status");
  if (it == d.MemberEnd() || !it->value.IsString() ||
      std::string_view(it->value.GetString()) != "online")
    return std::nullopt;
  return std::pair{std::string(rest.substr(0, slash)), std::string(rest.substr(slash + 1))};
}

bool device_subscribed(broker_context& ctx, std::string_view pk, std::string_view dn,
                       const std::string& topic) {
  std::vector<std::uint64_t> keys;
  for (const auto& s : ctx.directory.device_sessions(pk, dn))
    keys.push_back(s.key);
  if (keys.empty())
    return false;
  bool found = false;
  ctx.subs.match(topic, [&](const sub_entry& e) {
    found = found || std::find(keys.begin(), keys.end(), e.session) != keys.end();
  });
  return found;
}

}  // namespace iotb::actors
