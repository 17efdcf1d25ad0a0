#include "broker/rules/value.hpp"

#include <charconv>
#include <cmath>

#include "broker/rules/json_out.hpp"

namespace iotb::rules {

std::string_view type_name(vtype t) noexcept {
  switch (t) {
    case vtype::null:
      return "null";
    case vtype::boolean:
      return "boolean";
    case vtype::integer:
      return "integer";
    case vtype::real:
      return "real";
    case vtype::string:
      return "string";
    case vtype::array:
      return "array";
    case vtype::object:
      return "object";
  }
  return "?";
}

std::string describe(type_mask m) {
  m = static_cast<type_mask>(m & ~t_null);
  if (m == 0)
    return "null";
  if ((m & t_any & ~t_null) == (t_any & ~t_null))
    return "any value";
  std::string out;
  auto add = [&](std::string_view word) {
    if (!out.empty())
      out += " or ";
    out += word;
  };
  if ((m & t_num) == t_num)
    add("a number");
  else if (m & t_int)
    add("an integer");
  else if (m & t_real)
    add("a real");
  if (m & t_str)
    add("a string");
  if (m & t_bool)
    add("a boolean");
  if (m & t_arr)
    add("an array");
  if (m & t_obj)
    add("an object");
  return out;
}

value value::str(std::string s) {
  auto owned = std::make_shared<const std::string>(std::move(s));
  std::string_view sv(*owned);
  return view(sv, std::move(owned));
}

value value::array(std::vector<value> items) {
  auto owned = std::make_shared<const std::vector<value>>(std::move(items));
  value v;
  v.rep_ = rep::array;
  v.u_.a = owned.get();
  v.own_ = std::move(owned);
  return v;
}

value value::object(std::vector<member> members) {
  auto owned = std::make_shared<const std::vector<member>>(std::move(members));
  value v;
  v.rep_ = rep::object;
  v.u_.o = owned.get();
  v.own_ = std::move(owned);
  return v;
}

std::size_t value::size() const noexcept {
  switch (rep_) {
    case rep::json:
      return u_.j->IsObject() ? u_.j->MemberCount() : u_.j->Size();
    case rep::array:
      return u_.a->size();
    case rep::object:
      return u_.o->size();
    default:
      return 0;
  }
}

value value::at(std::size_t i) const {
  if (rep_ == rep::json && u_.j->IsArray() && i < u_.j->Size())
    return json((*u_.j)[static_cast<rapidjson::SizeType>(i)], own_);
  if (rep_ == rep::array && i < u_.a->size())
    return (*u_.a)[i];
  return missing();
}

value value::get(std::string_view key) const {
  if (rep_ == rep::json && u_.j->IsObject()) {
    // FindMember(const char*) needs a terminated name: compare by hand.
    for (auto& m : u_.j->GetObject()) {
      if (m.name.GetStringLength() == key.size() &&
          std::string_view(m.name.GetString(), key.size()) == key)
        return json(m.value, own_);
    }
  } else if (rep_ == rep::object) {
    for (auto& m : *u_.o)
      if (m.first == key)
        return m.second;
  }
  return missing();
}

namespace {

/// a and b as numbers for a mixed comparison: a boolean is 1/0, a numeric
/// string its number, when the other side is a number.
bool numeric_pair(const value& a, const value& b, value& x, value& y) {
  auto as_num = [](const value& v, value& out) {
    if (v.is_number()) {
      out = v;
      return true;
    }
    if (v.type() == vtype::boolean) {
      out = value(static_cast<std::int64_t>(v.as_bool() ? 1 : 0));
      return true;
    }
    if (v.is_string())
      return parse_number(v.as_string(), out);
    return false;
  };
  if (!a.is_number() && !b.is_number())
    return false;
  return as_num(a, x) && as_num(b, y);
}

int cmp_numbers(const value& x, const value& y) {
  if (x.type() == vtype::integer && y.type() == vtype::integer)
    return x.as_int() < y.as_int() ? -1 : (x.as_int() > y.as_int() ? 1 : 0);
  double a = x.as_real(), b = y.as_real();
  return a < b ? -1 : (a > b ? 1 : 0);
}

bool deep_equal(const value& a, const value& b) {
  if (a.is_null() || b.is_null())
    return a.is_null() && b.is_null();
  return equals(a, b) == tri::yes;
}

}  // namespace

tri equals(const value& a, const value& b) {
  if (a.is_null() || b.is_null())
    return tri::unknown;
  auto ta = a.type(), tb = b.type();
  if (a.is_number() || b.is_number()) {
    value x, y;
    if (!numeric_pair(a, b, x, y))
      return tri::no;
    if (std::isnan(x.as_real()) || std::isnan(y.as_real()))
      return tri::no;
    return cmp_numbers(x, y) == 0 ? tri::yes : tri::no;
  }
  if (ta != tb)
    return tri::no;
  switch (ta) {
    case vtype::boolean:
      return a.as_bool() == b.as_bool() ? tri::yes : tri::no;
    case vtype::string:
      return a.as_string() == b.as_string() ? tri::yes : tri::no;
    case vtype::array: {
      if (a.size() != b.size())
        return tri::no;
      for (std::size_t i = 0; i < a.size(); ++i)
        if (!deep_equal(a.at(i), b.at(i)))
          return tri::no;
      return tri::yes;
    }
    case vtype::object: {
      if (a.size() != b.size())
        return tri::no;
      bool same = true;
      a.for_each_member([&](std::string_view k, const value& v) {
        if (same) {
          auto other = b.get(k);
          same = !other.is_missing() && deep_equal(v, other);
        }
      });
      return same ? tri::yes : tri::no;
    }
    default:
      return tri::no;
  }
}

bool compare(const value& a, const value& b, int& out) {
  if (a.is_null() || b.is_null())
    return false;
  if (a.is_number() || b.is_number()) {
    value x, y;
    if (!numeric_pair(a, b, x, y) || std::isnan(x.as_real()) || std::isnan(y.as_real()))
      return false;
    out = cmp_numbers(x, y);
    return true;
  }
  if (a.is_string() && b.is_string()) {
    auto c = a.as_string().compare(b.as_string());
    out = c < 0 ? -1 : (c > 0 ? 1 : 0);
    return true;
  }
  if (a.type() == vtype::boolean && b.type() == vtype::boolean) {
    out = static_cast<int>(a.as_bool()) - static_cast<int>(b.as_bool());
    return true;
  }
  return false;
}

void append_number(std::string& out, const value& v) {
  char buf[32];
  std::to_chars_result r{};
  if (v.type() == vtype::integer)
    r = std::to_chars(buf, buf + sizeof buf, v.as_int());
  else
    r = std::to_chars(buf, buf + sizeof buf, v.as_real());
  out.append(buf, r.ptr);
}

std::string to_text(const value& v) {
  switch (v.type()) {
    case vtype::null:
      return {};
    case vtype::boolean:
      return v.as_bool() ? "true" : "false";
    case vtype::integer:
    case vtype::real: {
      std::string out;
      append_number(out, v);
      return out;
    }
    case vtype::string:
      return std::string(v.as_string());
    case vtype::array:
    case vtype::object: {
      std::string out;
      (void)append_json(out, v);
      return out;
    }
  }
  return {};
}

bool append_json(std::string& out, const value& v) {
  return detail::write_value(out, v);
}

bool parse_number(std::string_view s, value& out) {
  // JSON's number grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
  std::size_t i = 0, n = s.size();
  auto digits = [&] {
    std::size_t start = i;
    while (i < n && s[i] >= '0' && s[i] <= '9')
      ++i;
    return i > start;
  };
  if (i < n && s[i] == '-')
    ++i;
  if (i < n && s[i] == '0')
    ++i;
  else if (!digits())
    return false;
  bool integral = true;
  if (i < n && s[i] == '.') {
    ++i;
    integral = false;
    if (!digits())
      return false;
  }
  if (i < n && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    integral = false;
    if (i < n && (s[i] == '+' || s[i] == '-'))
      ++i;
    if (!digits())
      return false;
  }
  if (i != n || n == 0)
    return false;
  if (integral) {
    std::int64_t v = 0;
    auto r = std::from_chars(s.data(), s.data() + n, v);
    if (r.ec == std::errc() && r.ptr == s.data() + n) {
      out = value(v);
      return true;
    }
  }
  double d = 0;
  auto r = std::from_chars(s.data(), s.data() + n, d);
  if (r.ec != std::errc() || r.ptr != s.data() + n || !std::isfinite(d))
    return false;
  out = value(d);
  return true;
}

}  // namespace iotb::rules
