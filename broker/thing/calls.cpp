#include "broker/thing/calls.hpp"

#include <charconv>
#include <iterator>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "broker/mqtt/codec.hpp"
#include "broker/thing/alink.hpp"
#include "broker/thing/tsl.hpp"

namespace iotb::thing {

namespace {

std::string join(std::initializer_list<std::string_view> parts) {
  std::string s;
  for (auto p : parts)
    s += p;
  return s;
}

/// Splits "a/b/c" (no leading slash) into its first two levels and the rest.
struct owner_split {
  std::string_view pk, dn, rest;
};
std::optional<owner_split> split_owner(std::string_view s) {
  auto a = s.find('/');
  if (a == std::string_view::npos || a == 0)
    return std::nullopt;
  auto b = s.find('/', a + 1);
  if (b == std::string_view::npos || b == a + 1 || b + 1 >= s.size())
    return std::nullopt;
  return owner_split{s.substr(0, a), s.substr(a + 1, b - a - 1), s.substr(b + 1)};
}

}  // namespace

const char* to_string(call_kind k) noexcept {
  constexpr const char* names[] = {"rrpc", "property_set", "service"};
  auto i = static_cast<std::size_t>(k);
  return i < std::size(names) ? names[i] : "unknown";
}

const char* to_string(call_status s) noexcept {
  constexpr const char* names[] = {"success", "timeout", "offline", "unknown", "sent", "queued"};
  auto i = static_cast<std::size_t>(s);
  return i < std::size(names) ? names[i] : "unknown";
}

const char* to_string(answer_drop d) noexcept {
  constexpr const char* names[] = {"unknown_id", "wrong_device", "wrong_sender", "bad_reply"};
  auto i = static_cast<std::size_t>(d);
  return i < std::size(names) ? names[i] : "unknown";
}

std::string rrpc_request_topic(std::string_view pk, std::string_view dn,
                               std::string_view message_id) {
  return join({"/sys/", pk, "/", dn, "/rrpc/request/", message_id});
}

std::string ext_rrpc_topic(std::string_view message_id, std::string_view inner) {
  return join({"/ext/rrpc/", message_id, inner});
}

std::string default_rrpc_inner_topic(std::string_view pk, std::string_view dn) {
  return join({"/", pk, "/", dn, "/user/get"});
}

std::string property_set_topic(std::string_view pk, std::string_view dn) {
  return join({"/sys/", pk, "/", dn, "/thing/service/property/set"});
}

std::string service_topic(std::string_view pk, std::string_view dn, std::string_view service_id) {
  return join({"/sys/", pk, "/", dn, "/thing/service/", service_id});
}

bool own_rrpc_inner_topic(std::string_view inner, std::string_view pk,
                          std::string_view dn) noexcept {
  if (!inner.starts_with('/') || !mqtt::valid_topic_name(inner) ||
      inner.find_first_of("+#") != std::string_view::npos)
    return false;
  auto s = inner.substr(1);
  if (s.starts_with("sys/"))
    s = s.substr(4);
  auto o = split_owner(s);
  return o && o->pk == pk && o->dn == dn;
}

std::optional<answer_topic> parse_answer_topic(std::string_view topic) {
  auto t = map_topic(topic);
  if (!t)
    return std::nullopt;
  answer_topic a;
  switch (t->kind) {
    case topic_kind::rrpc_response:
      a.kind = answer_kind::rrpc_response;
      a.message_id = t->identifier;
      break;
    case topic_kind::property_set_reply:
      a.kind = answer_kind::property_set_reply;
      break;
    case topic_kind::service_reply:
      a.kind = answer_kind::service_reply;
      a.service_id = t->identifier;
      break;
    case topic_kind::ext_rrpc: {
      // rest: "sys/pk/dn/…" or "pk/dn/…"
      auto rest = t->rest;
      if (rest.starts_with("sys/"))
        rest = rest.substr(4);
      auto o = split_owner(rest);
      if (!o)
        return std::nullopt;
      a.kind = answer_kind::ext_rrpc;
      a.message_id = t->identifier;
      a.product_key = o->pk;
      a.device_name = o->dn;
      return a;
    }
    default:
      return std::nullopt;
  }
  a.product_key = t->product_key;
  a.device_name = t->device_name;
  return a;
}

std::optional<std::uint64_t> parse_message_id(std::string_view s) noexcept {
  if (s.empty() || s.size() > 20 || (s.size() > 1 && s[0] == '0'))
    return std::nullopt;
  std::uint64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || end != s.data() + s.size())
    return std::nullopt;
  return v;
}

std::string build_call_request(std::string_view id, std::string_view method,
                               std::string_view params_json) {
  rapidjson::StringBuffer sb;
  rapidjson::Writer<rapidjson::StringBuffer> w(sb);
  auto str = [&](const char* key, std::string_view v) {
    w.Key(key);
    w.String(v.data(), static_cast<rapidjson::SizeType>(v.size()));
  };
  w.StartObject();
  str("id", id);
  str("version", "1.0");
  w.Key("params");
  std::string_view p = params_json.empty() ? std::string_view("{}") : params_json;
  w.RawValue(p.data(), p.size(), rapidjson::kObjectType);
  str("method", method);
  w.EndObject();
  return {sb.GetString(), sb.GetSize()};
}

expected<alink_answer, std::string> parse_alink_answer(std::string_view payload) {
  if (payload.size() > max_alink_bytes || !json_depth_within(payload, max_alink_depth))
    return unexpected{std::string("the reply is over the Alink size or nesting caps")};
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseIterativeFlag>(payload.data(), payload.size());
  if (doc.HasParseError() || !doc.IsObject())
    return unexpected{std::string("the reply is not a JSON object")};
  alink_answer a;
  auto id = doc.FindMember("id");
  if (id == doc.MemberEnd())
    return unexpected{std::string("the reply has no id")};
  if (id->value.IsString() && id->value.GetStringLength() > 0 &&
      id->value.GetStringLength() <= max_alink_id)
    a.id.assign(id->value.GetString(), id->value.GetStringLength());
  else if (id->value.IsUint64())
    a.id = std::to_string(id->value.GetUint64());
  else
    return unexpected{std::string("the reply's id is not a string or a non-negative integer")};
  auto code = doc.FindMember("code");
  if (code == doc.MemberEnd() || !code->value.IsInt())
    return unexpected{std::string("the reply has no integer code")};
  a.code = code->value.GetInt();
  if (auto d = doc.FindMember("data"); d != doc.MemberEnd() && !d->value.IsNull()) {
    rapidjson::StringBuffer sb;
    rapidjson::Writer<rapidjson::StringBuffer> w(sb);
    d->value.Accept(w);
    a.data_json.assign(sb.GetString(), sb.GetSize());
  }
  if (auto m = doc.FindMember("message"); m != doc.MemberEnd() && m->value.IsString())
    a.message.assign(m->value.GetString(), m->value.GetStringLength());
  return a;
}

}  // namespace iotb::thing
