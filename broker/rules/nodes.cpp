#include "broker/rules/nodes.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include <boost/container/small_vector.hpp>

#include "broker/rules/functions.hpp"
#include "broker/util/clock.hpp"

namespace iotb::rules::detail {

value eval_ctx::fail(const node& n, std::string_view message) {
  if (!failed) {
    failed = true;
    error = "line " + std::to_string(n.line()) + ", column " + std::to_string(n.column()) + ": ";
    error += message;
  }
  return {};
}

bool eval_ctx::charge(const node& n, std::size_t size) {
  if (size > limits::max_string_bytes) {
    fail(n, "result longer than " + std::to_string(limits::max_string_bytes) + " bytes");
    return false;
  }
  bytes += size;
  if (bytes > limits::max_eval_bytes) {
    fail(n, "the evaluation built more than " + std::to_string(limits::max_eval_bytes) +
                " bytes of strings");
    return false;
  }
  return true;
}

value eval_ctx::string(const node& n, std::string_view s) {
  if (!charge(n, s.size()))
    return {};
  return keep(s);
}

value eval_ctx::keep(std::string_view s) const {
  if (strings != nullptr)
    return value::view(strings->keep(s));
  return value::str(std::string(s));
}

std::int64_t eval_ctx::now_ms() const {
  return msg.timestamp_ms != 0 ? msg.timestamp_ms : static_cast<std::int64_t>(clock::wall_ms());
}

value follow(value v, std::span<const step> path) {
  for (auto& s : path) {
    if (s.is_index) {
      if (v.type() != vtype::array)
        return value::missing();
      auto n = static_cast<std::int64_t>(v.size());
      auto i = s.index < 0 ? n + s.index : s.index;
      if (i < 0 || i >= n)
        return value::missing();
      v = v.at(static_cast<std::size_t>(i));
    } else {
      if (v.type() != vtype::object)
        return value::missing();
      v = v.get(s.name);
    }
  }
  return v;
}

value field_node::eval(eval_ctx& c) const {
  // Straight on the parsed payload: no intermediate values.
  const rapidjson::Value* v = c.payload;
  if (v == nullptr)
    return value::missing();
  for (auto& s : path_) {
    if (s.is_index) {
      if (!v->IsArray())
        return value::missing();
      auto n = static_cast<std::int64_t>(v->Size());
      auto i = s.index < 0 ? n + s.index : s.index;
      if (i < 0 || i >= n)
        return value::missing();
      v = &(*v)[static_cast<rapidjson::SizeType>(i)];
    } else {
      if (!v->IsObject())
        return value::missing();
      const rapidjson::Value* hit = nullptr;
      for (auto& m : v->GetObject()) {
        // Length, then the first byte, before a memcmp call.
        if (m.name.GetStringLength() == s.name.size() &&
            (s.name.empty() || m.name.GetString()[0] == s.name[0]) &&
            std::memcmp(m.name.GetString(), s.name.data(), s.name.size()) == 0) {
          hit = &m.value;
          break;
        }
      }
      if (hit == nullptr)
        return value::missing();
      v = hit;
    }
  }
  return value::json(*v);
}

value alias_node::eval(eval_ctx& c) const {
  if (!c.done[slot_]) {
    c.slots[slot_] = (*c.select)[slot_]->eval(c);
    c.done[slot_] = 1;
  }
  return follow(c.slots[slot_], path_);
}

value index_node::eval(eval_ctx& c) const {
  auto base = base_->eval(c);
  auto i = index_->eval(c);
  step s;
  if (i.type() == vtype::integer) {
    s.is_index = true;
    s.index = i.as_int();
  } else if (i.is_string()) {
    s.name = std::string(i.as_string());
  } else {
    return value::missing();
  }
  return follow(std::move(base), std::span<const step>(&s, 1));
}

value neg_node::eval(eval_ctx& c) const {
  auto v = x_->eval(c);
  if (v.is_null())
    return {};
  if (v.type() == vtype::integer) {
    if (v.as_int() == std::numeric_limits<std::int64_t>::min())
      return value(-v.as_real());
    return value(-v.as_int());
  }
  if (v.type() == vtype::real)
    return value(-v.as_real());
  return c.fail(*this, "cannot negate " + std::string(type_name(v.type())));
}

namespace {

/// A value as a truth value: booleans only (null is unknown).
tri truth(eval_ctx& c, const node& n, const value& v) {
  if (v.is_null())
    return tri::unknown;
  if (v.type() == vtype::boolean)
    return v.as_bool() ? tri::yes : tri::no;
  c.fail(n, "expected a boolean, got " + std::string(type_name(v.type())));
  return tri::unknown;
}

value from_tri(tri t) {
  if (t == tri::unknown)
    return {};
  return value(t == tri::yes);
}

}  // namespace

value not_node::eval(eval_ctx& c) const {
  auto t = truth(c, *x_, x_->eval(c));
  return from_tri(t == tri::unknown ? t : (t == tri::yes ? tri::no : tri::yes));
}

value logic_node::eval(eval_ctx& c) const {
  // AND: false wins, then unknown; OR: true wins, then unknown.
  const tri decisive = and_ ? tri::no : tri::yes;
  bool unknown = false;
  for (auto& x : xs_) {
    auto t = truth(c, *x, x->eval(c));
    if (c.failed)
      return {};
    if (t == decisive)
      return from_tri(decisive);
    unknown = unknown || t == tri::unknown;
  }
  if (unknown)
    return {};
  return from_tri(and_ ? tri::yes : tri::no);
}

value arith(eval_ctx& c, const node& at, arith_op op, const value& a, const value& b) {
  if (a.is_null() || b.is_null())
    return {};
  if (op == arith_op::add && a.is_string() && b.is_string()) {
    std::string s;
    s.reserve(a.as_string().size() + b.as_string().size());
    s.append(a.as_string()).append(b.as_string());
    return c.string(at, s);
  }
  if (!a.is_number() || !b.is_number()) {
    static constexpr std::string_view verbs[] = {"add", "subtract", "multiply", "divide",
                                                 "take the remainder of"};
    return c.fail(at, "cannot " + std::string(verbs[static_cast<int>(op)]) + " " +
                          std::string(type_name(a.type())) + " and " +
                          std::string(type_name(b.type())));
  }
  if (a.type() == vtype::integer && b.type() == vtype::integer) {
    std::int64_t x = a.as_int(), y = b.as_int(), r = 0;
    switch (op) {
      case arith_op::add:
        if (!__builtin_add_overflow(x, y, &r))
          return value(r);
        break;
      case arith_op::sub:
        if (!__builtin_sub_overflow(x, y, &r))
          return value(r);
        break;
      case arith_op::mul:
        if (!__builtin_mul_overflow(x, y, &r))
          return value(r);
        break;
      case arith_op::div:
        if (y == 0)
          return c.fail(at, "division by zero");
        if (y != -1 && x % y == 0)
          return value(x / y);
        break;
      case arith_op::mod:
        if (y == 0)
          return c.fail(at, "division by zero");
        if (y == -1)
          return value(std::int64_t{0});
        return value(x % y);
    }
  }
  double x = a.as_real(), y = b.as_real();
  switch (op) {
    case arith_op::add:
      return value(x + y);
    case arith_op::sub:
      return value(x - y);
    case arith_op::mul:
      return value(x * y);
    case arith_op::div:
      if (y == 0)
        return c.fail(at, "division by zero");
      return value(x / y);
    case arith_op::mod:
      if (y == 0)
        return c.fail(at, "division by zero");
      return value(std::fmod(x, y));
  }
  return {};
}

value arith_node::eval(eval_ctx& c) const {
  auto acc = first_->eval(c);
  for (auto& t : rest_) {
    if (c.failed)
      return {};
    auto rhs = t.x->eval(c);
    acc = arith(c, *t.x, t.op, acc, rhs);
  }
  return acc;
}

value compare_node::eval(eval_ctx& c) const {
  auto a = a_->eval(c);
  auto b = b_->eval(c);
  if (a.is_null() || b.is_null())
    return {};
  if (op_ == cmp_op::eq || op_ == cmp_op::ne) {
    auto t = equals(a, b);
    if (t == tri::unknown)
      return {};
    return value((t == tri::yes) == (op_ == cmp_op::eq));
  }
  int r = 0;
  if (!compare(a, b, r))
    return {};
  switch (op_) {
    case cmp_op::lt:
      return value(r < 0);
    case cmp_op::le:
      return value(r <= 0);
    case cmp_op::gt:
      return value(r > 0);
    case cmp_op::ge:
      return value(r >= 0);
    default:
      return {};
  }
}

value in_node::eval(eval_ctx& c) const {
  auto x = x_->eval(c);
  if (x.is_null())
    return {};
  bool unknown = false;
  for (auto& item : list_) {
    auto t = equals(x, item->eval(c));
    if (t == tri::yes)
      return value(!not_);
    unknown = unknown || t == tri::unknown;
  }
  if (unknown)
    return {};
  return value(not_);
}

bool like_match(std::string_view s, std::string_view p, char esc) noexcept {
  // Greedy with one backtrack point (the last %): linear in practice,
  // O(|s|·|p|) at worst, no recursion. `_` matches one UTF-8 character.
  auto char_len = [](std::string_view str, std::size_t i) {
    auto b = static_cast<unsigned char>(str[i]);
    std::size_t n = b < 0x80 ? 1 : (b >> 5) == 6 ? 2 : (b >> 4) == 14 ? 3 : (b >> 3) == 30 ? 4 : 1;
    return std::min(n, str.size() - i);
  };
  std::size_t si = 0, pi = 0, star_p = std::string_view::npos, star_s = 0;
  while (si < s.size()) {
    if (pi < p.size()) {
      char pc = p[pi];
      if (pc == '%') {
        star_p = ++pi;
        star_s = si;
        continue;
      }
      if (pc == '_') {
        si += char_len(s, si);
        ++pi;
        continue;
      }
      std::size_t plen = 1;
      if (pc == esc && esc != 0 && pi + 1 < p.size()) {
        pc = p[pi + 1];
        plen = 2;
      }
      if (pc == s[si]) {
        ++si;
        pi += plen;
        continue;
      }
    }
    if (star_p == std::string_view::npos)
      return false;
    star_s += char_len(s, star_s);
    si = star_s;
    pi = star_p;
  }
  while (pi < p.size() && p[pi] == '%')
    ++pi;
  return pi == p.size();
}

like_node::like_node(std::uint32_t l, std::uint32_t c, node_ptr x, node_ptr pattern, char esc,
                     bool negated)
    : node(l, c, t_bool | t_null),
      x_(std::move(x)),
      p_(std::move(pattern)),
      esc_(esc),
      not_(negated) {
  const value* k = p_->constant();
  if (k == nullptr || !k->is_string())
    return;
  auto p = k->as_string();
  auto special = [&](char ch) { return ch == '%' || ch == '_' || (esc_ != 0 && ch == esc_); };
  if (p.empty() || p.back() != '%')
    return;
  p.remove_suffix(1);
  if (std::any_of(p.begin(), p.end(), special))
    return;
  prefix_only_ = true;
  prefix_ = std::string(p);
}

value like_node::eval(eval_ctx& c) const {
  if (prefix_only_) {
    auto x = x_->eval(c);
    if (x.is_null())
      return {};
    if (!x.is_string())
      return c.fail(*this,
                    "LIKE needs strings, got " + std::string(type_name(x.type())) + " and string");
    return value(x.as_string().starts_with(prefix_) != not_);
  }
  auto x = x_->eval(c);
  auto p = p_->eval(c);
  if (x.is_null() || p.is_null())
    return {};
  if (!x.is_string() || !p.is_string())
    return c.fail(*this, "LIKE needs strings, got " + std::string(type_name(x.type())) + " and " +
                             std::string(type_name(p.type())));
  return value(like_match(x.as_string(), p.as_string(), esc_) != not_);
}

value is_null_node::eval(eval_ctx& c) const {
  return value(x_->eval(c).is_null() != not_);
}

value case_node::eval(eval_ctx& c) const {
  value subject;
  if (subject_)
    subject = subject_->eval(c);
  for (auto& b : branches_) {
    if (c.failed)
      return {};
    auto w = b.when->eval(c);
    bool hit = subject_ ? equals(subject, w) == tri::yes : truth(c, *b.when, w) == tri::yes;
    if (hit)
      return b.then->eval(c);
  }
  if (else_)
    return else_->eval(c);
  return {};
}

value object_node::eval(eval_ctx& c) const {
  std::vector<member> members;
  members.reserve(entries_.size());
  for (auto& e : entries_)
    members.emplace_back(e.key, e.x->eval(c));
  return value::object(std::move(members));
}

value array_node::eval(eval_ctx& c) const {
  std::vector<value> items;
  items.reserve(items_.size());
  for (auto& e : items_)
    items.push_back(e->eval(c));
  return value::array(std::move(items));
}

literal_node::literal_node(std::uint32_t l, std::uint32_t c, value v,
                           std::shared_ptr<const std::string> text)
    : node(l, c, v.is_null() ? t_null : bit(v.type())), text_(std::move(text)), v_(std::move(v)) {}

call_node::call_node(std::uint32_t l, std::uint32_t c, const function_def& f,
                     std::vector<node_ptr> args)
    : node(l, c, f.result), fn_(&f), args_(std::move(args)) {}

value call_node::eval(eval_ctx& c) const {
  boost::container::small_vector<value, 4> vals;
  vals.reserve(args_.size());
  for (auto& a : args_)
    vals.push_back(a->eval(c));
  if (c.failed)
    return {};
  return fn_->impl(c, *this, std::span<const value>(vals.data(), vals.size()));
}

}  // namespace iotb::rules::detail
