#include "broker/admin/registry_json.hpp"

namespace iotb::admin {

const char* node_name(store::node_type n) noexcept {
  switch (n) {
    case store::node_type::gateway:
      return "gateway";
    case store::node_type::sub_device:
      return "sub-device";
    default:
      return "direct";
  }
}

const char* state_name(store::device_state s) noexcept {
  switch (s) {
    case store::device_state::online:
      return "online";
    case store::device_state::offline:
      return "offline";
    default:
      return "inactive";
  }
}

std::optional<store::device_state> parse_state(std::string_view s) noexcept {
  if (s == "online")
    return store::device_state::online;
  if (s == "offline")
    return store::device_state::offline;
  if (s == "inactive")
    return store::device_state::inactive;
  return std::nullopt;
}

void write_product(json_writer& w, const store::product_record& p, bool with_secret) {
  w.StartObject();
  field(w, "productKey", p.product_key);
  if (with_secret)
    field(w, "productSecret", p.product_secret);
  field(w, "name", p.name);
  field(w, "nodeType", node_name(p.node));
  field(w, "dataFormat", p.format == store::data_format::custom ? "custom" : "alink");
  w.Key("dynamicRegister");
  w.Bool(p.dynamic_register);
  w.Key("categories");
  w.StartArray();
  for (auto& c : p.categories) {
    w.StartObject();
    field(w, "topic", "/" + p.product_key + "/${deviceName}/user/" + c.suffix);
    field(w, "perms", c.pub && c.sub ? "pub,sub" : c.pub ? "pub" : "sub");
    w.EndObject();
  }
  w.EndArray();
  w.Key("createdMs");
  w.Uint64(p.created_ms);
  w.EndObject();
}

void write_device(json_writer& w, const store::device_record& d, bool with_secret) {
  w.StartObject();
  field(w, "productKey", d.product_key);
  field(w, "deviceName", d.device_name);
  if (with_secret)
    field(w, "deviceSecret", d.device_secret);
  field(w, "state", state_name(d.state));
  w.Key("enabled");
  w.Bool(!d.disabled);
  w.Key("createdMs");
  w.Uint64(d.created_ms);
  w.Key("activatedMs");
  w.Uint64(d.activated_ms);
  w.Key("lastOnlineMs");
  w.Uint64(d.last_online_ms);
  field(w, "lastIp", d.last_ip);
  w.Key("tags");
  w.StartArray();
  for (const auto& t : d.tags) {
    w.StartObject();
    field(w, "key", t.key);
    field(w, "value", t.value);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
}

void write_device_credentials(json_writer& w, const store::device_record& d) {
  w.StartObject();
  field(w, "productKey", d.product_key);
  field(w, "deviceName", d.device_name);
  field(w, "deviceSecret", d.device_secret);
  w.EndObject();
}

void write_app(json_writer& w, const store::app_record& a, bool with_secret) {
  w.StartObject();
  field(w, "accessKeyId", a.access_key_id);
  if (with_secret)
    field(w, "accessKeySecret", a.access_key_secret);
  field(w, "name", a.name);
  w.Key("products");
  w.StartArray();
  for (auto& p : a.products)
    w.String(p.data(), static_cast<rapidjson::SizeType>(p.size()));
  w.EndArray();
  w.Key("scopes");
  w.StartArray();
  for (auto& s : a.scopes)
    w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
  w.EndArray();
  w.Key("createdMs");
  w.Uint64(a.created_ms);
  w.EndObject();
}

void write_log_entry(json_writer& w, const store::log_record& e) {
  w.StartObject();
  w.Key("seq");
  w.Uint64(e.seq);
  w.Key("timeMs");
  w.Uint64(e.time_ms);
  field(w, "kind", store::to_string(e.kind));
  field(w, "text", e.text);
  field(w, "clientIp", e.client_ip);
  w.EndObject();
}

void write_user(json_writer& w, const store::admin_user_record& u) {
  w.StartObject();
  field(w, "name", u.name);
  field(w, "role", store::to_string(u.role));
  w.Key("createdMs");
  w.Uint64(u.created_ms);
  w.EndObject();
}

void write_audit(json_writer& w, const store::audit_record& a) {
  w.StartObject();
  w.Key("seq");
  w.Uint64(a.seq);
  w.Key("timeMs");
  w.Uint64(a.time_ms);
  field(w, "who", a.who);
  field(w, "action", a.action);
  field(w, "target", a.target);
  field(w, "address", a.address);
  w.Key("result");
  w.Uint(a.result);
  field(w, "detail", a.detail);
  w.EndObject();
}

}  // namespace iotb::admin
