#pragma once
/// @file
/// The run-time value of the rules language: null (or missing), boolean,
/// integer (int64), real (double), string, array, object.
///
/// Cheap to copy: strings are views (into the SQL's literals, the parsed
/// payload or the message) unless computed, arrays and objects are either
/// borrowed RapidJSON values of the payload or computed ones held by a
/// shared pointer. A value never outlives the evaluation that made it
/// unless it owns everything it points to (`own_`).

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <rapidjson/document.h>

namespace iotb::rules {

/// The types a value can have (and, as a bit mask, a static type).
enum class vtype : std::uint8_t { null, boolean, integer, real, string, array, object };

/// A set of possible types, known at compile time.
using type_mask = std::uint8_t;
constexpr type_mask bit(vtype t) noexcept {
  return static_cast<type_mask>(1u << static_cast<unsigned>(t));
}
constexpr type_mask t_null = bit(vtype::null);
constexpr type_mask t_bool = bit(vtype::boolean);
constexpr type_mask t_int = bit(vtype::integer);
constexpr type_mask t_real = bit(vtype::real);
constexpr type_mask t_num = t_int | t_real;
constexpr type_mask t_str = bit(vtype::string);
constexpr type_mask t_arr = bit(vtype::array);
constexpr type_mask t_obj = bit(vtype::object);
constexpr type_mask t_scalar = t_bool | t_num | t_str;
constexpr type_mask t_any = 0x7f;

/// "a number", "a string or a number", … for messages.
[[nodiscard]] std::string describe(type_mask m);
/// "null", "boolean", "integer", …
[[nodiscard]] std::string_view type_name(vtype t) noexcept;

class value;
using member = std::pair<std::string, value>;

class value {
 public:
  value() noexcept = default;  ///< null
  explicit value(bool b) noexcept : rep_(rep::boolean) { u_.b = b; }
  explicit value(std::int64_t i) noexcept : rep_(rep::integer) { u_.i = i; }
  explicit value(double d) noexcept : rep_(rep::real) { u_.d = d; }

  /// The null of a field or path that does not exist (omitted from output).
  static value missing() noexcept {
    value v;
    v.missing_ = true;
    return v;
  }
  /// A string that points to text living at least as long as the value.
  static value view(std::string_view s, std::shared_ptr<const void> owner = {}) noexcept {
    value v;
    v.rep_ = rep::string;
    v.u_.s = {s.data(), s.size()};
    v.own_ = std::move(owner);
    return v;
  }
  /// A computed string.
  static value str(std::string s);
  /// A payload value (scalars become plain values; strings stay views).
  static value json(const rapidjson::Value& j, const std::shared_ptr<const void>& owner = {});
  static value array(std::vector<value> items);
  static value object(std::vector<member> members);

  [[nodiscard]] vtype type() const noexcept;
  [[nodiscard]] bool is_null() const noexcept { return rep_ == rep::null; }
  [[nodiscard]] bool is_missing() const noexcept { return missing_; }
  [[nodiscard]] bool is_number() const noexcept {
    return rep_ == rep::integer || rep_ == rep::real;
  }
  [[nodiscard]] bool is_string() const noexcept { return rep_ == rep::string; }

  [[nodiscard]] bool as_bool() const noexcept { return u_.b; }
  [[nodiscard]] std::int64_t as_int() const noexcept { return u_.i; }
  /// The number as a double (integers converted).
  [[nodiscard]] double as_real() const noexcept {
    return rep_ == rep::integer ? static_cast<double>(u_.i) : u_.d;
  }
  [[nodiscard]] std::string_view as_string() const noexcept { return {u_.s.p, u_.s.n}; }

  /// Arrays and objects: the number of items or members.
  [[nodiscard]] std::size_t size() const noexcept;
  /// Array item `i` (missing when out of range or not an array).
  [[nodiscard]] value at(std::size_t i) const;
  /// Object member `key` (missing when absent or not an object).
  [[nodiscard]] value get(std::string_view key) const;
  /// Calls f(name, value) for each member of an object, in order.
  template <class F>
  void for_each_member(F&& f) const;
  /// Calls f(value) for each item of an array.
  template <class F>
  void for_each_item(F&& f) const;

  /// The borrowed RapidJSON value of a payload array/object, or nullptr.
  [[nodiscard]] const rapidjson::Value* json_ptr() const noexcept {
    return rep_ == rep::json ? u_.j : nullptr;
  }

 private:
  enum class rep : std::uint8_t { null, boolean, integer, real, string, json, array, object };
  struct sv {
    const char* p;
    std::size_t n;
  };
  union payload_u {
    bool b;
    std::int64_t i;
    double d;
    sv s;
    const rapidjson::Value* j;
    const std::vector<value>* a;
    const std::vector<member>* o;
  };
  rep rep_ = rep::null;
  bool missing_ = false;
  payload_u u_{};
  std::shared_ptr<const void> own_;  // what the views above point into, when computed
};

inline value value::json(const rapidjson::Value& j, const std::shared_ptr<const void>& owner) {
  switch (j.GetType()) {
    case rapidjson::kNullType:
      return {};
    case rapidjson::kFalseType:
      return value(false);
    case rapidjson::kTrueType:
      return value(true);
    case rapidjson::kNumberType:
      if (j.IsInt64())
        return value(j.GetInt64());
      return value(j.GetDouble());
    case rapidjson::kStringType:
      return view({j.GetString(), j.GetStringLength()}, owner);
    case rapidjson::kObjectType:
    case rapidjson::kArrayType:
      break;
  }
  value v;
  v.rep_ = rep::json;
  v.u_.j = &j;
  v.own_ = owner;
  return v;
}

inline vtype value::type() const noexcept {
  switch (rep_) {
    case rep::null:
      return vtype::null;
    case rep::boolean:
      return vtype::boolean;
    case rep::integer:
      return vtype::integer;
    case rep::real:
      return vtype::real;
    case rep::string:
      return vtype::string;
    case rep::json:
      return u_.j->IsObject() ? vtype::object : vtype::array;
    case rep::array:
      return vtype::array;
    case rep::object:
      return vtype::object;
  }
  return vtype::null;
}

template <class F>
void value::for_each_member(F&& f) const {
  if (rep_ == rep::json && u_.j->IsObject()) {
    for (auto& m : u_.j->GetObject())
      f(std::string_view(m.name.GetString(), m.name.GetStringLength()), value::json(m.value, own_));
  } else if (rep_ == rep::object) {
    for (auto& m : *u_.o)
      f(std::string_view(m.first), m.second);
  }
}

template <class F>
void value::for_each_item(F&& f) const {
  if (rep_ == rep::json && u_.j->IsArray()) {
    for (auto& e : u_.j->GetArray())
      f(value::json(e, own_));
  } else if (rep_ == rep::array) {
    for (auto& e : *u_.a)
      f(e);
  }
}

/// Three-valued logic: SQL's unknown is `null`.
enum class tri : std::uint8_t { no, yes, unknown };

/// `a = b` (see docs/rules.md "Comparing values"): numbers by value (a
/// boolean counts as 1/0 and a numeric string as its number against a
/// number), strings bytewise, arrays and objects deeply; unknown when
/// either is null; `no` for other mixes.
[[nodiscard]] tri equals(const value& a, const value& b);
/// `a < b` etc.: -1/0/1, or nothing when not ordered (null, mixed types
/// without a number rule, arrays, objects).
[[nodiscard]] bool compare(const value& a, const value& b, int& out);

/// The text of a scalar for concat(), str(), templates: strings as is,
/// integers in decimal, reals shortest round-trip, booleans true/false,
/// arrays/objects as compact JSON, null as "".
[[nodiscard]] std::string to_text(const value& v);
/// Appends a number's text.
void append_number(std::string& out, const value& v);

/// Compact JSON of `v` appended to `out`; false when a string is not valid
/// UTF-8 (JSON text must be). NaN and infinities are written as null.
[[nodiscard]] bool append_json(std::string& out, const value& v);

/// Parses a numeric string ("38", "-1.5e3", " 7 " is not one): the whole
/// text must be a JSON-style number.
[[nodiscard]] bool parse_number(std::string_view s, value& out);

}  // namespace iotb::rules
