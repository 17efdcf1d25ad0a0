// Device shadow requests: the device's update/get/delete and the
// application's desired-state updates. Each request is read into a
// `shadow_change` first (every refusal that depends only on the request),
// then applied to a copy of the document (version rules, limits).

#include "broker/thing/shadow.hpp"

#include <algorithm>
#include <limits>
#include <utility>
#include <vector>

#include "broker/thing/json_text.hpp"
#include "broker/thing/shadow_detail.hpp"
#include "broker/thing/tsl.hpp"

namespace iotb::thing {

namespace {

using detail::token_json;

shadow_error fail(shadow_errc code, std::string message = {}) {
  if (message.empty())
    message = shadow_message(code);
  return shadow_error{code, std::move(message)};
}

// Nesting allowed before parsing: far above any section limit plus the
// request's own levels, so that the recursive walks below stay shallow.
std::size_t max_text_depth(const shadow_limits& l) {
  return std::max<std::size_t>(64, l.max_depth + 4);
}

// Levels of a value: 0 for a scalar, 1 + its deepest child for a container.
std::size_t depth(const rapidjson::Value& v) {
  std::size_t d = 0;
  if (v.IsObject())
    for (auto& m : v.GetObject())
      d = std::max(d, depth(m.value));
  else if (v.IsArray())
    for (auto& e : v.GetArray())
      d = std::max(d, depth(e));
  else
    return 0;
  return d + 1;
}

bool is_null_text(const rapidjson::Value& v) {
  return v.IsString() && std::string_view(v.GetString(), v.GetStringLength()) == "null";
}

// What a request does to one section.
struct section_change {
  enum class kind : std::uint8_t { none, clear, attrs };
  kind what = kind::none;
  /// name → new compact value; nullopt deletes.
  std::vector<std::pair<std::string, std::optional<std::string>>> attrs;
};

// Reads `state.<name>`: absent, "null" (clear), or an object of attributes.
// `deleting`: every listed attribute is deleted whatever its value.
expected<section_change, shadow_error> read_section(const rapidjson::Value* v,
                                                    std::string_view name, bool deleting,
                                                    const shadow_limits& limits) {
  section_change c;
  std::string where = "state." + std::string(name);
  if (!v)
    return c;
  if (is_null_text(*v)) {
    c.what = section_change::kind::clear;
    return c;
  }
  if (!v->IsObject())
    return unexpected{
        fail(shadow_errc::missing_reported, where + " must be an object or \"null\"")};
  if (v->MemberCount() == 0)
    return unexpected{fail(shadow_errc::empty_reported, where + " is empty")};
  if (depth(*v) > limits.max_depth)
    return unexpected{
        fail(shadow_errc::too_deep,
             where + " is nested more than " + std::to_string(limits.max_depth) + " levels deep")};
  c.what = section_change::kind::attrs;
  c.attrs.reserve(v->MemberCount());
  for (auto& m : v->GetObject()) {
    std::string attr(m.name.GetString(), m.name.GetStringLength());
    if (deleting || m.value.IsNull() || is_null_text(m.value))
      c.attrs.emplace_back(std::move(attr), std::nullopt);
    else
      c.attrs.emplace_back(std::move(attr), compact_json(m.value));
  }
  return c;
}

// The request's version: nullopt when absent (or null).
expected<std::optional<std::int64_t>, shadow_error> read_version(const rapidjson::Value& root) {
  auto it = root.FindMember("version");
  if (it == root.MemberEnd() || it->value.IsNull())
    return std::optional<std::int64_t>{};
  if (!it->value.IsInt64())
    return unexpected{fail(shadow_errc::bad_version, "version must be an integer")};
  return std::optional<std::int64_t>{it->value.GetInt64()};
}

// The version after an accepted write (see the header's rules).
// `zero_unversioned`: the application API's "0: no versioning".
expected<std::int64_t, shadow_error> next_version(std::int64_t current,
                                                  std::optional<std::int64_t> requested,
                                                  bool zero_unversioned) {
  if (!requested || (zero_unversioned && *requested == 0)) {
    if (current == std::numeric_limits<std::int64_t>::max())
      return unexpected{fail(shadow_errc::version_conflict,
                             "version conflict (the version would overflow; send -1 to reset it)")};
    return current + 1;
  }
  if (*requested == -1)
    return std::int64_t{0};
  if (*requested <= current)
    return unexpected{
        fail(shadow_errc::version_conflict, "version conflict (" + std::to_string(*requested) +
                                                " is not greater than the current version " +
                                                std::to_string(current) + ")")};
  return *requested;
}

// Applies one section's change; true when the section changed.
bool apply(shadow_section& s, const section_change& c, std::int64_t now_s) {
  switch (c.what) {
    case section_change::kind::none:
      return false;
    case section_change::kind::clear: {
      bool had = !s.empty();
      s.clear();
      return had;
    }
    case section_change::kind::attrs:
      break;
  }
  bool changed = false;
  for (auto& [name, value] : c.attrs) {
    if (!value) {
      changed |= s.erase(name) > 0;
    } else {
      s.insert_or_assign(name, shadow_attr{*value, now_s});
      changed = true;
    }
  }
  return changed;
}

// A write read from a request, ready to apply.
struct shadow_change {
  section_change desired;
  section_change reported;
  std::optional<std::int64_t> version;
};

// The outcome of applying a change.
struct applied {
  shadow_doc doc;
  std::string stored;
  bool desired_changed = false;
};

// Applies `c` to a copy of `doc`: version rules, then the limits (which only
// refuse a change that makes the document bigger, so that a document over a
// lowered limit can still shrink).
expected<applied, shadow_error> apply_change(const shadow_doc& doc, const shadow_change& c,
                                             bool zero_unversioned, std::int64_t now_ms,
                                             const shadow_limits& limits) {
  auto version = next_version(doc.version, c.version, zero_unversioned);
  if (!version)
    return unexpected{version.error()};
  std::int64_t now_s = detail::to_seconds(now_ms);
  applied out{doc, {}, false};
  out.desired_changed = apply(out.doc.desired, c.desired, now_s);
  apply(out.doc.reported, c.reported, now_s);
  out.doc.version = *version;
  out.doc.timestamp = now_s;
  std::size_t count = out.doc.attribute_count();
  if (count > limits.max_attributes && count > doc.attribute_count())
    return unexpected{
        fail(shadow_errc::too_many_attributes, "the shadow would hold " + std::to_string(count) +
                                                   " attributes (at most " +
                                                   std::to_string(limits.max_attributes) + ")")};
  out.stored = out.doc.to_json();
  if (out.stored.size() > limits.max_doc_bytes && out.stored.size() >= doc.to_json().size())
    return unexpected{fail(shadow_errc::too_large,
                           "the shadow document would be " + std::to_string(out.stored.size()) +
                               " bytes (at most " + std::to_string(limits.max_doc_bytes) + ")")};
  return out;
}

// Parses a request body (size and nesting capped first).
expected<rapidjson::Document, shadow_error> parse_body(std::string_view body,
                                                       const shadow_limits& limits) {
  if (body.size() > limits.max_request_bytes)
    return unexpected{
        fail(shadow_errc::too_large,
             "request larger than " + std::to_string(limits.max_request_bytes) + " bytes")};
  if (!json_depth_within(body, max_text_depth(limits)))
    return unexpected{fail(shadow_errc::too_deep)};
  rapidjson::Document d;
  if (!detail::parse_exact(body, d) || !d.IsObject())
    return unexpected{fail(shadow_errc::bad_json)};
  return d;
}

// The clientToken to echo: a string up to max_client_token bytes or an integer.
expected<token_json, shadow_error> read_token(const rapidjson::Value& root,
                                              const shadow_limits& limits) {
  auto it = root.FindMember("clientToken");
  if (it == root.MemberEnd() || it->value.IsNull())
    return token_json{};
  const rapidjson::Value& v = it->value;
  if ((v.IsString() && v.GetStringLength() <= limits.max_client_token) || v.IsInt64() ||
      v.IsUint64())
    return compact_json(v);
  return unexpected{
      fail(shadow_errc::bad_client_token, "clientToken must be a string of at most " +
                                              std::to_string(limits.max_client_token) + " bytes")};
}

expected<shadow_method, shadow_error> read_method(const rapidjson::Value& root) {
  auto it = root.FindMember("method");
  if (it == root.MemberEnd())
    return unexpected{fail(shadow_errc::missing_method)};
  if (!it->value.IsString())
    return unexpected{fail(shadow_errc::invalid_method, "method must be a string")};
  std::string_view m(it->value.GetString(), it->value.GetStringLength());
  if (m == "update")
    return shadow_method::update;
  if (m == "get")
    return shadow_method::get;
  if (m == "delete")
    return shadow_method::remove;
  return unexpected{
      fail(shadow_errc::invalid_method, "invalid method (expected update|get|delete)")};
}

// Reads an update or a delete: state, version, sections.
expected<shadow_change, shadow_error> read_write(const rapidjson::Value& root, bool deleting,
                                                 const shadow_limits& limits) {
  auto state = root.FindMember("state");
  if (state == root.MemberEnd())
    return unexpected{fail(shadow_errc::missing_state)};
  if (!state->value.IsObject())
    return unexpected{fail(shadow_errc::missing_state, "state must be an object")};
  shadow_change c;
  auto version = read_version(root);
  if (!version)
    return unexpected{version.error()};
  c.version = *version;
  auto section = [&](const char* name) -> const rapidjson::Value* {
    auto it = state->value.FindMember(name);
    return it == state->value.MemberEnd() ? nullptr : &it->value;
  };
  const rapidjson::Value* reported = section("reported");
  const rapidjson::Value* desired = section("desired");
  if (!reported && !desired)
    return unexpected{fail(shadow_errc::missing_reported, "state.reported is missing")};
  auto r = read_section(reported, "reported", deleting, limits);
  if (!r)
    return unexpected{r.error()};
  auto d = read_section(desired, "desired", deleting, limits);
  if (!d)
    return unexpected{d.error()};
  c.reported = std::move(*r);
  c.desired = std::move(*d);
  return c;
}

}  // namespace

device_result handle_device_request(const shadow_doc& doc, std::string_view payload,
                                    std::int64_t now_ms, const shadow_limits& limits) {
  device_result r;
  r.doc = doc;
  token_json token;
  auto refuse = [&](const shadow_error& e) {
    r.error = e.code;
    r.reply = detail::error_reply(e.code, e.message, token, now_ms);
    return std::move(r);
  };
  auto body = parse_body(payload, limits);
  if (!body) {
    // Not JSON (the v3 SDK's `{"method":"delete",,…}`): its token can still be echoed.
    token = detail::scan_client_token(payload, limits.max_client_token);
    return refuse(body.error());
  }
  const rapidjson::Value& root = *body;
  auto tok = read_token(root, limits);
  if (!tok)
    return refuse(tok.error());
  token = std::move(*tok);
  auto method = read_method(root);
  if (!method)
    return refuse(method.error());
  r.method = *method;
  if (r.method == shadow_method::get) {
    if (doc.empty())
      return refuse(fail(shadow_errc::empty_document));
    r.reply = detail::get_reply(doc, token, now_ms);
    return r;
  }
  auto change = read_write(root, r.method == shadow_method::remove, limits);
  if (!change)
    return refuse(change.error());
  if (r.method == shadow_method::remove && doc.empty())
    return refuse(fail(shadow_errc::empty_document));
  auto out = apply_change(doc, *change, false, now_ms, limits);
  if (!out)
    return refuse(out.error());
  r.doc = std::move(out->doc);
  r.stored = std::move(out->stored);
  r.changed = true;
  r.desired_changed = out->desired_changed;
  r.reply = detail::success_reply(r.doc.version, token, now_ms);
  return r;
}

expected<desired_result, shadow_error> apply_desired(const shadow_doc& doc,
                                                     const rapidjson::Value& desired,
                                                     std::optional<std::int64_t> version,
                                                     std::int64_t now_ms,
                                                     const shadow_limits& limits) {
  auto section = read_section(&desired, "desired", false, limits);
  if (!section)
    return unexpected{section.error()};
  shadow_change c{std::move(*section), {}, version};
  auto out = apply_change(doc, c, true, now_ms, limits);
  if (!out)
    return unexpected{out.error()};
  desired_result r{std::move(out->doc), std::move(out->stored), {}};
  r.control = control_message(r.doc, now_ms);
  return r;
}

expected<desired_result, shadow_error> apply_desired(const shadow_doc& doc, std::string_view body,
                                                     std::int64_t now_ms,
                                                     const shadow_limits& limits) {
  auto parsed = parse_body(body, limits);
  if (!parsed)
    return unexpected{parsed.error()};
  const rapidjson::Value& root = *parsed;
  if (root.HasMember("method")) {
    auto m = read_method(root);
    if (!m || *m != shadow_method::update)
      return unexpected{fail(shadow_errc::invalid_method, "method must be update")};
  }
  auto state = root.FindMember("state");
  if (state == root.MemberEnd() || !state->value.IsObject())
    return unexpected{fail(shadow_errc::missing_state, "state must be an object")};
  auto version = read_version(root);
  if (!version)
    return unexpected{version.error()};
  auto desired = state->value.FindMember("desired");
  if (desired == state->value.MemberEnd())
    return unexpected{fail(shadow_errc::missing_reported, "state.desired is missing")};
  return apply_desired(doc, desired->value, *version, now_ms, limits);
}

}  // namespace iotb::thing
