#include "broker/thing/device_mgmt.hpp"

#include <charconv>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "broker/thing/alink.hpp"
#include "broker/thing/validate.hpp"
#include "broker/tls/digest.hpp"
#include "broker/tls/hmac.hpp"

namespace iotb::thing {

namespace {

using writer = rapidjson::Writer<rapidjson::StringBuffer>;

void key(writer& w, std::string_view k) {
  w.Key(k.data(), static_cast<rapidjson::SizeType>(k.size()));
}
void str(writer& w, std::string_view v) {
  w.String(v.data(), static_cast<rapidjson::SizeType>(v.size()));
}

std::string link_data(std::string_view pk, std::string_view config_id, std::string_view expires) {
  std::string d;
  d.append(pk).push_back('\n');
  d.append(config_id).push_back('\n');
  d.append(expires);
  return d;
}

/// A string member of `o` (absent: nullopt); sets `err` when it is not a
/// string or longer than `max`.
std::optional<std::string> string_field(const rapidjson::Value& o, const char* name,
                                        std::size_t max, std::string& err) {
  auto it = o.FindMember(name);
  if (it == o.MemberEnd() || it->value.IsNull())
    return std::nullopt;
  if (!it->value.IsString() || it->value.GetStringLength() > max) {
    if (err.empty())
      err = std::string(name) + ": a string of at most " + std::to_string(max) + " characters";
    return std::nullopt;
  }
  return std::string(it->value.GetString(), it->value.GetStringLength());
}

bool hex_text(std::string_view s) {
  return !s.empty() && s.find_first_not_of("0123456789abcdefABCDEF") == std::string_view::npos;
}

}  // namespace

config_meta describe_config(std::string_view content) {
  config_meta m;
  m.sign = tls::sha256_hex(content);
  m.config_id = m.sign.substr(0, 32);
  m.size = content.size();
  return m;
}

std::string config_file_path(std::string_view pk, std::string_view config_id) {
  std::string p = "/files/config/";
  p.append(pk).push_back('/');
  p.append(config_id);
  return p;
}

std::string config_file_url(std::string_view base, std::string_view key, std::string_view pk,
                            std::string_view config_id, std::uint64_t expires_s) {
  auto e = std::to_string(expires_s);
  std::string u(base);
  u += config_file_path(pk, config_id);
  u += "?expires=" + e + "&signature=";
  u += tls::hmac_hex(tls::sign_method::hmacsha256, key, link_data(pk, config_id, e));
  return u;
}

bool config_link_valid(std::string_view key, std::string_view pk, std::string_view config_id,
                       std::string_view expires, std::string_view signature, std::uint64_t now_s) {
  std::uint64_t e = 0;
  auto [p, ec] = std::from_chars(expires.data(), expires.data() + expires.size(), e);
  if (ec != std::errc{} || p != expires.data() + expires.size() || expires.empty() ||
      (expires.size() > 1 && expires[0] == '0'))
    return false;
  if (e < now_s)
    return false;
  return tls::hmac_verify(tls::sign_method::hmacsha256, key, link_data(pk, config_id, expires),
                          signature);
}

std::string config_data_json(const config_meta& m, std::string_view url) {
  rapidjson::StringBuffer sb;
  writer w(sb);
  w.StartObject();
  key(w, "configId");
  str(w, m.config_id);
  key(w, "configSize");
  w.Uint64(m.size);
  key(w, "sign");
  str(w, m.sign);
  key(w, "signMethod");
  str(w, "Sha256");
  key(w, "url");
  str(w, url);
  key(w, "getType");
  str(w, "file");
  w.EndObject();
  return {sb.GetString(), sb.GetSize()};
}

std::string config_get_reply(std::string_view id, const std::optional<std::string>& data_json) {
  alink_reply r;
  r.id = id;
  r.method = "thing.config.get";
  if (data_json) {
    r.data_json = *data_json;
  } else {
    r.code = alink_code::request_error;
    r.message = "no configuration file for this product";
  }
  return build_reply(r);
}

std::string config_push_request(std::string_view id, std::string_view data_json) {
  rapidjson::StringBuffer sb;
  writer w(sb);
  w.StartObject();
  key(w, "id");
  str(w, id);
  key(w, "version");
  str(w, "1.0");
  key(w, "params");
  w.RawValue(data_json.data(), data_json.size(), rapidjson::kObjectType);
  key(w, "method");
  str(w, "thing.config.push");
  w.EndObject();
  return {sb.GetString(), sb.GetSize()};
}

expected<ota_upgrade, std::string> parse_ota_upgrade(std::string_view body) {
  rapidjson::Document d;
  d.Parse(body.data(), body.size());
  if (d.HasParseError() || !d.IsObject())
    return unexpected{std::string("the body must be a JSON object")};
  std::string err;
  ota_upgrade u;
  auto version = string_field(d, "version", 64, err);
  auto url = string_field(d, "url", 2048, err);
  auto sign = string_field(d, "sign", 128, err);
  auto method = string_field(d, "signMethod", 16, err);
  auto md5 = string_field(d, "md5", 32, err);
  auto module = string_field(d, "module", 64, err);
  if (!err.empty())
    return unexpected{err};
  if (!version || version->empty())
    return unexpected{std::string("version: required (1..64 characters)")};
  if (!url || !(url->starts_with("http://") || url->starts_with("https://")) || url->size() < 9)
    return unexpected{std::string("url: required, an http:// or https:// link")};
  u.version = std::move(*version);
  u.url = std::move(*url);
  if (auto it = d.FindMember("size"); it != d.MemberEnd()) {
    if (!it->value.IsUint64())
      return unexpected{std::string("size: a non-negative integer (bytes)")};
    u.size = it->value.GetUint64();
  }
  if (auto it = d.FindMember("isDiff"); it != d.MemberEnd()) {
    if (!it->value.IsBool() && !it->value.IsInt())
      return unexpected{std::string("isDiff: a boolean (or 0/1)")};
    u.is_diff = it->value.IsBool() ? it->value.GetBool() : it->value.GetInt() != 0;
  }
  u.sign_method = method ? *method : (md5 ? "Md5" : sign ? "SHA256" : "");
  if (!u.sign_method.empty() && u.sign_method != "Md5" && u.sign_method != "SHA256") {
    if (u.sign_method == "MD5" || u.sign_method == "md5")
      u.sign_method = "Md5";
    else if (u.sign_method == "Sha256" || u.sign_method == "sha256")
      u.sign_method = "SHA256";
    else
      return unexpected{std::string("signMethod: Md5 or SHA256")};
  }
  if (sign)
    u.sign = std::move(*sign);
  if (md5)
    u.md5 = std::move(*md5);
  if (u.sign_method == "Md5") {
    if (u.sign.empty())
      u.sign = u.md5;
    if (u.md5.empty())
      u.md5 = u.sign;
    if (u.sign.size() != 32 || !hex_text(u.sign) || u.md5 != u.sign)
      return unexpected{std::string("sign/md5: the firmware's MD5, 32 hex digits")};
  } else if (u.sign_method == "SHA256") {
    if (u.sign.size() != 64 || !hex_text(u.sign))
      return unexpected{std::string("sign: the firmware's SHA-256, 64 hex digits")};
  }
  if (module)
    u.module = std::move(*module);
  if (auto it = d.FindMember("extData"); it != d.MemberEnd() && !it->value.IsNull()) {
    if (!it->value.IsObject())
      return unexpected{std::string("extData: an object")};
    rapidjson::StringBuffer sb;
    writer w(sb);
    it->value.Accept(w);
    if (sb.GetSize() > 4096)
      return unexpected{std::string("extData: at most 4,096 bytes")};
    u.ext_data_json.assign(sb.GetString(), sb.GetSize());
  }
  return u;
}

std::string ota_upgrade_data(const ota_upgrade& u) {
  rapidjson::StringBuffer sb;
  writer w(sb);
  w.StartObject();
  key(w, "size");
  w.Uint64(u.size);
  key(w, "version");
  str(w, u.version);
  key(w, "isDiff");
  w.Int(u.is_diff ? 1 : 0);
  key(w, "url");
  str(w, u.url);
  if (!u.md5.empty()) {
    key(w, "md5");
    str(w, u.md5);
  }
  if (!u.sign.empty()) {
    key(w, "sign");
    str(w, u.sign);
    key(w, "signMethod");
    str(w, u.sign_method);
  }
  if (!u.module.empty()) {
    key(w, "module");
    str(w, u.module);
  }
  if (!u.ext_data_json.empty()) {
    key(w, "extData");
    w.RawValue(u.ext_data_json.data(), u.ext_data_json.size(), rapidjson::kObjectType);
  }
  w.EndObject();
  return {sb.GetString(), sb.GetSize()};
}

std::string ota_upgrade_message(std::uint64_t id, std::string_view data_json) {
  std::string m = R"({"code":"1000","data":)";
  m.append(data_json);
  m += R"(,"id":)" + std::to_string(id) + R"(,"message":"success"})";
  return m;
}

std::string ota_upgrade_topic(std::string_view pk, std::string_view dn) {
  std::string t = "/ota/device/upgrade/";
  t.append(pk).push_back('/');
  t.append(dn);
  return t;
}

std::string config_push_topic(std::string_view pk, std::string_view dn) {
  std::string t = "/sys/";
  t.append(pk).push_back('/');
  t.append(dn);
  t += "/thing/config/push";
  return t;
}

}  // namespace iotb::thing
