// The shadow document (stored JSON, both ways), the error table and the
// messages sent to devices. Requests are in shadow.cpp.

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>

#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>

#include "broker/thing/json_text.hpp"
#include "broker/thing/shadow_detail.hpp"
#include "broker/thing/tsl.hpp"

namespace iotb::thing {

// -- errors -----------------------------------------------------------------------------

namespace {

struct errc_row {
  shadow_errc e;
  int code;
  std::string_view message;
};

// The platform's shadow error table (SPEC §5); the 400 rows share a code.
constexpr std::array<errc_row, 15> errc_table{{
    {shadow_errc::bad_json, 400, "invalid JSON format"},
    {shadow_errc::too_large, 400, "shadow document too large"},
    {shadow_errc::too_deep, 400, "JSON nested too deeply"},
    {shadow_errc::bad_client_token, 400, "invalid clientToken"},
    {shadow_errc::missing_method, 401, "method is missing"},
    {shadow_errc::missing_state, 402, "state is missing"},
    {shadow_errc::bad_version, 403, "version is not a number"},
    {shadow_errc::missing_reported, 404, "reported is missing"},
    {shadow_errc::empty_reported, 405, "reported is empty"},
    {shadow_errc::invalid_method, 406, "invalid method"},
    {shadow_errc::empty_document, 407, "shadow document is empty"},
    {shadow_errc::too_many_attributes, 408, "too many attributes"},
    {shadow_errc::version_conflict, 409, "version conflict"},
    {shadow_errc::too_many_requests, 429, "too many requests"},
    {shadow_errc::server_error, 500, "server error"},
}};

const errc_row& row(shadow_errc e) noexcept {
  for (auto& r : errc_table)
    if (r.e == e)
      return r;
  return errc_table.back();
}

}  // namespace

int shadow_code(shadow_errc e) noexcept {
  return row(e).code;
}

std::string_view shadow_message(shadow_errc e) noexcept {
  return row(e).message;
}

int shadow_http_status(shadow_errc e) noexcept {
  switch (e) {
    case shadow_errc::version_conflict:
      return 409;
    case shadow_errc::too_many_requests:
      return 429;
    case shadow_errc::server_error:
      return 500;
    default:
      return 400;
  }
}

// -- the document -----------------------------------------------------------------------

std::size_t shadow_doc::attribute_count() const {
  std::size_t n = desired.size();
  for (auto& [name, attr] : reported)
    if (!desired.contains(name))
      ++n;
  return n;
}

namespace detail {

namespace {

void write_key(json_writer& w, std::string_view key) {
  w.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
}

void write_values(json_writer& w, const shadow_section& s) {
  w.StartObject();
  for (auto& [name, attr] : s) {
    write_key(w, name);
    w.RawValue(attr.value.data(), attr.value.size(), rapidjson::kObjectType);
  }
  w.EndObject();
}

void write_timestamps(json_writer& w, const shadow_section& s) {
  w.StartObject();
  for (auto& [name, attr] : s) {
    write_key(w, name);
    w.StartObject();
    w.Key("timestamp");
    w.Int64(attr.timestamp);
    w.EndObject();
  }
  w.EndObject();
}

void write_sections(json_writer& w, const shadow_doc& doc,
                    void (*write)(json_writer&, const shadow_section&)) {
  w.StartObject();
  if (!doc.desired.empty()) {
    w.Key("desired");
    write(w, doc.desired);
  }
  if (!doc.reported.empty()) {
    w.Key("reported");
    write(w, doc.reported);
  }
  w.EndObject();
}

void write_token(json_writer& w, const token_json& token) {
  if (token.empty())
    return;
  w.Key("clientToken");
  w.RawValue(token.data(), token.size(), rapidjson::kStringType);
}

}  // namespace

void write_state_and_metadata(json_writer& w, const shadow_doc& doc) {
  w.Key("state");
  write_sections(w, doc, write_values);
  w.Key("metadata");
  write_sections(w, doc, write_timestamps);
}

namespace {

// Forwards SAX events to a document but reads numbers itself: RapidJSON
// 1.1's full-precision strtod is undefined on a zero with a large exponent
// (`0e89`: clz(0) in DiyFp::Normalize), and its normal precision is not
// exact, so a stored value could drift on every reload.
template <class Out>
struct exact_numbers {
  Out& out;
  bool Null() { return out.Null(); }
  bool Bool(bool b) { return out.Bool(b); }
  bool Int(int i) { return out.Int(i); }
  bool Uint(unsigned u) { return out.Uint(u); }
  bool Int64(std::int64_t i) { return out.Int64(i); }
  bool Uint64(std::uint64_t u) { return out.Uint64(u); }
  bool Double(double d) { return out.Double(d); }
  bool RawNumber(const char* s, rapidjson::SizeType len, bool) {
    const char* end = s + len;
    if (std::none_of(s, end, [](char c) { return c == '.' || c == 'e' || c == 'E'; })) {
      std::int64_t i = 0;
      if (auto [p, ec] = std::from_chars(s, end, i); ec == std::errc{} && p == end)
        return out.Int64(i);
      std::uint64_t u = 0;
      if (auto [p, ec] = std::from_chars(s, end, u); ec == std::errc{} && p == end)
        return out.Uint64(u);
    }
    double d = 0;
    auto [p, ec] = std::from_chars(s, end, d);
    return ec == std::errc{} && p == end && std::isfinite(d) && out.Double(d);
  }
  bool String(const char* s, rapidjson::SizeType len, bool copy) {
    return out.String(s, len, copy);
  }
  bool StartObject() { return out.StartObject(); }
  bool Key(const char* s, rapidjson::SizeType len, bool copy) { return out.Key(s, len, copy); }
  bool EndObject(rapidjson::SizeType n) { return out.EndObject(n); }
  bool StartArray() { return out.StartArray(); }
  bool EndArray(rapidjson::SizeType n) { return out.EndArray(n); }
};

}  // namespace

bool parse_exact(std::string_view text, rapidjson::Document& d) {
  struct generator {
    std::string_view text;
    bool ok = false;
    bool operator()(rapidjson::Document& out) {
      exact_numbers<rapidjson::Document> handler{out};
      rapidjson::MemoryStream ms(text.data(), text.size());
      rapidjson::EncodedInputStream<rapidjson::UTF8<>, rapidjson::MemoryStream> is(ms);
      rapidjson::Reader reader;
      constexpr unsigned flags = rapidjson::kParseIterativeFlag |
                                 rapidjson::kParseValidateEncodingFlag |
                                 rapidjson::kParseNumbersAsStringsFlag;
      ok = !reader.Parse<flags>(is, handler).IsError();
      return ok;
    }
  } g{text};
  d.Populate(g);
  return g.ok;
}

token_json scan_client_token(std::string_view p, std::size_t max_len) {
  constexpr std::string_view key = "\"clientToken\"";
  auto skip_ws = [&](std::size_t i) {
    while (i < p.size() && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n'))
      ++i;
    return i;
  };
  for (auto at = p.find(key); at != std::string_view::npos; at = p.find(key, at + 1)) {
    std::size_t i = skip_ws(at + key.size());
    if (i >= p.size() || p[i] != ':')
      continue;
    i = skip_ws(i + 1);
    if (i >= p.size() || p[i] != '"')
      continue;
    std::size_t start = ++i;
    while (i < p.size() && p[i] != '"' && p[i] != '\\' && static_cast<unsigned char>(p[i]) >= 0x20)
      ++i;
    if (i >= p.size() || p[i] != '"' || i - start > max_len)
      return {};
    // Re-encode through the writer: the bytes may not be valid UTF-8.
    rapidjson::StringBuffer sb;
    rapidjson::Writer<rapidjson::StringBuffer, rapidjson::UTF8<>, rapidjson::UTF8<>,
                      rapidjson::CrtAllocator, rapidjson::kWriteValidateEncodingFlag>
        w(sb);
    if (!w.String(p.data() + start, static_cast<rapidjson::SizeType>(i - start)))
      return {};
    return {sb.GetString(), sb.GetSize()};
  }
  return {};
}

std::string error_reply(shadow_errc e, std::string_view message, const token_json& token,
                        std::int64_t now_ms) {
  rapidjson::StringBuffer sb;
  json_writer w(sb);
  w.StartObject();
  w.Key("method");
  w.String("reply");
  write_token(w, token);
  w.Key("payload");
  w.StartObject();
  w.Key("status");
  w.String("error");
  w.Key("content");
  w.StartObject();
  w.Key("errorcode");
  auto code = std::to_string(shadow_code(e));
  w.String(code.data(), static_cast<rapidjson::SizeType>(code.size()));
  w.Key("errormessage");
  w.String(message.data(), static_cast<rapidjson::SizeType>(message.size()));
  w.EndObject();
  w.EndObject();
  w.Key("timestamp");
  w.Int64(to_seconds(now_ms));
  w.EndObject();
  return {sb.GetString(), sb.GetSize()};
}

std::string success_reply(std::int64_t version, const token_json& token, std::int64_t now_ms) {
  rapidjson::StringBuffer sb;
  json_writer w(sb);
  w.StartObject();
  w.Key("method");
  w.String("reply");
  write_token(w, token);
  w.Key("payload");
  w.StartObject();
  w.Key("status");
  w.String("success");
  w.Key("version");
  w.Int64(version);
  w.EndObject();
  w.Key("timestamp");
  w.Int64(to_seconds(now_ms));
  w.EndObject();
  return {sb.GetString(), sb.GetSize()};
}

namespace {

// get replies and control messages differ in the method, the status and the token.
std::string full_message(const char* method, const shadow_doc& doc, const token_json& token,
                         std::int64_t now_ms) {
  rapidjson::StringBuffer sb;
  json_writer w(sb);
  w.StartObject();
  w.Key("method");
  w.String(method);
  write_token(w, token);
  w.Key("payload");
  w.StartObject();
  if (std::string_view(method) == "reply") {
    w.Key("status");
    w.String("success");
  }
  write_state_and_metadata(w, doc);
  w.EndObject();
  w.Key("version");
  w.Int64(doc.version);
  w.Key("timestamp");
  w.Int64(to_seconds(now_ms));
  w.EndObject();
  return {sb.GetString(), sb.GetSize()};
}

}  // namespace

std::string get_reply(const shadow_doc& doc, const token_json& token, std::int64_t now_ms) {
  return full_message("reply", doc, token, now_ms);
}

}  // namespace detail

std::string shadow_doc::to_json() const {
  rapidjson::StringBuffer sb;
  detail::json_writer w(sb);
  w.StartObject();
  detail::write_state_and_metadata(w, *this);
  w.Key("timestamp");
  w.Int64(timestamp);
  w.Key("version");
  w.Int64(version);
  w.EndObject();
  return {sb.GetString(), sb.GetSize()};
}

std::string control_message(const shadow_doc& doc, std::int64_t now_ms) {
  return detail::full_message("control", doc, {}, now_ms);
}

std::string shadow_error_reply(shadow_errc e, std::string_view payload, std::int64_t now_ms) {
  shadow_limits defaults;
  return detail::error_reply(e, shadow_message(e),
                             detail::scan_client_token(payload, defaults.max_client_token), now_ms);
}

// -- reading the stored form ------------------------------------------------------------

namespace {

// Nesting allowed in a stored document before parsing: the sections' own
// limit plus the document's levels, with room for a raised limit.
constexpr std::size_t max_stored_depth = 64;

const rapidjson::Value* member(const rapidjson::Value& obj, const char* key) {
  auto it = obj.FindMember(key);
  return it == obj.MemberEnd() ? nullptr : &it->value;
}

bool read_section(const rapidjson::Value* values, const rapidjson::Value* meta,
                  std::int64_t doc_timestamp, shadow_section& out) {
  if (!values)
    return !meta || meta->IsObject();
  if (!values->IsObject() || (meta && !meta->IsObject()))
    return false;
  for (auto& m : values->GetObject()) {
    shadow_attr a{compact_json(m.value), doc_timestamp};
    if (meta) {
      if (auto t = meta->FindMember(m.name); t != meta->MemberEnd()) {
        const rapidjson::Value* ts = t->value.IsObject() ? member(t->value, "timestamp") : nullptr;
        if (!ts || !ts->IsInt64())
          return false;
        a.timestamp = ts->GetInt64();
      }
    }
    out.insert_or_assign(std::string(m.name.GetString(), m.name.GetStringLength()), std::move(a));
  }
  return true;
}

}  // namespace

expected<shadow_doc, shadow_errc> parse_shadow_doc(std::string_view stored) {
  if (!json_depth_within(stored, max_stored_depth))
    return unexpected{shadow_errc::bad_json};
  rapidjson::Document d;
  if (!detail::parse_exact(stored, d) || !d.IsObject())
    return unexpected{shadow_errc::bad_json};
  shadow_doc doc;
  const rapidjson::Value* ts = member(d, "timestamp");
  const rapidjson::Value* ver = member(d, "version");
  const rapidjson::Value* state = member(d, "state");
  const rapidjson::Value* meta = member(d, "metadata");
  if (!ts || !ts->IsInt64() || !ver || !ver->IsInt64() || !state || !state->IsObject() ||
      (meta && !meta->IsObject()))
    return unexpected{shadow_errc::bad_json};
  doc.timestamp = ts->GetInt64();
  doc.version = ver->GetInt64();
  auto meta_of = [&](const char* key) { return meta ? member(*meta, key) : nullptr; };
  if (!read_section(member(*state, "desired"), meta_of("desired"), doc.timestamp, doc.desired) ||
      !read_section(member(*state, "reported"), meta_of("reported"), doc.timestamp, doc.reported))
    return unexpected{shadow_errc::bad_json};
  return doc;
}

}  // namespace iotb::thing
