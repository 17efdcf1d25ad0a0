#include "broker/thing/uplink.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "broker/thing/json_text.hpp"

namespace iotb::thing {

namespace {

using writer = rapidjson::Writer<rapidjson::StringBuffer>;

std::string_view sv(const rapidjson::Value& v) {
  return {v.GetString(), v.GetStringLength()};
}

/// A string member, or a number written as text (the SDKs send both).
std::optional<std::string> text_member(const rapidjson::Value& o, const char* name) {
  if (!o.IsObject())
    return std::nullopt;
  auto m = o.FindMember(name);
  if (m == o.MemberEnd())
    return std::nullopt;
  if (m->value.IsString())
    return std::string(sv(m->value));
  if (m->value.IsInt64())
    return std::to_string(m->value.GetInt64());
  return std::nullopt;
}

/// The reply for `out` (unless the device asked for none).
void answer(uplink_outcome& out, const topic_info& t, bool ack, std::string_view method,
            std::string_view message, std::string_view data = "{}") {
  if (!ack || t.reply_topic.empty())
    return;
  alink_reply r;
  r.id = out.id;
  r.code = out.code;
  r.message = message;
  r.method = method;
  r.data_json = data;
  out.reply = build_reply(r);
  out.reply_topic = t.reply_topic;
}

void refuse(uplink_outcome& out, const topic_info& t, bool ack, std::string_view method,
            alink_code code, std::string message) {
  out.code = code;
  answer(out, t, ack, method, message);
  out.log = std::string(kind_name(t.kind)) + " refused (" + std::to_string(static_cast<int>(code)) +
            "): " + message;
}

/// Every top-level value as it is (a product without a model).
check_result accept_all(const rapidjson::Value& params) {
  check_result r;
  if (!params.IsObject()) {
    r.code = alink_code::bad_params;
    r.message = "request parameter error: params must be an object";
    return r;
  }
  if (params.MemberCount() > max_post_properties) {
    r.code = alink_code::bad_params;
    r.message = "request parameter error: more than 500 properties";
    return r;
  }
  for (auto& m : params.GetObject()) {
    const rapidjson::Value* value = &m.value;
    std::optional<std::int64_t> at;
    if (m.value.IsObject()) {
      auto v = m.value.FindMember("value");
      auto tm = m.value.FindMember("time");
      bool wrapped =
          v != m.value.MemberEnd() &&
          (m.value.MemberCount() == 1 || (m.value.MemberCount() == 2 && tm != m.value.MemberEnd()));
      if (wrapped) {
        value = &v->value;
        if (tm != m.value.MemberEnd() && tm->value.IsInt64() && tm->value.GetInt64() >= 0)
          at = tm->value.GetInt64();
      }
    }
    r.accepted.push_back(accepted_value{sv(m.name), value, at});
  }
  return r;
}

void keep_values(uplink_outcome& out, const check_result& r, std::uint64_t now_ms) {
  out.values.reserve(r.accepted.size());
  for (const auto& a : r.accepted)
    out.values.push_back(posted_value{std::string(a.identifier), compact_json(*a.value),
                                      a.time ? static_cast<std::uint64_t>(*a.time) : now_ms});
}

void property_post(uplink_outcome& out, const topic_info& t, const alink_request& req,
                   std::string_view method, const product_model* pm, std::uint64_t now_ms) {
  if (!req.params)
    return refuse(out, t, req.ack, method, alink_code::bad_params,
                  "request parameter error: params is missing");
  auto r = pm && !pm->empty ? check_properties(*pm->index, *req.params, pm->mode)
                            : accept_all(*req.params);
  if (!r.ok())
    return refuse(out, t, req.ack, method, r.code, r.message);
  keep_values(out, r, now_ms);
  out.history_only = t.kind == topic_kind::property_history_post;
  if (!r.findings.empty()) {
    out.check_failed = check_failed_data(r);
    out.log = "property post: " + std::to_string(r.findings.size()) +
              " values failed the thing model (" + r.findings.front().message + ")";
    return answer(out, t, req.ack, method, "success", findings_reply_data(r));
  }
  answer(out, t, req.ack, method, "success");
}

void event_post(uplink_outcome& out, const topic_info& t, const alink_request& req,
                std::string_view method, const product_model* pm, std::uint64_t now_ms) {
  if (!req.params)
    return refuse(out, t, req.ack, method, alink_code::bad_params,
                  "request parameter error: params is missing");
  posted_event e;
  e.identifier = std::string(t.identifier);
  e.time_ms = now_ms;
  const event* ev = pm && !pm->empty ? pm->model.find_event(t.identifier) : nullptr;
  if (pm && !pm->empty && !ev) {
    std::string why = "tsl parse: event not exist -> " + e.identifier;
    if (pm->mode == check_mode::strict)
      return refuse(out, t, req.ack, method, alink_code::unknown_identifier, why);
    out.log = "event post: " + why;
  }
  const rapidjson::Value* values = req.params;
  std::string findings = "{}";
  if (ev) {
    e.type = event_type_name(ev->type);
    auto r = check_event(*ev, *req.params, pm->mode);
    if (!r.ok())
      return refuse(out, t, req.ack, method, r.code, r.message);
    if (!r.findings.empty()) {
      out.check_failed = check_failed_data(r);
      out.log = "event post: " + r.findings.front().message;
      findings = findings_reply_data(r);
    }
  }
  // The `{"value":{…},"time":…}` form: keep the values and their time.
  if (values->IsObject()) {
    auto v = values->FindMember("value");
    auto tm = values->FindMember("time");
    if (v != values->MemberEnd() && v->value.IsObject()) {
      if (tm != values->MemberEnd() && tm->value.IsInt64() && tm->value.GetInt64() >= 0)
        e.time_ms = static_cast<std::uint64_t>(tm->value.GetInt64());
      values = &v->value;
    }
  }
  e.params = compact_json(*values);
  out.event = std::move(e);
  answer(out, t, req.ack, method, "success", findings);
}

void deviceinfo(uplink_outcome& out, const topic_info& t, const alink_request& req,
                std::string_view method) {
  if (!req.params || !req.params->IsArray() || req.params->Size() == 0 || req.params->Size() > 100)
    return refuse(out, t, req.ack, method, alink_code::bad_params,
                  "request parameter error: params must be an array of 1..100 tags");
  bool update = t.kind == topic_kind::deviceinfo_update;
  for (auto& tag : req.params->GetArray()) {
    auto key = text_member(tag, "attrKey");
    auto value = text_member(tag, "attrValue");
    if (!key || key->empty() || key->size() > 100 || (update && (!value || value->size() > 1024)))
      return refuse(out, t, req.ack, method, alink_code::bad_params,
                    "request parameter error: each tag needs attrKey" +
                        std::string(update ? " and attrValue" : ""));
    if (update)
      out.tags_set.emplace_back(std::move(*key), std::move(*value));
    else
      out.tags_deleted.push_back(std::move(*key));
  }
  answer(out, t, req.ack, method, "success");
}

void desired(uplink_outcome& out, const topic_info& t, const alink_request& req,
             std::string_view method) {
  if (t.kind == topic_kind::desired_get) {
    std::vector<std::string> ids;
    if (req.params && req.params->IsArray())
      for (auto& v : req.params->GetArray())
        if (v.IsString())
          ids.emplace_back(sv(v));
    out.desired_get = std::move(ids);
    out.reply_topic = req.ack ? t.reply_topic : std::string{};
    return;  // the caller reads the values and answers
  }
  if (!req.params || !req.params->IsObject())
    return refuse(out, t, req.ack, method, alink_code::bad_params,
                  "request parameter error: params must be an object");
  for (auto& m : req.params->GetObject()) {
    std::uint64_t version = 0;
    if (m.value.IsObject())
      if (auto v = m.value.FindMember("version"); v != m.value.MemberEnd() && v->value.IsUint64())
        version = v->value.GetUint64();
    out.desired_delete.emplace_back(std::string(sv(m.name)), version);
  }
  answer(out, t, req.ack, method, "success");
}

void ota(uplink_outcome& out, const topic_info& t, const alink_request& req) {
  ota_report r;
  r.progress = t.kind == topic_kind::ota_progress;
  auto version = req.params ? text_member(*req.params, "version") : std::nullopt;
  auto step = req.params ? text_member(*req.params, "step") : std::nullopt;
  if (!r.progress && (!version || version->empty() || version->size() > 64)) {
    out.code = alink_code::bad_params;
    out.log = "OTA inform refused: params.version missing or over 64 characters";
    return;
  }
  if (r.progress) {
    char* end = nullptr;
    long s = step ? std::strtol(step->c_str(), &end, 10) : 0;
    if (!step || end == step->c_str() || *end != '\0' || s < -4 || s > 100) {
      out.code = alink_code::bad_params;
      out.log = "OTA progress refused: params.step must be -4..100";
      return;
    }
    r.step = static_cast<int>(s);
    r.desc = text_member(*req.params, "desc").value_or("").substr(0, 256);
  } else {
    r.version = std::move(*version);
  }
  r.module = req.params ? text_member(*req.params, "module").value_or("default") : "default";
  r.module = r.module.substr(0, 64);
  out.ota = std::move(r);
}

}  // namespace

expected<std::shared_ptr<const product_model>, tsl_error> product_model::make(std::string tsl,
                                                                              check_mode mode) {
  auto pm = std::make_shared<product_model>();
  pm->mode = mode;
  if (!tsl.empty()) {
    auto m = parse_tsl(tsl);
    if (!m)
      return unexpected{m.error()};
    pm->model = std::move(*m);
    pm->index = std::make_unique<model_index>(pm->model);
    pm->empty = false;
  }
  pm->tsl = std::move(tsl);
  return std::shared_ptr<const product_model>(std::move(pm));
}

uplink_outcome handle_uplink(const topic_info& t, std::string_view payload,
                             const product_model* model, std::uint64_t now_ms) {
  uplink_outcome out;
  auto req = parse_request(payload);
  if (!req) {
    out.id = req.error().id;
    refuse(out, t, true, t.method, req.error().code, req.error().message);
    if (t.kind == topic_kind::ota_inform || t.kind == topic_kind::ota_progress)
      out.reply.clear();  // OTA reports have no reply topic
    return out;
  }
  out.id = req->id;
  auto method = resolve_method(*req, t);
  switch (t.kind) {
    case topic_kind::property_post:
    case topic_kind::property_history_post:
      property_post(out, t, *req, method, model, now_ms);
      break;
    case topic_kind::event_post:
      event_post(out, t, *req, method, model, now_ms);
      break;
    case topic_kind::deviceinfo_update:
    case topic_kind::deviceinfo_delete:
      deviceinfo(out, t, *req, method);
      break;
    case topic_kind::desired_get:
    case topic_kind::desired_delete:
      desired(out, t, *req, method);
      break;
    case topic_kind::dynamic_tsl_get:
      answer(out, t, req->ack, method, "success",
             model && !model->tsl.empty() ? std::string_view(model->tsl) : "{}");
      break;
    case topic_kind::config_get:
      // The caller answers from the store (device_mgmt.hpp's config_get_reply).
      out.config_get = true;
      answer(out, t, req->ack, method, "success");
      break;
    case topic_kind::ota_inform:
    case topic_kind::ota_progress:
      ota(out, t, *req);
      break;
    case topic_kind::gateway:
      refuse(out, t, req->ack, method, alink_code::request_error,
             "gateway and sub-device topics are not supported yet");
      break;
    default:
      break;  // not an uplink this handler answers
  }
  return out;
}

std::string desired_get_reply(std::string_view id, const std::vector<desired_value>& values) {
  std::string data = "{";
  for (const auto& v : values) {
    if (data.size() > 1)
      data += ',';
    rapidjson::StringBuffer sb;
    writer w(sb);
    w.String(v.identifier.data(), static_cast<rapidjson::SizeType>(v.identifier.size()));
    data.append(sb.GetString(), sb.GetSize());
    data += ":{\"value\":";
    data += v.value;
    data += ",\"version\":";
    data += std::to_string(v.version);
    data += '}';
  }
  data += '}';
  alink_reply r;
  r.id = id;
  r.method = "thing.property.desired.get";
  r.data_json = data;
  return build_reply(r);
}

}  // namespace iotb::thing
