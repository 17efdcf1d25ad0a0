#include "broker/thing/alink.hpp"

#include <array>
#include <vector>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace iotb::thing {

// -- requests ---------------------------------------------------------------------------

namespace {

alink_error bad(alink_code code, std::string message, std::string id = {}) {
  return alink_error{code, std::move(message), std::move(id)};
}

}  // namespace

expected<alink_request, alink_error> parse_request(std::string_view payload) {
  if (payload.size() > max_alink_bytes)
    return unexpected{bad(alink_code::bad_params, "request parameter error: payload too large")};
  if (!json_depth_within(payload, max_alink_depth))
    return unexpected{bad(alink_code::bad_params, "request parameter error: nested too deeply")};
  alink_request req;
  req.doc = std::make_unique<rapidjson::Document>();
  req.doc->Parse<rapidjson::kParseIterativeFlag>(payload.data(), payload.size());
  if (req.doc->HasParseError() || !req.doc->IsObject())
    return unexpected{bad(alink_code::not_json, "the payload is not a JSON object")};
  const rapidjson::Value& root = *req.doc;

  auto id = root.FindMember("id");
  if (id == root.MemberEnd())
    return unexpected{bad(alink_code::bad_params, "request parameter error: id is missing")};
  if (id->value.IsString() && id->value.GetStringLength() > 0 &&
      id->value.GetStringLength() <= max_alink_id)
    req.id.assign(id->value.GetString(), id->value.GetStringLength());
  else if (id->value.IsUint64())
    req.id = std::to_string(id->value.GetUint64());
  else
    return unexpected{
        bad(alink_code::bad_params,
            "request parameter error: id must be a string or a non-negative integer")};

  for (auto [key, out] : std::array<std::pair<const char*, std::string*>, 2>{
           {{"version", &req.version}, {"method", &req.method}}}) {
    auto it = root.FindMember(key);
    if (it == root.MemberEnd() || it->value.IsNull())
      continue;
    if (!it->value.IsString() || it->value.GetStringLength() > 128)
      return unexpected{bad(alink_code::bad_params,
                            std::string("request parameter error: ") + key + " must be a string",
                            req.id)};
    out->assign(it->value.GetString(), it->value.GetStringLength());
  }

  if (auto sys = root.FindMember("sys"); sys != root.MemberEnd() && !sys->value.IsNull()) {
    if (!sys->value.IsObject())
      return unexpected{
          bad(alink_code::bad_params, "request parameter error: sys must be an object", req.id)};
    if (auto ack = sys->value.FindMember("ack"); ack != sys->value.MemberEnd()) {
      if (ack->value.IsInt64() && (ack->value.GetInt64() == 0 || ack->value.GetInt64() == 1))
        req.ack = ack->value.GetInt64() == 1;
      else if (ack->value.IsBool())
        req.ack = ack->value.GetBool();
      else
        return unexpected{
            bad(alink_code::bad_params, "request parameter error: sys.ack must be 0 or 1", req.id)};
    }
  }

  if (auto p = root.FindMember("params"); p != root.MemberEnd())
    req.params = &p->value;
  return req;
}

std::string build_reply(const alink_reply& r) {
  rapidjson::StringBuffer sb;
  rapidjson::Writer<rapidjson::StringBuffer> w(sb);
  auto str = [&](const char* key, std::string_view v) {
    w.Key(key);
    w.String(v.data(), static_cast<rapidjson::SizeType>(v.size()));
  };
  w.StartObject();
  str("id", r.id);
  w.Key("code");
  w.Int(static_cast<int>(r.code));
  w.Key("data");
  std::string_view data = r.data_json.empty() ? std::string_view("{}") : r.data_json;
  w.RawValue(data.data(), data.size(), rapidjson::kObjectType);
  str("message", r.message);
  if (!r.method.empty())
    str("method", r.method);
  str("version", r.version.empty() ? std::string_view("1.0") : r.version);
  w.EndObject();
  return {sb.GetString(), sb.GetSize()};
}

// -- topics -------------------------------------------------------------------------------

const char* kind_name(topic_kind k) noexcept {
  switch (k) {
    case topic_kind::property_post:
      return "property_post";
    case topic_kind::property_history_post:
      return "property_history_post";
    case topic_kind::event_post:
      return "event_post";
    case topic_kind::property_set_reply:
      return "property_set_reply";
    case topic_kind::service_reply:
      return "service_reply";
    case topic_kind::deviceinfo_update:
      return "deviceinfo_update";
    case topic_kind::deviceinfo_delete:
      return "deviceinfo_delete";
    case topic_kind::config_get:
      return "config_get";
    case topic_kind::config_push_reply:
      return "config_push_reply";
    case topic_kind::dynamic_tsl_get:
      return "dynamic_tsl_get";
    case topic_kind::ota_firmware_get:
      return "ota_firmware_get";
    case topic_kind::ota_inform:
      return "ota_inform";
    case topic_kind::ota_progress:
      return "ota_progress";
    case topic_kind::rrpc_response:
      return "rrpc_response";
    case topic_kind::ext_rrpc:
      return "ext_rrpc";
    case topic_kind::ntp_request:
      return "ntp_request";
    case topic_kind::shadow_update:
      return "shadow_update";
    case topic_kind::desired_get:
      return "desired_get";
    case topic_kind::desired_delete:
      return "desired_delete";
    case topic_kind::gateway:
      return "gateway";
  }
  return "gateway";
}

namespace {

/// Splits "/a/b/c" into {"a","b","c"}; nullopt for a topic not starting with
/// '/', an empty level, a wildcard, or more than 16 levels.
std::optional<std::vector<std::string_view>> levels(std::string_view t) {
  if (t.empty() || t[0] != '/')
    return std::nullopt;
  std::vector<std::string_view> out;
  std::size_t pos = 1;
  while (pos <= t.size()) {
    auto end = t.find('/', pos);
    if (end == std::string_view::npos)
      end = t.size();
    auto lv = t.substr(pos, end - pos);
    if (lv.empty() || lv.find_first_of("+#") != std::string_view::npos || out.size() == 16)
      return std::nullopt;
    out.push_back(lv);
    pos = end + 1;
  }
  return out;
}

/// "thing.event.property.post" from the levels after the device name.
std::string dotted(const std::vector<std::string_view>& lv, std::size_t from, std::size_t to) {
  std::string m;
  for (std::size_t i = from; i < to; ++i) {
    if (i > from)
      m += '.';
    m += lv[i];
  }
  return m;
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

std::optional<topic_info> map_sys(std::string_view topic, const std::vector<std::string_view>& lv) {
  // lv: sys pk dn …
  topic_info t{topic_kind::gateway, lv[1], lv[2], {}, {}, {}, {}};
  std::size_t n = lv.size();
  auto with_reply = [&](topic_kind k) {
    t.kind = k;
    t.method = dotted(lv, 3, n);
    t.reply_topic = std::string(topic) + "_reply";
    return t;
  };
  if (n == 6 && lv[3] == "rrpc" && lv[4] == "response") {
    t.kind = topic_kind::rrpc_response;
    t.identifier = lv[5];
    return t;
  }
  if (n < 5 || lv[3] != "thing")
    return std::nullopt;
  auto a = lv[4];
  if (a == "topo" || a == "sub" || a == "proxy" || a == "list" || a == "disable" || a == "enable" ||
      a == "delete")
    return with_reply(topic_kind::gateway);
  if (a == "event" && n >= 7 && lv[5] == "property") {
    if (n == 7 && lv[6] == "post")
      return with_reply(topic_kind::property_post);
    if (n == 8 && lv[6] == "history" && lv[7] == "post")
      return with_reply(topic_kind::property_history_post);
    if (n == 8 && lv[6] == "pack" && lv[7] == "post")
      return with_reply(topic_kind::gateway);
    return std::nullopt;
  }
  if (a == "event" && n == 7 && lv[6] == "post" && valid_identifier(lv[5])) {
    t.identifier = lv[5];
    return with_reply(topic_kind::event_post);
  }
  if (a == "service" && n == 7 && lv[5] == "property" && lv[6] == "set_reply") {
    t.kind = topic_kind::property_set_reply;
    t.method = "thing.service.property.set";
    return t;
  }
  if (a == "service" && n == 6 && ends_with(lv[5], "_reply")) {
    auto id = lv[5].substr(0, lv[5].size() - 6);
    if (!valid_identifier(id))
      return std::nullopt;
    t.kind = topic_kind::service_reply;
    t.identifier = id;
    t.method = "thing.service." + std::string(id);
    return t;
  }
  if (n == 6 && a == "deviceinfo" && lv[5] == "update")
    return with_reply(topic_kind::deviceinfo_update);
  if (n == 6 && a == "deviceinfo" && lv[5] == "delete")
    return with_reply(topic_kind::deviceinfo_delete);
  if (n == 6 && a == "config" && lv[5] == "get")
    return with_reply(topic_kind::config_get);
  if (n == 6 && a == "config" && lv[5] == "push_reply") {
    t.kind = topic_kind::config_push_reply;
    t.method = "thing.config.push";
    return t;
  }
  if (n == 6 && a == "dynamicTsl" && lv[5] == "get")
    return with_reply(topic_kind::dynamic_tsl_get);
  if (n == 7 && a == "ota" && lv[5] == "firmware" && lv[6] == "get")
    return with_reply(topic_kind::ota_firmware_get);
  if (n == 7 && a == "property" && lv[5] == "desired" && (lv[6] == "get" || lv[6] == "delete"))
    return with_reply(lv[6] == "get" ? topic_kind::desired_get : topic_kind::desired_delete);
  return std::nullopt;
}

}  // namespace

std::optional<topic_info> map_topic(std::string_view topic) {
  auto lv_opt = levels(topic);
  if (!lv_opt || lv_opt->size() < 2)
    return std::nullopt;
  auto& lv = *lv_opt;
  std::size_t n = lv.size();
  if (lv[0] == "sys" && n >= 4)
    return map_sys(topic, lv);
  if (lv[0] == "ota" && n == 5 && lv[1] == "device" && (lv[2] == "inform" || lv[2] == "progress"))
    return topic_info{lv[2] == "inform" ? topic_kind::ota_inform : topic_kind::ota_progress,
                      lv[3],
                      lv[4],
                      {},
                      {},
                      {},
                      {}};
  if (lv[0] == "ext" && lv[1] == "rrpc" && n >= 4) {
    auto rest_at = static_cast<std::size_t>(lv[3].data() - topic.data());
    return topic_info{topic_kind::ext_rrpc, {}, {}, lv[2], topic.substr(rest_at), {}, {}};
  }
  if (lv[0] == "ext" && lv[1] == "ntp" && n == 5 && lv[4] == "request")
    return topic_info{topic_kind::ntp_request,
                      lv[2],
                      lv[3],
                      {},
                      {},
                      {},
                      "/ext/ntp/" + std::string(lv[2]) + "/" + std::string(lv[3]) + "/response"};
  if (lv[0] == "ext" && lv[1] == "session" && n == 6 && lv[4] == "combine") {
    topic_info t{topic_kind::gateway, lv[2], lv[3], {}, {}, dotted(lv, 4, n), {}};
    t.reply_topic = std::string(topic) + "_reply";
    return t;
  }
  if (lv[0] == "shadow" && n == 4 && lv[1] == "update")
    return topic_info{topic_kind::shadow_update,
                      lv[2],
                      lv[3],
                      {},
                      {},
                      {},
                      "/shadow/get/" + std::string(lv[2]) + "/" + std::string(lv[3])};
  return std::nullopt;
}

std::string_view resolve_method(const alink_request& req, const topic_info& t) {
  if (!t.method.empty())
    return t.method;
  return req.method;
}

}  // namespace iotb::thing
