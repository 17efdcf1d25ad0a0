#include "broker/admin/json.hpp"

#include <algorithm>
#include <charconv>

#include <rapidjson/error/en.h>

namespace iotb::admin {

const char* slug(api_errc e) noexcept {
  switch (e) {
    case api_errc::bad_json:
      return "bad_json";
    case api_errc::bad_field:
      return "bad_field";
    case api_errc::bad_request:
      return "bad_request";
    case api_errc::unauthorized:
      return "unauthorized";
    case api_errc::forbidden:
      return "forbidden";
    case api_errc::not_found:
      return "not_found";
    case api_errc::method_not_allowed:
      return "method_not_allowed";
    case api_errc::exists:
      return "exists";
    case api_errc::conflict:
      return "conflict";
    case api_errc::too_large:
      return "too_large";
    case api_errc::throttled:
      return "throttled";
    case api_errc::internal:
      return "internal";
    case api_errc::unavailable:
      return "unavailable";
  }
  return "internal";
}

unsigned status_of(api_errc e) noexcept {
  switch (e) {
    case api_errc::bad_json:
    case api_errc::bad_field:
    case api_errc::bad_request:
      return 400;
    case api_errc::unauthorized:
      return 401;
    case api_errc::forbidden:
      return 403;
    case api_errc::not_found:
      return 404;
    case api_errc::method_not_allowed:
      return 405;
    case api_errc::exists:
    case api_errc::conflict:
      return 409;
    case api_errc::too_large:
      return 413;
    case api_errc::throttled:
      return 429;
    case api_errc::internal:
      return 500;
    case api_errc::unavailable:
      return 503;
  }
  return 500;
}

std::string error_body(const api_error& e) {
  rapidjson::StringBuffer sb;
  json_writer w(sb);
  w.StartObject();
  field(w, "code", slug(e.code));
  field(w, "message", e.message);
  w.EndObject();
  return {sb.GetString(), sb.GetSize()};
}

// -- json_body --------------------------------------------------------------------

expected<json_body, api_error> json_body::parse(std::string_view text, bool allow_empty) {
  json_body b;
  b.doc_ = std::make_unique<rapidjson::Document>();
  if (allow_empty && text.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    b.doc_->SetObject();
    return b;
  }
  b.doc_->Parse<rapidjson::kParseDefaultFlags>(text.data(), text.size());
  if (b.doc_->HasParseError())
    return unexpected{api_error{
        api_errc::bad_json, std::string("the body is not valid JSON: ") +
                                rapidjson::GetParseError_En(b.doc_->GetParseError()) + " (offset " +
                                std::to_string(b.doc_->GetErrorOffset()) + ")"}};
  if (!b.doc_->IsObject())
    return unexpected{api_error{api_errc::bad_json, "the body must be a JSON object"}};
  return b;
}

const rapidjson::Value* json_body::lookup(const char* name, bool required) {
  known_.emplace_back(name);
  const rapidjson::Value& obj = *doc_;
  auto it = obj.FindMember(name);
  if (it == obj.MemberEnd() || it->value.IsNull()) {
    if (required)
      fail(std::string("missing field '") + name + "'");
    return nullptr;
  }
  return &it->value;
}

std::optional<std::string> json_body::string(const char* name, bool required, std::size_t max_len) {
  auto* v = lookup(name, required);
  if (!v)
    return std::nullopt;
  if (!v->IsString()) {
    fail(std::string("field '") + name + "' must be a string");
    return std::nullopt;
  }
  if (v->GetStringLength() > max_len) {
    fail(std::string("field '") + name + "' is longer than " + std::to_string(max_len) + " bytes");
    return std::nullopt;
  }
  return std::string(v->GetString(), v->GetStringLength());
}

std::optional<bool> json_body::boolean(const char* name, bool required) {
  auto* v = lookup(name, required);
  if (!v)
    return std::nullopt;
  if (!v->IsBool()) {
    fail(std::string("field '") + name + "' must be true or false");
    return std::nullopt;
  }
  return v->GetBool();
}

std::optional<std::uint64_t> json_body::uint(const char* name, std::uint64_t min, std::uint64_t max,
                                             bool required) {
  auto* v = lookup(name, required);
  if (!v)
    return std::nullopt;
  if (!v->IsUint64() || v->GetUint64() < min || v->GetUint64() > max) {
    fail(std::string("field '") + name + "' must be an integer in [" + std::to_string(min) + ", " +
         std::to_string(max) + "]");
    return std::nullopt;
  }
  return v->GetUint64();
}

const rapidjson::Value* json_body::raw(const char* name) {
  return lookup(name, false);
}

bool json_body::has(const char* name) const {
  return doc_->HasMember(name);
}

void json_body::fail(std::string message) {
  if (!problem_)
    problem_ = std::move(message);
}

std::optional<api_error> json_body::finish() const {
  if (problem_)
    return api_error{api_errc::bad_field, *problem_};
  const rapidjson::Value& obj = *doc_;
  for (auto& m : obj.GetObject()) {
    std::string_view name(m.name.GetString(), m.name.GetStringLength());
    if (std::find(known_.begin(), known_.end(), name) == known_.end()) {
      auto shown = std::string(name.substr(0, 64));
      return api_error{api_errc::bad_field, "unknown field '" + shown + "'"};
    }
  }
  return std::nullopt;
}

// -- paging -------------------------------------------------------------------------

namespace {

std::optional<std::size_t> parse_size(std::string_view s, std::size_t min, std::size_t max) {
  std::size_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || p != s.data() + s.size() || v < min || v > max)
    return std::nullopt;
  return v;
}

}  // namespace

expected<page_request, api_error> parse_page(const params& query) {
  page_request out;
  if (auto p = query.get("page")) {
    auto v = parse_size(*p, 1, 1'000'000'000);
    if (!v)
      return unexpected{api_error{api_errc::bad_request, "page must be an integer >= 1"}};
    out.page = *v;
  }
  if (auto l = query.get("limit")) {
    auto v = parse_size(*l, 1, max_page_limit);
    if (!v)
      return unexpected{api_error{api_errc::bad_request, "limit must be an integer in [1, 1000]"}};
    out.limit = *v;
  }
  return out;
}

std::string utf8_lossy(std::string_view bytes, bool* replaced) {
  std::string out;
  out.reserve(bytes.size());
  bool any = false;
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  const std::size_t n = bytes.size();
  for (std::size_t i = 0; i < n;) {
    unsigned c = p[i];
    std::size_t len = c < 0x80             ? 1
                      : (c & 0xE0) == 0xC0 ? 2
                      : (c & 0xF0) == 0xE0 ? 3
                      : (c & 0xF8) == 0xF0 ? 4
                                           : 0;
    bool ok = len != 0 && i + len <= n;
    std::uint32_t cp = len == 1 ? c : len == 2 ? c & 0x1F : len == 3 ? c & 0x0F : c & 0x07;
    for (std::size_t k = 1; ok && k < len; ++k) {
      ok = (p[i + k] & 0xC0) == 0x80;
      cp = (cp << 6) | (p[i + k] & 0x3F);
    }
    // Shortest form only, no surrogates, nothing above U+10FFFF.
    static constexpr std::uint32_t least[] = {0, 0, 0x80, 0x800, 0x10000};
    ok = ok && cp >= least[len] && !(cp >= 0xD800 && cp <= 0xDFFF) && cp <= 0x10FFFF;
    if (ok) {
      out.append(bytes.data() + i, len);
      i += len;
    } else {
      out.append("\xEF\xBF\xBD");
      any = true;
      ++i;
    }
  }
  if (replaced)
    *replaced = any;
  return out;
}

}  // namespace iotb::admin
