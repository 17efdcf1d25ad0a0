#include "broker/thing/tsl.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <limits>

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include "broker/thing/tsl_detail.hpp"

namespace iotb::thing {

// -- names ------------------------------------------------------------------------------

namespace {

constexpr std::array<std::pair<data_kind, const char*>, 9> kind_names{{
    {data_kind::int32, "int"},
    {data_kind::float32, "float"},
    {data_kind::float64, "double"},
    {data_kind::text, "text"},
    {data_kind::enum_, "enum"},
    {data_kind::bool_, "bool"},
    {data_kind::date, "date"},
    {data_kind::struct_, "struct"},
    {data_kind::array, "array"},
}};

}  // namespace

const char* kind_name(data_kind k) noexcept {
  for (auto& [kind, name] : kind_names)
    if (kind == k)
      return name;
  return "int";
}

std::optional<data_kind> kind_from_name(std::string_view s) noexcept {
  for (auto& [kind, name] : kind_names)
    if (s == name)
      return kind;
  return std::nullopt;
}

const char* errc_name(tsl_errc e) noexcept {
  switch (e) {
    case tsl_errc::bad_json:
      return "bad_json";
    case tsl_errc::too_large:
      return "too_large";
    case tsl_errc::too_deep:
      return "too_deep";
    case tsl_errc::missing_field:
      return "missing_field";
    case tsl_errc::wrong_type:
      return "wrong_type";
    case tsl_errc::bad_value:
      return "bad_value";
    case tsl_errc::bad_identifier:
      return "bad_identifier";
    case tsl_errc::duplicate:
      return "duplicate";
    case tsl_errc::limit_exceeded:
      return "limit_exceeded";
  }
  return "bad_value";
}

std::string tsl_error::to_string() const {
  return path.empty() ? message : path + ": " + message;
}

// Written out: clang 14 crashes on the out-of-line `= default` of this
// recursive type's comparison.
bool data_type::operator==(const data_type& o) const {
  return kind == o.kind && min == o.min && max == o.max && step == o.step && unit == o.unit &&
         unit_name == o.unit_name && length == o.length && values == o.values && size == o.size &&
         item == o.item && fields == o.fields;
}

bool valid_identifier(std::string_view s) noexcept {
  if (s.empty() || s.size() > max_identifier_length)
    return false;
  if (s[0] >= '0' && s[0] <= '9')
    return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  });
}

bool reserved_identifier(std::string_view s) noexcept {
  static constexpr std::array<std::string_view, 6> reserved{"set",      "get",  "post",
                                                            "property", "time", "value"};
  return std::find(reserved.begin(), reserved.end(), s) != reserved.end();
}

bool json_depth_within(std::string_view s, std::size_t max_depth) noexcept {
  std::size_t depth = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (in_string) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      if (++depth > max_depth)
        return false;
    } else if ((c == '}' || c == ']') && depth > 0) {
      --depth;
    }
  }
  return true;
}

const property* thing_model::find_property(std::string_view id) const noexcept {
  for (auto& p : properties)
    if (p.identifier == id)
      return &p;
  return nullptr;
}

const event* thing_model::find_event(std::string_view id) const noexcept {
  for (auto& e : events)
    if (e.identifier == id)
      return &e;
  return nullptr;
}

const service* thing_model::find_service(std::string_view id) const noexcept {
  for (auto& s : services)
    if (s.identifier == id)
      return &s;
  return nullptr;
}

// -- parsing ---------------------------------------------------------------------------

namespace detail {

std::optional<double> parse_number(const rapidjson::Value& v) {
  double d = 0;
  if (v.IsNumber()) {
    d = v.GetDouble();
  } else if (v.IsString()) {
    std::string_view s(v.GetString(), v.GetStringLength());
    if (s.empty() || s.size() > 64)
      return std::nullopt;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), d);
    if (ec != std::errc{} || p != s.data() + s.size())
      return std::nullopt;
  } else {
    return std::nullopt;
  }
  if (!std::isfinite(d))
    return std::nullopt;
  return d;
}

std::optional<std::int64_t> parse_integer(const rapidjson::Value& v) {
  if (v.IsInt64())
    return v.GetInt64();
  if (v.IsString()) {
    std::string_view s(v.GetString(), v.GetStringLength());
    std::int64_t i = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), i);
    if (s.empty() || ec != std::errc{} || p != s.data() + s.size())
      return std::nullopt;
    return i;
  }
  return std::nullopt;
}

}  // namespace detail

namespace {

using detail::parse_ctx;

bool read_string(parse_ctx& c, const rapidjson::Value& obj, const char* key, std::string& out,
                 bool required, std::size_t max_bytes = max_label_bytes) {
  auto it = obj.FindMember(key);
  if (it == obj.MemberEnd() || it->value.IsNull()) {
    if (required)
      c.fail(tsl_errc::missing_field, key, "missing");
    return !required;
  }
  if (!it->value.IsString())
    return c.fail(tsl_errc::wrong_type, key, "must be a string");
  if (it->value.GetStringLength() > max_bytes)
    return c.fail(tsl_errc::limit_exceeded, key,
                  "is longer than " + std::to_string(max_bytes) + " bytes");
  out.assign(it->value.GetString(), it->value.GetStringLength());
  return true;
}

bool read_bool(parse_ctx& c, const rapidjson::Value& obj, const char* key, bool& out) {
  auto it = obj.FindMember(key);
  if (it == obj.MemberEnd() || it->value.IsNull())
    return true;
  if (it->value.IsBool()) {
    out = it->value.GetBool();
    return true;
  }
  if (it->value.IsString()) {  // some exports write "true"/"false"
    std::string_view s(it->value.GetString(), it->value.GetStringLength());
    if (s == "true" || s == "false") {
      out = s == "true";
      return true;
    }
  }
  return c.fail(tsl_errc::wrong_type, key, "must be true or false");
}

bool read_identifier(parse_ctx& c, const rapidjson::Value& obj, std::string& out) {
  if (!read_string(c, obj, "identifier", out, true, max_identifier_length + 16))
    return false;
  if (!valid_identifier(out))
    return c.fail(tsl_errc::bad_identifier, "identifier",
                  "must be 1 to 50 letters, digits or underscores, not starting with a digit");
  return true;
}

/// Checks that no identifier repeats in `ids` (reported at `what[i]`).
bool check_unique(parse_ctx& c, const std::vector<std::string>& ids, const char* what) {
  std::vector<std::size_t> order(ids.size());
  for (std::size_t i = 0; i < ids.size(); ++i)
    order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return ids[a] < ids[b]; });
  for (std::size_t i = 1; i < order.size(); ++i)
    if (ids[order[i]] == ids[order[i - 1]])
      return c.fail_at(std::string(what) + "[" + std::to_string(order[i]) + "].identifier",
                       tsl_errc::duplicate, "identifier '" + ids[order[i]] + "' is used twice");
  return true;
}

bool parse_property(parse_ctx& c, const rapidjson::Value& v, property& out) {
  if (!v.IsObject())
    return c.fail(tsl_errc::wrong_type, "", "must be an object");
  if (!read_identifier(c, v, out.identifier))
    return false;
  if (reserved_identifier(out.identifier))
    return c.fail(tsl_errc::bad_identifier, "identifier",
                  "'" + out.identifier + "' is reserved by the platform");
  std::string mode = "rw";
  if (!read_string(c, v, "name", out.name, false) || !read_string(c, v, "desc", out.desc, false) ||
      !read_string(c, v, "accessMode", mode, false, 16) ||
      !read_bool(c, v, "required", out.required))
    return false;
  if (mode == "r")
    out.access = access_mode::read;
  else if (mode == "rw")
    out.access = access_mode::read_write;
  else
    return c.fail(tsl_errc::bad_value, "accessMode", "must be \"r\" or \"rw\"");
  auto it = v.FindMember("dataType");
  if (it == v.MemberEnd())
    return c.fail(tsl_errc::missing_field, "dataType", "missing");
  auto g = c.enter("dataType");
  return detail::parse_data_type(c, it->value, out.type, detail::type_scope::property);
}

/// A feature's method: the default when absent, otherwise it must match.
bool read_method(parse_ctx& c, const rapidjson::Value& v, std::string& out, std::string want) {
  if (!read_string(c, v, "method", out, false, 128))
    return false;
  if (out.empty())
    out = std::move(want);
  else if (out != want)
    return c.fail(tsl_errc::bad_value, "method", "must be \"" + want + "\"");
  return true;
}

bool parse_event(parse_ctx& c, const rapidjson::Value& v, event& out) {
  if (!v.IsObject())
    return c.fail(tsl_errc::wrong_type, "", "must be an object");
  if (!read_identifier(c, v, out.identifier))
    return false;
  bool builtin = out.identifier == "post";
  if (!builtin && reserved_identifier(out.identifier))
    return c.fail(tsl_errc::bad_identifier, "identifier",
                  "'" + out.identifier + "' is reserved by the platform");
  std::string type = "info";
  if (!read_string(c, v, "name", out.name, false) || !read_string(c, v, "desc", out.desc, false) ||
      !read_string(c, v, "type", type, false, 16) || !read_bool(c, v, "required", out.required))
    return false;
  if (type == "info")
    out.type = event_type::info;
  else if (type == "alert")
    out.type = event_type::alert;
  else if (type == "error")
    out.type = event_type::error;
  else
    return c.fail(tsl_errc::bad_value, "type", "must be \"info\", \"alert\" or \"error\"");
  if (!read_method(
          c, v, out.method,
          builtin ? "thing.event.property.post" : "thing.event." + out.identifier + ".post"))
    return false;
  return detail::parse_params(c, v, "outputData", out.output, nullptr);
}

bool parse_service(parse_ctx& c, const rapidjson::Value& v, service& out) {
  if (!v.IsObject())
    return c.fail(tsl_errc::wrong_type, "", "must be an object");
  if (!read_identifier(c, v, out.identifier))
    return false;
  bool builtin = out.identifier == "set" || out.identifier == "get";
  if (!builtin && reserved_identifier(out.identifier))
    return c.fail(tsl_errc::bad_identifier, "identifier",
                  "'" + out.identifier + "' is reserved by the platform");
  std::string call = "async";
  if (!read_string(c, v, "name", out.name, false) || !read_string(c, v, "desc", out.desc, false) ||
      !read_string(c, v, "callType", call, false, 16) || !read_bool(c, v, "required", out.required))
    return false;
  if (call == "async")
    out.call = call_type::async;
  else if (call == "sync")
    out.call = call_type::sync;
  else
    return c.fail(tsl_errc::bad_value, "callType", "must be \"async\" or \"sync\"");
  if (!read_method(
          c, v, out.method,
          builtin ? "thing.service.property." + out.identifier : "thing.service." + out.identifier))
    return false;
  return detail::parse_params(c, v, "inputData", out.input, &out.input_refs) &&
         detail::parse_params(c, v, "outputData", out.output, nullptr);
}

template <class T, class F>
bool parse_list(parse_ctx& c, const rapidjson::Value& root, const char* key, std::vector<T>& out,
                F&& parse_one) {
  auto it = root.FindMember(key);
  if (it == root.MemberEnd() || it->value.IsNull())
    return true;
  if (!it->value.IsArray())
    return c.fail(tsl_errc::wrong_type, key, "must be an array");
  if (it->value.Size() > max_features)
    return c.fail(tsl_errc::limit_exceeded, key,
                  "has more than " + std::to_string(max_features) + " entries");
  out.reserve(it->value.Size());
  for (rapidjson::SizeType i = 0; i < it->value.Size(); ++i) {
    auto g = c.enter(key, i);
    out.emplace_back();
    if (!parse_one(c, it->value[i], out.back()))
      return false;
  }
  return true;
}

bool parse_root(parse_ctx& c, const rapidjson::Value& root, thing_model& m) {
  if (!read_string(c, root, "schema", m.schema, false) ||
      !read_string(c, root, "functionBlockId", m.function_block_id, false, 64) ||
      !read_string(c, root, "functionBlockName", m.function_block_name, false))
    return false;
  if (auto it = root.FindMember("profile"); it != root.MemberEnd() && !it->value.IsNull()) {
    auto g = c.enter("profile");
    if (!it->value.IsObject())
      return c.fail(tsl_errc::wrong_type, "", "must be an object");
    if (!read_string(c, it->value, "productKey", m.product_key, false, 64))
      return false;
  }
  if (!parse_list(c, root, "properties", m.properties, parse_property) ||
      !parse_list(c, root, "events", m.events, parse_event) ||
      !parse_list(c, root, "services", m.services, parse_service))
    return false;
  std::size_t n = m.properties.size() + m.events.size() + m.services.size();
  if (n > max_features)
    return c.fail(tsl_errc::limit_exceeded, "",
                  "has " + std::to_string(n) +
                      " features (properties, events and services); at most " +
                      std::to_string(max_features));
  std::vector<std::string> ids;
  for (auto& p : m.properties)
    ids.push_back(p.identifier);
  if (!check_unique(c, ids, "properties"))
    return false;
  ids.clear();
  for (auto& e : m.events)
    ids.push_back(e.identifier);
  if (!check_unique(c, ids, "events"))
    return false;
  ids.clear();
  for (auto& s : m.services)
    ids.push_back(s.identifier);
  return check_unique(c, ids, "services");
}

}  // namespace

expected<thing_model, tsl_error> parse_tsl(std::string_view json) {
  if (json.size() > max_tsl_bytes)
    return unexpected{
        tsl_error{tsl_errc::too_large, "",
                  "the document is larger than " + std::to_string(max_tsl_bytes) + " bytes"}};
  if (!json_depth_within(json, max_tsl_depth))
    return unexpected{
        tsl_error{tsl_errc::too_deep, "",
                  "the document nests deeper than " + std::to_string(max_tsl_depth) + " levels"}};
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseIterativeFlag>(json.data(), json.size());
  if (doc.HasParseError())
    return unexpected{tsl_error{tsl_errc::bad_json, "",
                                std::string("not valid JSON: ") +
                                    rapidjson::GetParseError_En(doc.GetParseError()) + " (offset " +
                                    std::to_string(doc.GetErrorOffset()) + ")"}};
  if (!doc.IsObject())
    return unexpected{tsl_error{tsl_errc::bad_json, "", "the document must be a JSON object"}};
  parse_ctx c;
  thing_model m;
  if (!parse_root(c, doc, m))
    return unexpected{std::move(*c.error)};
  return m;
}

}  // namespace iotb::thing
