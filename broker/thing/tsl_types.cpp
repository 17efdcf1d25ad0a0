// Parsing of `dataType` and of parameter lists (tsl_detail.hpp).

#include <algorithm>
#include <cmath>
#include <limits>

#include "broker/thing/tsl_detail.hpp"

namespace iotb::thing::detail {

namespace {

constexpr double int32_lo = std::numeric_limits<std::int32_t>::min();
constexpr double int32_hi = std::numeric_limits<std::int32_t>::max();
constexpr double float_hi = std::numeric_limits<float>::max();

bool read_label(parse_ctx& c, const rapidjson::Value& specs, const char* key, std::string& out) {
  auto it = specs.FindMember(key);
  if (it == specs.MemberEnd() || it->value.IsNull())
    return true;
  if (!it->value.IsString())
    return c.fail(tsl_errc::wrong_type, key, "must be a string");
  if (it->value.GetStringLength() > max_label_bytes)
    return c.fail(tsl_errc::limit_exceeded, key, "is too long");
  out.assign(it->value.GetString(), it->value.GetStringLength());
  return true;
}

/// min, max, step, unit, unitName of int, float and double.
bool parse_numeric(parse_ctx& c, const rapidjson::Value& specs, data_type& out) {
  double lo = -std::numeric_limits<double>::max(), hi = std::numeric_limits<double>::max();
  if (out.kind == data_kind::int32) {
    lo = int32_lo;
    hi = int32_hi;
  } else if (out.kind == data_kind::float32) {
    lo = -float_hi;
    hi = float_hi;
  }
  for (const char* key : {"min", "max", "step"}) {
    auto it = specs.FindMember(key);
    if (it == specs.MemberEnd() || it->value.IsNull() ||
        (it->value.IsString() && it->value.GetStringLength() == 0))
      continue;
    auto d = parse_number(it->value);
    if (!d)
      return c.fail(tsl_errc::bad_value, key, "must be a finite number (or a string of one)");
    if (out.kind == data_kind::int32 && *d != std::floor(*d))
      return c.fail(tsl_errc::bad_value, key, "must be an integer for an int");
    if (*d < lo || *d > hi)
      return c.fail(tsl_errc::bad_value, key,
                    std::string("is outside the range of ") + kind_name(out.kind));
    std::string_view k = key;
    (k == "min" ? out.min : k == "max" ? out.max : out.step) = *d;
  }
  if (out.min && out.max && *out.min > *out.max)
    return c.fail(tsl_errc::bad_value, "max", "is less than min");
  if (out.step && *out.step < 0)
    return c.fail(tsl_errc::bad_value, "step", "must not be negative");
  return read_label(c, specs, "unit", out.unit) && read_label(c, specs, "unitName", out.unit_name);
}

/// `{"0":"off","1":"on"}` of enum and bool.
bool parse_values(parse_ctx& c, const rapidjson::Value& specs, data_type& out) {
  if (!specs.IsObject())
    return c.fail(tsl_errc::wrong_type, "", "must be an object of value: label");
  if (specs.MemberCount() > max_enum_values)
    return c.fail(tsl_errc::limit_exceeded, "",
                  "has more than " + std::to_string(max_enum_values) + " values");
  for (auto& m : specs.GetObject()) {
    std::string key(m.name.GetString(), m.name.GetStringLength());
    auto v = parse_integer(m.name);
    if (!v || *v < int32_lo || *v > int32_hi)
      return c.fail(tsl_errc::bad_value, key.substr(0, 64), "the key must be an integer");
    if (out.kind == data_kind::bool_ && *v != 0 && *v != 1)
      return c.fail(tsl_errc::bad_value, key.substr(0, 64), "a bool has only the values 0 and 1");
    if (!m.value.IsString())
      return c.fail(tsl_errc::wrong_type, key.substr(0, 64), "the label must be a string");
    if (m.value.GetStringLength() > max_label_bytes)
      return c.fail(tsl_errc::limit_exceeded, key.substr(0, 64), "the label is too long");
    out.values.emplace_back(*v, std::string(m.value.GetString(), m.value.GetStringLength()));
  }
  std::sort(out.values.begin(), out.values.end());
  for (std::size_t i = 1; i < out.values.size(); ++i)
    if (out.values[i].first == out.values[i - 1].first)
      return c.fail(tsl_errc::duplicate, std::to_string(out.values[i].first), "the value repeats");
  if (out.values.empty())
    return c.fail(tsl_errc::bad_value, "", "must list at least one value");
  if (out.kind == data_kind::bool_ && out.values.size() != 2)
    return c.fail(tsl_errc::bad_value, "", "a bool must label both 0 and 1");
  return true;
}

bool parse_struct_fields(parse_ctx& c, const rapidjson::Value& specs, data_type& out) {
  if (!specs.IsArray())
    return c.fail(tsl_errc::wrong_type, "", "must be an array of fields");
  if (specs.Size() == 0)
    return c.fail(tsl_errc::bad_value, "", "a struct needs at least one field");
  if (specs.Size() > max_struct_fields)
    return c.fail(tsl_errc::limit_exceeded, "",
                  "a struct has at most " + std::to_string(max_struct_fields) + " fields");
  for (rapidjson::SizeType i = 0; i < specs.Size(); ++i) {
    auto g = c.enter("", i);
    out.fields.emplace_back();
    param& f = out.fields.back();
    const auto& v = specs[i];
    if (!v.IsObject())
      return c.fail(tsl_errc::wrong_type, "", "must be an object");
    auto id = v.FindMember("identifier");
    if (id == v.MemberEnd())
      return c.fail(tsl_errc::missing_field, "identifier", "missing");
    if (!id->value.IsString() ||
        !valid_identifier({id->value.GetString(), id->value.GetStringLength()}))
      return c.fail(tsl_errc::bad_identifier, "identifier",
                    "must be 1 to 50 letters, digits or underscores, not starting with a digit");
    f.identifier.assign(id->value.GetString(), id->value.GetStringLength());
    if (!read_label(c, v, "name", f.name))
      return false;
    for (std::size_t j = 0; j + 1 < out.fields.size(); ++j)
      if (out.fields[j].identifier == f.identifier)
        return c.fail(tsl_errc::duplicate, "identifier",
                      "identifier '" + f.identifier + "' is used twice");
    auto dt = v.FindMember("dataType");
    if (dt == v.MemberEnd())
      return c.fail(tsl_errc::missing_field, "dataType", "missing");
    auto g2 = c.enter("dataType");
    if (!parse_data_type(c, dt->value, f.type, type_scope::struct_field))
      return false;
  }
  return true;
}

bool parse_array(parse_ctx& c, const rapidjson::Value& specs, data_type& out) {
  if (!specs.IsObject())
    return c.fail(tsl_errc::wrong_type, "", "must be an object");
  auto sz = specs.FindMember("size");
  if (sz == specs.MemberEnd())
    return c.fail(tsl_errc::missing_field, "size", "missing");
  auto n = parse_integer(sz->value);
  if (!n || *n < 1 || *n > static_cast<std::int64_t>(max_array_size))
    return c.fail(tsl_errc::limit_exceeded, "size",
                  "must be an integer from 1 to " + std::to_string(max_array_size));
  out.size = static_cast<std::size_t>(*n);
  auto item = specs.FindMember("item");
  if (item == specs.MemberEnd())
    return c.fail(tsl_errc::missing_field, "item", "missing");
  auto g = c.enter("item");
  out.item.emplace_back();
  return parse_data_type(c, item->value, out.item.back(), type_scope::array_item);
}

bool allowed(data_kind k, type_scope scope) {
  switch (scope) {
    case type_scope::property:
      return true;
    case type_scope::struct_field:
      return k != data_kind::struct_ && k != data_kind::array;
    case type_scope::array_item:
      return k == data_kind::int32 || k == data_kind::float32 || k == data_kind::float64 ||
             k == data_kind::text || k == data_kind::struct_;
  }
  return false;
}

}  // namespace

bool parse_data_type(parse_ctx& c, const rapidjson::Value& v, data_type& out, type_scope scope) {
  if (!v.IsObject())
    return c.fail(tsl_errc::wrong_type, "", "must be an object");
  auto t = v.FindMember("type");
  if (t == v.MemberEnd())
    return c.fail(tsl_errc::missing_field, "type", "missing");
  if (!t->value.IsString())
    return c.fail(tsl_errc::wrong_type, "type", "must be a string");
  auto kind = kind_from_name({t->value.GetString(), t->value.GetStringLength()});
  if (!kind)
    return c.fail(tsl_errc::bad_value, "type",
                  "must be int, float, double, text, enum, bool, date, struct or array");
  if (!allowed(*kind, scope))
    return c.fail(tsl_errc::bad_value, "type",
                  scope == type_scope::struct_field
                      ? "a struct field cannot be a struct or an array"
                      : "an array item must be int, float, double, text or struct");
  out.kind = *kind;
  auto s = v.FindMember("specs");
  static const rapidjson::Value empty_object(rapidjson::kObjectType);
  const rapidjson::Value& specs =
      (s == v.MemberEnd() || s->value.IsNull()) ? empty_object : s->value;
  auto g = c.enter("specs");
  switch (out.kind) {
    case data_kind::int32:
    case data_kind::float32:
    case data_kind::float64:
      if (!specs.IsObject())
        return c.fail(tsl_errc::wrong_type, "", "must be an object");
      return parse_numeric(c, specs, out);
    case data_kind::text: {
      if (!specs.IsObject())
        return c.fail(tsl_errc::wrong_type, "", "must be an object");
      auto len = specs.FindMember("length");
      if (len == specs.MemberEnd() || len->value.IsNull())
        return true;  // the platform's default and maximum
      auto n = parse_integer(len->value);
      if (!n || *n < 1 || *n > static_cast<std::int64_t>(max_text_length))
        return c.fail(tsl_errc::limit_exceeded, "length",
                      "must be an integer from 1 to " + std::to_string(max_text_length));
      out.length = static_cast<std::size_t>(*n);
      return true;
    }
    case data_kind::enum_:
    case data_kind::bool_:
      return parse_values(c, specs, out);
    case data_kind::date:
      return specs.IsObject() ? true : c.fail(tsl_errc::wrong_type, "", "must be an object");
    case data_kind::struct_:
      return parse_struct_fields(c, specs, out);
    case data_kind::array:
      return parse_array(c, specs, out);
  }
  return false;
}

bool parse_params(parse_ctx& c, const rapidjson::Value& obj, const char* key,
                  std::vector<param>& out, std::vector<std::string>* refs) {
  auto it = obj.FindMember(key);
  if (it == obj.MemberEnd() || it->value.IsNull())
    return true;
  auto g = c.enter(key);
  if (!it->value.IsArray())
    return c.fail(tsl_errc::wrong_type, "", "must be an array");
  if (it->value.Size() > max_params)
    return c.fail(tsl_errc::limit_exceeded, "",
                  "has more than " + std::to_string(max_params) + " parameters");
  for (rapidjson::SizeType i = 0; i < it->value.Size(); ++i) {
    auto g2 = c.enter("", i);
    const auto& v = it->value[i];
    if (refs && v.IsString()) {
      std::string id(v.GetString(), v.GetStringLength());
      if (!valid_identifier(id))
        return c.fail(tsl_errc::bad_identifier, "", "not a valid identifier");
      refs->push_back(std::move(id));
      continue;
    }
    if (!v.IsObject())
      return c.fail(tsl_errc::wrong_type, "", "must be an object");
    param p;
    auto id = v.FindMember("identifier");
    if (id == v.MemberEnd())
      return c.fail(tsl_errc::missing_field, "identifier", "missing");
    if (!id->value.IsString() ||
        !valid_identifier({id->value.GetString(), id->value.GetStringLength()}))
      return c.fail(tsl_errc::bad_identifier, "identifier",
                    "must be 1 to 50 letters, digits or underscores, not starting with a digit");
    p.identifier.assign(id->value.GetString(), id->value.GetStringLength());
    if (auto n = v.FindMember("name"); n != v.MemberEnd() && n->value.IsString())
      p.name.assign(n->value.GetString(),
                    std::min<std::size_t>(n->value.GetStringLength(), max_label_bytes));
    for (auto& q : out)
      if (q.identifier == p.identifier)
        return c.fail(tsl_errc::duplicate, "identifier",
                      "identifier '" + p.identifier + "' is used twice");
    auto dt = v.FindMember("dataType");
    if (dt == v.MemberEnd())
      return c.fail(tsl_errc::missing_field, "dataType", "missing");
    auto g3 = c.enter("dataType");
    if (!parse_data_type(c, dt->value, p.type, type_scope::property))
      return false;
    out.push_back(std::move(p));
  }
  if (refs && !refs->empty() && !out.empty())
    return c.fail(tsl_errc::bad_value, "", "mixes identifiers and parameters");
  return true;
}

}  // namespace iotb::thing::detail
