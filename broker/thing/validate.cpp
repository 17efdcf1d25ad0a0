// Post-level checks (validate.hpp): property posts, event output, service
// input/output, and the reply/forwarding JSON built from the findings.

#include "broker/thing/validate.hpp"

#include <algorithm>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace iotb::thing {

model_index::model_index(const thing_model& m) : model_(&m) {
  sorted_.reserve(m.properties.size());
  for (auto& p : m.properties)
    sorted_.emplace_back(p.identifier, &p);
  std::sort(sorted_.begin(), sorted_.end(), [](auto& a, auto& b) { return a.first < b.first; });
}

const property* model_index::find(std::string_view id) const noexcept {
  auto it = std::lower_bound(sorted_.begin(), sorted_.end(), id,
                             [](auto& e, std::string_view k) { return e.first < k; });
  return it != sorted_.end() && it->first == id ? it->second : nullptr;
}

namespace {

/// The post is refused as a whole (both modes).
check_result refuse(alink_code code, std::string message) {
  check_result r;
  r.code = code;
  r.message = std::move(message);
  return r;
}

/// Adds a finding; in strict mode the first one decides the reply.
void add(check_result& r, finding f, check_mode mode) {
  if (mode == check_mode::strict && r.findings.empty()) {
    r.code = f.code;
    r.message = f.message;
  }
  r.findings.push_back(std::move(f));
}

finding simple(std::string_view id, alink_code code, std::string what, const rapidjson::Value* v) {
  finding f;
  f.identifier = std::string(id.substr(0, 64));
  f.path = f.identifier;
  f.code = code;
  f.message = "tsl parse: " + std::move(what) + " -> " + f.identifier;
  f.value = v;
  return f;
}

std::optional<std::int64_t> read_time(const rapidjson::Value& t) {
  if (t.IsInt64() && t.GetInt64() >= 0)
    return t.GetInt64();
  return std::nullopt;
}

/// Indices of members whose name repeats an earlier member's.
std::vector<bool> repeated_members(const rapidjson::Value& obj) {
  std::vector<std::pair<std::string_view, std::size_t>> names;
  names.reserve(obj.MemberCount());
  std::size_t i = 0;
  for (auto& m : obj.GetObject())
    names.emplace_back(std::string_view(m.name.GetString(), m.name.GetStringLength()), i++);
  std::stable_sort(names.begin(), names.end(), [](auto& a, auto& b) { return a.first < b.first; });
  std::vector<bool> rep(obj.MemberCount(), false);
  for (std::size_t k = 1; k < names.size(); ++k)
    if (names[k].first == names[k - 1].first)
      rep[names[k].second] = true;
  return rep;
}

/// Checks the members of `obj` against `lookup(id) -> const data_type*`.
/// `unwrap`: a member may be `{"value":…,"time":…}` (property posts).
template <class Lookup>
check_result check_members(const rapidjson::Value& obj, check_mode mode, bool unwrap,
                           std::optional<std::int64_t> time, Lookup&& lookup) {
  if (!obj.IsObject())
    return refuse(alink_code::bad_params, "request parameter error: params must be an object");
  if (obj.MemberCount() > max_post_properties)
    return refuse(alink_code::bad_params, "request parameter error: more than " +
                                              std::to_string(max_post_properties) + " params");
  check_result r;
  auto rep = repeated_members(obj);
  std::size_t i = 0;
  for (auto& m : obj.GetObject()) {
    std::string_view id(m.name.GetString(), m.name.GetStringLength());
    if (rep[i++]) {
      add(r, simple(id, alink_code::bad_params, "params repeat", &m.value), mode);
      continue;
    }
    const data_type* t = lookup(id);
    if (!t) {
      add(r, simple(id, alink_code::unknown_identifier, "params not exist", &m.value), mode);
      continue;
    }
    const rapidjson::Value* value = &m.value;
    std::optional<std::int64_t> at = time;
    if (unwrap && m.value.IsObject()) {
      auto v = m.value.FindMember("value");
      bool only_value_time = v != m.value.MemberEnd() && m.value.MemberCount() <= 2 &&
                             (m.value.MemberCount() == 1 || m.value.HasMember("time"));
      // A struct's own value is an object: the wrapper form is recognised
      // only when its "value" is itself an object (no struct nests).
      if (only_value_time && (t->kind != data_kind::struct_ || v->value.IsObject())) {
        value = &v->value;
        if (auto tm = m.value.FindMember("time"); tm != m.value.MemberEnd()) {
          at = read_time(tm->value);
          if (!at) {
            add(r, simple(id, alink_code::bad_params, "time must be UTC milliseconds", &tm->value),
                mode);
            continue;
          }
        }
      }
    }
    if (auto f = check_value(*t, *value, id)) {
      f->time = at;
      add(r, std::move(*f), mode);
      continue;
    }
    r.accepted.push_back(accepted_value{id, value, at});
  }
  if (mode == check_mode::strict && !r.findings.empty())
    r.accepted.clear();
  return r;
}

const data_type* find_param(const std::vector<param>& ps, std::string_view id) {
  for (auto& p : ps)
    if (p.identifier == id)
      return &p.type;
  return nullptr;
}

}  // namespace

check_result check_properties(const model_index& idx, const rapidjson::Value& params,
                              check_mode mode) {
  return check_members(params, mode, true, std::nullopt, [&](std::string_view id) {
    auto* p = idx.find(id);
    return p ? &p->type : nullptr;
  });
}

check_result check_event(const event& e, const rapidjson::Value& params, check_mode mode) {
  const rapidjson::Value* values = &params;
  std::optional<std::int64_t> time;
  if (params.IsObject()) {
    auto v = params.FindMember("value");
    bool wrapped = v != params.MemberEnd() && v->value.IsObject() && params.MemberCount() <= 2 &&
                   (params.MemberCount() == 1 || params.HasMember("time"));
    if (wrapped && !find_param(e.output, "value")) {
      values = &v->value;
      if (auto tm = params.FindMember("time"); tm != params.MemberEnd()) {
        time = read_time(tm->value);
        if (!time)
          return refuse(alink_code::bad_params,
                        "request parameter error: time must be UTC milliseconds");
      }
    }
  }
  return check_members(*values, mode, false, time,
                       [&](std::string_view id) { return find_param(e.output, id); });
}

check_result check_service_input(const service& s, const rapidjson::Value& params,
                                 check_mode mode) {
  return check_members(params, mode, false, std::nullopt,
                       [&](std::string_view id) { return find_param(s.input, id); });
}

check_result check_service_output(const service& s, const rapidjson::Value& data, check_mode mode) {
  return check_members(data, mode, false, std::nullopt,
                       [&](std::string_view id) { return find_param(s.output, id); });
}

namespace {

using writer = rapidjson::Writer<rapidjson::StringBuffer>;

void key(writer& w, std::string_view k) {
  w.Key(k.data(), static_cast<rapidjson::SizeType>(k.size()));
}

/// The findings to write: the first per identifier (a repeated key would
/// make the JSON ambiguous).
std::vector<const finding*> first_per_identifier(const check_result& r) {
  std::vector<const finding*> out;
  for (auto& f : r.findings)
    if (std::none_of(out.begin(), out.end(),
                     [&](auto* g) { return g->identifier == f.identifier; }))
      out.push_back(&f);
  return out;
}

}  // namespace

std::string findings_reply_data(const check_result& r) {
  rapidjson::StringBuffer sb;
  writer w(sb);
  w.StartObject();
  for (auto* fp : first_per_identifier(r)) {
    auto& f = *fp;
    key(w, f.identifier);
    w.String(f.message.data(), static_cast<rapidjson::SizeType>(f.message.size()));
  }
  w.EndObject();
  return {sb.GetString(), sb.GetSize()};
}

std::string check_failed_data(const check_result& r) {
  rapidjson::StringBuffer sb;
  writer w(sb);
  w.StartObject();
  for (auto* fp : first_per_identifier(r)) {
    auto& f = *fp;
    key(w, f.identifier);
    w.StartObject();
    w.Key("code");
    w.Int(static_cast<int>(f.code));
    w.Key("message");
    w.String(f.message.data(), static_cast<rapidjson::SizeType>(f.message.size()));
    if (f.time) {
      w.Key("time");
      w.Int64(*f.time);
    }
    if (f.value) {
      w.Key("value");
      f.value->Accept(w);
    }
    w.EndObject();
  }
  w.EndObject();
  return {sb.GetString(), sb.GetSize()};
}

}  // namespace iotb::thing
