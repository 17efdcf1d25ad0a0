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
