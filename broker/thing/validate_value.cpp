// check_value (validate.hpp): one JSON value against one TSL data type.
// Recursion is bounded by the model (array → struct → scalar at most).

#include <cmath>
#include <limits>

#include "broker/thing/validate.hpp"

namespace iotb::thing {

namespace {

finding make(std::string_view path, alink_code code, std::string what, const rapidjson::Value& v) {
  finding f;
  auto dot = path.find_first_of(".[");
  f.identifier = std::string(path.substr(0, dot));
  f.path = std::string(path);
  f.code = code;
  f.message = "tsl parse: " + std::move(what) + " -> " + f.path;
  f.value = &v;
  return f;
}

std::string num(double d) {
  if (d == std::floor(d) && std::fabs(d) < 1e15)
    return std::to_string(static_cast<long long>(d));
  return std::to_string(d);
}

std::optional<finding> check_range(const data_type& t, double d, std::string_view path,
                                   alink_code code, const rapidjson::Value& v) {
  const char* kind = kind_name(t.kind);
  if (t.min && d < *t.min)
    return make(path, code, std::string(kind) + " value is smaller than min " + num(*t.min), v);
  if (t.max && d > *t.max)
    return make(path, code, std::string(kind) + " value is bigger than max " + num(*t.max), v);
  return std::nullopt;
}

/// UTF-8 code points in `s` (continuation bytes are not counted).
std::size_t utf8_length(const char* s, std::size_t n) {
  std::size_t chars = 0;
  for (std::size_t i = 0; i < n; ++i)
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80)
      ++chars;
  return chars;
}

bool is_date(const rapidjson::Value& v) {
  if (v.IsInt64())
    return v.GetInt64() >= 0;
  if (!v.IsString() || v.GetStringLength() == 0 || v.GetStringLength() > 18)
    return false;  // 18 digits fit in int64; ms until the year 33658 need 15
  const char* s = v.GetString();
  for (rapidjson::SizeType i = 0; i < v.GetStringLength(); ++i)
    if (s[i] < '0' || s[i] > '9')
      return false;
  return true;
}

std::optional<finding> check_struct(const data_type& t, const rapidjson::Value& v,
                                    std::string_view path) {
  if (!v.IsObject())
    return make(path, alink_code::bad_struct, "struct type must be json", v);
  if (v.MemberCount() > t.fields.size())
    return make(path, alink_code::bad_struct, "struct has more fields than its specs", v);
  std::string sub;
  for (auto& m : v.GetObject()) {
    std::string_view name(m.name.GetString(), m.name.GetStringLength());
    sub.assign(path).append(".").append(name.substr(0, 64));
    const param* field = nullptr;
    for (auto& f : t.fields)
      if (f.identifier == name)
        field = &f;
    if (!field)
      return make(sub, alink_code::unknown_identifier, "params not exist", m.value);
    for (auto& other : v.GetObject()) {  // a repeated field is refused, not overwritten
      if (&other == &m)
        break;
      if (std::string_view(other.name.GetString(), other.name.GetStringLength()) == name)
        return make(sub, alink_code::bad_struct, "field repeats", m.value);
    }
    if (auto f = check_value(field->type, m.value, sub))
      return f;
  }
  return std::nullopt;
}

std::optional<finding> check_array(const data_type& t, const rapidjson::Value& v,
                                   std::string_view path) {
  if (!v.IsArray())
    return make(path, alink_code::bad_array, "data type is not array", v);
  if (v.Size() > t.size)
    return make(path, alink_code::bad_array,
                "array size is bigger than max size " + std::to_string(t.size), v);
  if (t.item.empty())
    return std::nullopt;
  std::string sub;
  for (rapidjson::SizeType i = 0; i < v.Size(); ++i) {
    sub.assign(path).append("[").append(std::to_string(i)).append("]");
    if (auto f = check_value(t.item.front(), v[i], sub))
      return f;
  }
  return std::nullopt;
}

}  // namespace

std::optional<finding> check_value(const data_type& t, const rapidjson::Value& v,
                                   std::string_view path) {
  switch (t.kind) {
    case data_kind::int32: {
      if (!v.IsInt64())
        return make(path, alink_code::bad_int, "data type is not int", v);
      auto i = v.GetInt64();
      if (i < std::numeric_limits<std::int32_t>::min() ||
          i > std::numeric_limits<std::int32_t>::max())
        return make(path, alink_code::bad_int, "int value is out of the 32-bit range", v);
      return check_range(t, static_cast<double>(i), path, alink_code::bad_int, v);
    }
    case data_kind::float32:
    case data_kind::float64: {
      if (!v.IsNumber())
        return make(path, alink_code::bad_float,
                    std::string("data type is not ") + kind_name(t.kind), v);
      double d = v.GetDouble();
      if (!std::isfinite(d) ||
          (t.kind == data_kind::float32 && std::fabs(d) > std::numeric_limits<float>::max()))
        return make(path, alink_code::bad_float,
                    std::string(kind_name(t.kind)) + " value is out of range", v);
      return check_range(t, d, path, alink_code::bad_float, v);
    }
    case data_kind::bool_:
      if (!v.IsInt64())
        return make(path, alink_code::bad_bool, "value of bool type must be int", v);
      if (v.GetInt64() != 0 && v.GetInt64() != 1)
        return make(path, alink_code::bad_bool, "bool specs error", v);
      return std::nullopt;
    case data_kind::enum_: {
      if (!v.IsInt64())
        return make(path, alink_code::bad_enum, "value of enum type must be int", v);
      auto i = v.GetInt64();
      for (auto& [value, label] : t.values)
        if (value == i)
          return std::nullopt;
      return make(path, alink_code::bad_enum, "enum specs error", v);
    }
    case data_kind::text:
      if (!v.IsString())
        return make(path, alink_code::bad_text, "data type is not string", v);
      if (utf8_length(v.GetString(), v.GetStringLength()) > t.length)
        return make(path, alink_code::bad_text,
                    "string length bigger than max length " + std::to_string(t.length), v);
      return std::nullopt;
    case data_kind::date:
      if (!is_date(v))
        return make(path, alink_code::bad_date, "date type must be a string of long(UTC ms)", v);
      return std::nullopt;
    case data_kind::struct_:
      return check_struct(t, v, path);
    case data_kind::array:
      return check_array(t, v, path);
  }
  return make(path, alink_code::bad_params, "unknown data type", v);
}

}  // namespace iotb::thing
