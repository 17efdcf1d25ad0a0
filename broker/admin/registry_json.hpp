#pragma once
/// @file
/// The one JSON rendering of registry and admin records, shared by the CLI
/// and the admin API (SPEC §12: "names and fields follow the CLI's JSON").
/// Secrets are written only where a `with_secret` flag asks for them (the
/// answer to a create); password hashes never.

#include "broker/admin/json.hpp"
#include "broker/store/admin_store.hpp"
#include "broker/store/registry.hpp"

namespace iotb::admin {

/// "direct", "gateway", "sub-device".
[[nodiscard]] const char* node_name(store::node_type n) noexcept;
/// "inactive", "online", "offline".
[[nodiscard]] const char* state_name(store::device_state s) noexcept;
/// Parses a state name.
[[nodiscard]] std::optional<store::device_state> parse_state(std::string_view s) noexcept;

/// `{"productKey",["productSecret"],"name","nodeType","dataFormat","dynamicRegister",
/// "categories":[{"topic","perms"}],"createdMs"}`.
void write_product(json_writer& w, const store::product_record& p, bool with_secret);
/// `{"productKey","deviceName",["deviceSecret"],"state","enabled","createdMs",
/// "activatedMs","lastOnlineMs","lastIp","tags":[{"key","value"}]}`.
void write_device(json_writer& w, const store::device_record& d, bool with_secret);
/// `{"productKey","deviceName","deviceSecret"}`: the answer to a device create.
void write_device_credentials(json_writer& w, const store::device_record& d);
/// `{"accessKeyId",["accessKeySecret"],"name","products","scopes","createdMs"}`.
void write_app(json_writer& w, const store::app_record& a, bool with_secret);
/// `{"seq","timeMs","kind","text","clientIp"}`.
void write_log_entry(json_writer& w, const store::log_record& e);
/// `{"name","role","createdMs"}` (never the password hash).
void write_user(json_writer& w, const store::admin_user_record& u);
/// `{"seq","timeMs","who","action","target","address","result","detail"}`.
void write_audit(json_writer& w, const store::audit_record& a);

/// Renders one value with `write(w)` and returns the text.
template <class F>
[[nodiscard]] std::string render(F&& write) {
  rapidjson::StringBuffer sb;
  json_writer w(sb);
  write(w);
  return {sb.GetString(), sb.GetSize()};
}

}  // namespace iotb::admin
