#include "broker/core/device_topics.hpp"

#include <ctime>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace iotb::core {

namespace {

using writer_t = rapidjson::Writer<rapidjson::StringBuffer>;

void kv(writer_t& w, const char* k, std::string_view v) {
  w.Key(k);
  w.String(v.data(), static_cast<rapidjson::SizeType>(v.size()));
}

}  // namespace

std::string format_time(std::uint64_t ms, bool iso) {
  auto secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[40];
  std::snprintf(buf, sizeof buf,
                iso ? "%04d-%02d-%02dT%02d:%02d:%02d.%03uZ" : "%04d-%02d-%02d %02d:%02d:%02d.%03u",
                tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<unsigned>(ms % 1000));
  return buf;
}

std::string status_topic(std::string_view pk, std::string_view dn) {
  std::string t = "/as/mqtt/status/";
  t.append(pk).push_back('/');
  t.append(dn);
  return t;
}

std::string status_payload(bool online, std::string_view pk, std::string_view dn,
                           std::uint64_t time_ms, std::uint64_t last_ms,
                           std::string_view client_ip) {
  rapidjson::StringBuffer sb;
  writer_t w(sb);
  w.StartObject();
  kv(w, "status", online ? "online" : "offline");
  kv(w, "productKey", pk);
  kv(w, "deviceName", dn);
  kv(w, "time", format_time(time_ms, false));
  kv(w, "utcTime", format_time(time_ms, true));
  kv(w, "lastTime", format_time(last_ms, false));
  kv(w, "clientIp", client_ip);
  w.EndObject();
  return {sb.GetString(), sb.GetSize()};
}

std::optional<std::pair<std::string_view, std::string_view>> ntp_request_device(
    std::string_view topic) noexcept {
  constexpr std::string_view head = "/ext/ntp/";
  constexpr std::string_view tail = "/request";
  if (!topic.starts_with(head) || !topic.ends_with(tail))
    return std::nullopt;
  auto mid = topic.substr(head.size(), topic.size() - head.size() - tail.size());
  auto slash = mid.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 == mid.size() ||
      mid.find('/', slash + 1) != std::string_view::npos)
    return std::nullopt;
  return std::make_pair(mid.substr(0, slash), mid.substr(slash + 1));
}

namespace {

/// Splits `topic` at '/' into at most `max` levels (the first is the empty
/// level before the leading slash). @returns the count.
std::size_t split_levels(std::string_view topic, std::string_view* out, std::size_t max) {
  std::size_t n = 0;
  while (n < max) {
    auto slash = topic.find('/');
    out[n++] = topic.substr(0, slash);
    if (slash == std::string_view::npos)
      break;
    topic.remove_prefix(slash + 1);
  }
  return n;
}

bool plausible(std::string_view pk, std::string_view dn) {
  return !pk.empty() && !dn.empty() && pk.size() <= 64 && dn.size() <= 64;
}

}  // namespace

std::optional<std::pair<std::string_view, std::string_view>> device_of_topic(
    std::string_view topic) noexcept {
  std::string_view l[8];
  auto n = split_levels(topic, l, 8);
  if (n < 3 || !l[0].empty())
    return std::nullopt;
  auto pair = [&](std::size_t i) -> std::optional<std::pair<std::string_view, std::string_view>> {
    if (i + 1 < n && plausible(l[i], l[i + 1]))
      return std::make_pair(l[i], l[i + 1]);
    return std::nullopt;
  };
  if (l[1] == "sys")
    return pair(2);
  if (l[1] == "shadow" && n >= 5)
    return pair(3);
  if (l[1] == "ota" && n >= 6 && l[2] == "device")
    return pair(4);
  if (l[1] == "ext" && n >= 5 && (l[2] == "ntp" || l[2] == "error"))
    return pair(3);
  if (l[1] == "ext" && n >= 5 && l[2] == "rrpc") {
    // `/ext/rrpc/${id}/` then a device topic.
    auto prefix = 1 + l[1].size() + 1 + l[2].size() + 1 + l[3].size();
    return device_of_topic(topic.substr(prefix));
  }
  if (l[1] == "broadcast" || l[1] == "as" || l[1] == "ext" || l[1] == "ota" || l[1] == "shadow")
    return std::nullopt;
  if (n >= 4)
    return pair(1);
  return std::nullopt;
}

bool is_ntp_request(std::string_view topic, std::string_view pk, std::string_view dn) noexcept {
  constexpr std::string_view head = "/ext/ntp/";
  constexpr std::string_view tail = "/request";
  return topic.size() == head.size() + pk.size() + 1 + dn.size() + tail.size() &&
         topic.starts_with(head) && topic.ends_with(tail) &&
         topic.substr(head.size(), pk.size()) == pk && topic[head.size() + pk.size()] == '/' &&
         topic.substr(head.size() + pk.size() + 1, dn.size()) == dn;
}

std::string ntp_response_topic(std::string_view pk, std::string_view dn) {
  std::string t = "/ext/ntp/";
  t.append(pk).push_back('/');
  t.append(dn).append("/response");
  return t;
}

std::optional<std::string> ntp_response(std::string_view request, std::uint64_t recv_ms,
                                        std::uint64_t send_ms) {
  rapidjson::Document d;
  d.Parse<rapidjson::kParseStopWhenDoneFlag>(request.data(), request.size());
  if (d.HasParseError() || !d.IsObject())
    return std::nullopt;
  auto it = d.FindMember("deviceSendTime");
  if (it == d.MemberEnd())
    return std::nullopt;
  std::string sent;
  if (it->value.IsString())
    sent.assign(it->value.GetString(), it->value.GetStringLength());
  else if (it->value.IsUint64())
    sent = std::to_string(it->value.GetUint64());
  else if (it->value.IsInt64())
    sent = std::to_string(it->value.GetInt64());
  else
    return std::nullopt;
  rapidjson::StringBuffer sb;
  writer_t w(sb);
  w.StartObject();
  kv(w, "deviceSendTime", sent);
  kv(w, "serverRecvTime", std::to_string(recv_ms));
  kv(w, "serverSendTime", std::to_string(send_ms));
  w.EndObject();
  return std::string(sb.GetString(), sb.GetSize());
}

std::string register_payload(std::string_view pk, std::string_view dn,
                             std::string_view device_secret) {
  rapidjson::StringBuffer sb;
  writer_t w(sb);
  w.StartObject();
  kv(w, "productKey", pk);
  kv(w, "deviceName", dn);
  kv(w, "deviceSecret", device_secret);
  w.EndObject();
  return {sb.GetString(), sb.GetSize()};
}

std::string regnwl_payload(std::string_view pk, std::string_view dn, std::string_view client_id,
                           std::string_view token) {
  rapidjson::StringBuffer sb;
  writer_t w(sb);
  w.StartObject();
  kv(w, "productKey", pk);
  kv(w, "deviceName", dn);
  kv(w, "clientId", client_id);
  kv(w, "deviceToken", token);
  w.EndObject();
  return {sb.GetString(), sb.GetSize()};
}

}  // namespace iotb::core
