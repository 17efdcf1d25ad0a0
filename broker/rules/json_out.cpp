// The JSON writers of broker/rules (json_out.hpp): UTF-8 validation,
// strings with escapes, reals, payload values and computed values, and
// minifying a payload. Apart from value.cpp, which holds the run-time
// values themselves.

#include "broker/rules/json_out.hpp"

#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>

#include <rapidjson/internal/dtoa.h>

namespace iotb::rules {

namespace detail {

namespace {

/// Length of the valid UTF-8 sequence at s[i] (RFC 3629: no overlongs,
/// no surrogates, ≤ U+10FFFF), 0 when invalid.
std::size_t utf8_len(std::string_view s, std::size_t i) {
  auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  auto cont = [&](std::size_t k) { return k < s.size() && (b(k) & 0xC0) == 0x80; };
  unsigned c = b(i);
  if (c >= 0xC2 && c <= 0xDF)
    return cont(i + 1) ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    if (!cont(i + 1) || !cont(i + 2))
      return 0;
    unsigned c1 = b(i + 1);
    if ((c == 0xE0 && c1 < 0xA0) || (c == 0xED && c1 > 0x9F))
      return 0;
    return 3;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    if (!cont(i + 1) || !cont(i + 2) || !cont(i + 3))
      return 0;
    unsigned c1 = b(i + 1);
    if ((c == 0xF0 && c1 < 0x90) || (c == 0xF4 && c1 > 0x8F))
      return 0;
    return 4;
  }
  return 0;
}

}  // namespace

namespace {

/// 1 for the bytes a JSON string holds as they are.
constexpr auto plain_table = [] {
  std::array<std::uint8_t, 256> t{};
  for (unsigned c = 0x20; c < 0x80; ++c)
    t[c] = c != '"' && c != '\\';
  return t;
}();

}  // namespace

bool valid_utf8(std::string_view s) noexcept {
  // Most payloads are ASCII: one pass the compiler vectorizes decides it.
  unsigned char high = 0;
  for (char ch : s)
    high |= static_cast<unsigned char>(ch);
  if (high < 0x80)
    return true;
  std::size_t i = 0;
  while (i < s.size()) {
    if (i + 8 <= s.size()) {
      std::uint64_t w;
      std::memcpy(&w, s.data() + i, 8);
      if ((w & 0x8080808080808080ULL) == 0) {
        i += 8;
        continue;
      }
    }
    if (static_cast<unsigned char>(s[i]) < 0x80) {
      ++i;
      continue;
    }
    auto n = utf8_len(s, i);
    if (n == 0)
      return false;
    i += n;
  }
  return true;
}

bool append_string(std::string& out, std::string_view s) {
  static constexpr char hex[] = "0123456789abcdef";
  out.push_back('"');
  std::size_t run = 0;  // start of the pending run of plain bytes
  for (std::size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    if (plain_table[c]) {
      ++i;
      continue;
    }
    if (c >= 0x80) {
      auto n = utf8_len(s, i);
      if (n == 0)
        return false;
      i += n;
      continue;
    }
    out.append(s.data() + run, i - run);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      default: {
        char u[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
        out.append(u, 6);
      }
    }
    run = ++i;
  }
  out.append(s.data() + run, s.size() - run);
  out.push_back('"');
  return true;
}

namespace {

/// A real with at most 4 decimals below 1e15 (38.6, 1013.25: what devices
/// send) written from integers: the fewest decimals k for which n, the
/// integer nearest d·10^k, gives n / 10^k == d. That text reads back as d
/// (n and 10^k are exact, so the division is the correctly rounded value of
/// n·10^-k) and has the fewest digits, which is what Grisu2 writes
/// (json_out.test.cpp compares them), at a fraction of its cost. False for
/// other values.
bool append_short_decimal(std::string& out, double d) {
  static constexpr double scale[] = {1.0, 10.0, 100.0, 1000.0, 10000.0};
  static constexpr std::uint64_t iscale[] = {1, 10, 100, 1000, 10000};
  const double a = std::fabs(d);
  if (!(a >= 1e-4 && a < 1e15))
    return false;
  for (int k = 0; k < 5; ++k) {
    const double x = a * scale[k];
    // 15 significant digits at most: such a decimal is the only one of its
    // length that reads back as d (DBL_DIG), so it is Grisu2's text too.
    if (x >= 1e15)
      return false;
    // The nearest integer: adding and taking away 2^52 leaves no fraction
    // bits (exact for 0 <= x < 2^52, and x < 1e15 here).
    const auto n = static_cast<std::uint64_t>((x + 0x1p52) - 0x1p52);
    if (static_cast<double>(n) / scale[k] != a)
      continue;
    char buf[48];
    char* e = buf;
    if (d < 0)
      *e++ = '-';
    e = std::to_chars(e, buf + sizeof buf, n / iscale[k]).ptr;
    *e++ = '.';
    if (k == 0) {
      *e++ = '0';  // an integral real keeps its ".0"
    } else {
      auto frac = n % iscale[k];
      for (int i = k - 1; i >= 0; --i) {
        e[i] = static_cast<char>('0' + frac % 10);
        frac /= 10;
      }
      e += k;
    }
    out.append(buf, e);
    return true;
  }
  return false;
}

}  // namespace

void append_real(std::string& out, double d) {
  if (!std::isfinite(d)) {
    out += "null";
    return;
  }
  if (append_short_decimal(out, d))
    return;
  // RapidJSON's Grisu2 (twice as fast as libstdc++'s to_chars here);
  // an integral real keeps its ".0".
  char buf[32];
  char* end = rapidjson::internal::dtoa(d, buf);
  out.append(buf, end);
}

bool append_json_value(std::string& out, const rapidjson::Value& v) {
  switch (v.GetType()) {
    case rapidjson::kNullType:
      out += "null";
      return true;
    case rapidjson::kFalseType:
      out += "false";
      return true;
    case rapidjson::kTrueType:
      out += "true";
      return true;
    case rapidjson::kNumberType:
      if (v.IsInt64())
        append_number(out, value(v.GetInt64()));
      else if (v.IsUint64())
        out += std::to_string(v.GetUint64());
      else
        append_real(out, v.GetDouble());
      return true;
    case rapidjson::kStringType:
      return append_string(out, {v.GetString(), v.GetStringLength()});
    case rapidjson::kArrayType: {
      out.push_back('[');
      bool first = true;
      for (auto& e : v.GetArray()) {
        if (!first)
          out.push_back(',');
        first = false;
        if (!append_json_value(out, e))
          return false;
      }
      out.push_back(']');
      return true;
    }
    case rapidjson::kObjectType: {
      out.push_back('{');
      bool first = true;
      for (auto& m : v.GetObject()) {
        if (!first)
          out.push_back(',');
        first = false;
        if (!append_string(out, {m.name.GetString(), m.name.GetStringLength()}))
          return false;
        out.push_back(':');
        if (!append_json_value(out, m.value))
          return false;
      }
      out.push_back('}');
      return true;
    }
  }
  return false;
}

bool write_value(std::string& out, const value& v) {
  switch (v.type()) {
    case vtype::null:
      out += "null";
      return true;
    case vtype::boolean:
      out += v.as_bool() ? "true" : "false";
      return true;
    case vtype::integer:
      append_number(out, v);
      return true;
    case vtype::real:
      append_real(out, v.as_real());
      return true;
    case vtype::string:
      return append_string(out, v.as_string());
    case vtype::array:
    case vtype::object:
      break;
  }
  if (auto* j = v.json_ptr())
    return append_json_value(out, *j);
  bool ok = true;
  bool first = true;
  if (v.type() == vtype::array) {
    out.push_back('[');
    v.for_each_item([&](const value& e) {
      if (!first)
        out.push_back(',');
      first = false;
      ok = ok && write_value(out, e);
    });
    out.push_back(']');
    return ok;
  }
  out.push_back('{');
  v.for_each_member([&](std::string_view k, const value& e) {
    if (!ok || e.is_missing())
      return;
    if (!first)
      out.push_back(',');
    first = false;
    ok = append_string(out, k) && (out.push_back(':'), write_value(out, e));
  });
  out.push_back('}');
  return ok;
}

void append_minified(std::string& out, std::string_view json) {
  std::size_t run = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < json.size(); ++i) {
    char c = json[i];
    if (in_string) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == ' ' || c == '\n' || c == '\r' || c == '\t') {
      out.append(json.data() + run, i - run);
      run = i + 1;
    }
  }
  out.append(json.data() + run, json.size() - run);
}

}  // namespace detail

}  // namespace iotb::rules
