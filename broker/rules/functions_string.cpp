// String, encoding, digest and regular-expression functions.

#include <cmath>
#include <cstdio>

#include <re2/re2.h>

#include "broker/rules/functions.hpp"
#include "broker/tls/digest.hpp"

namespace iotb::rules::detail {

namespace {

using args_t = std::span<const value>;

/// Argument i as text: strings as they are, other scalars converted;
/// arrays and objects as JSON. False for null.
bool text_arg(const value& v, std::string& storage, std::string_view& out) {
  if (v.is_null())
    return false;
  if (v.is_string()) {
    out = v.as_string();
    return true;
  }
  storage = to_text(v);
  out = storage;
  return true;
}

/// Argument i must be a string (null handled by the caller).
bool want_string(eval_ctx& c, const call_node& n, args_t a, std::size_t i) {
  if (a[i].is_string())
    return true;
  type_error(c, n, i, "a string, got " + std::string(type_name(a[i].type())));
  return false;
}

bool any_null(args_t a) {
  for (auto& v : a)
    if (v.is_null())
      return true;
  return false;
}

/// Byte offset of code point `k` in s (clamped to the end).
std::size_t cp_offset(std::string_view s, std::int64_t k) {
  std::size_t i = 0;
  for (; i < s.size() && k > 0; --k) {
    ++i;
    while (i < s.size() && (static_cast<unsigned char>(s[i]) & 0xC0) == 0x80)
      ++i;
  }
  return i;
}

std::int64_t cp_count(std::string_view s) {
  std::int64_t n = 0;
  for (char ch : s)
    if ((static_cast<unsigned char>(ch) & 0xC0) != 0x80)
      ++n;
  return n;
}

value fn_concat(eval_ctx& c, const call_node& n, args_t a) {
  std::string out;
  std::string tmp;
  for (auto& v : a) {
    std::string_view s;
    if (text_arg(v, tmp, s)) {
      if (out.size() + s.size() > limits::max_string_bytes)
        return c.fail(n, "concat(): result too long");
      out.append(s);
    }
  }
  return make_string(c, n, std::move(out));
}

template <bool Upper>
value fn_case(eval_ctx& c, const call_node& n, args_t a) {
  if (a[0].is_null())
    return {};
  if (!want_string(c, n, a, 0))
    return {};
  std::string s(a[0].as_string());
  for (auto& ch : s) {
    if (Upper && ch >= 'a' && ch <= 'z')
      ch = static_cast<char>(ch - 'a' + 'A');
    else if (!Upper && ch >= 'A' && ch <= 'Z')
      ch = static_cast<char>(ch - 'A' + 'a');
  }
  return make_string(c, n, std::move(s));
}

value fn_replace(eval_ctx& c, const call_node& n, args_t a) {
  if (any_null(a))
    return {};
  for (std::size_t i = 0; i < 3; ++i)
    if (!want_string(c, n, a, i))
      return {};
  auto src = a[0].as_string(), find = a[1].as_string(), repl = a[2].as_string();
  if (find.empty())
    return a[0];
  std::string out;
  std::size_t pos = 0;
  for (;;) {
    auto hit = src.find(find, pos);
    if (hit == std::string_view::npos)
      break;
    out.append(src.substr(pos, hit - pos)).append(repl);
    if (out.size() > limits::max_string_bytes)
      return c.fail(n, "replace(): result too long");
    pos = hit + find.size();
  }
  out.append(src.substr(pos));
  return make_string(c, n, std::move(out));
}

value fn_substring(eval_ctx& c, const call_node& n, args_t a) {
  if (any_null(a))
    return {};
  std::string tmp;
  std::string_view s;
  if (a[0].type() == vtype::array || a[0].type() == vtype::object)
    return type_error(c, n, 0, "a string or a number");
  (void)text_arg(a[0], tmp, s);
  for (std::size_t i = 1; i < a.size(); ++i)
    if (!a[i].is_number())
      return type_error(c, n, i, "a number");
  auto len = cp_count(s);
  auto clamp = [&](double d) {
    if (std::isnan(d) || d < 0)
      return std::int64_t{0};
    return d > static_cast<double>(len) ? len : static_cast<std::int64_t>(d);
  };
  auto start = clamp(std::trunc(a[1].as_real()));
  auto end = a.size() > 2 ? clamp(std::trunc(a[2].as_real())) : len;
  if (end <= start)
    return value::view("");
  auto b = cp_offset(s, start);
  auto e = b + cp_offset(s.substr(b), end - start);
  return make_string(c, n, std::string(s.substr(b, e - b)));
}

template <bool Ends>
value fn_affix(eval_ctx& c, const call_node& n, args_t a) {
  if (any_null(a))
    return {};
  if (!want_string(c, n, a, 0) || !want_string(c, n, a, 1))
    return {};
  return value(Ends ? a[0].as_string().ends_with(a[1].as_string())
                    : a[0].as_string().starts_with(a[1].as_string()));
}

value fn_trim(eval_ctx& c, const call_node& n, args_t a) {
  if (a[0].is_null())
    return {};
  if (!want_string(c, n, a, 0))
    return {};
  auto s = a[0].as_string();
  auto ws = [](char ch) { return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r'; };
  while (!s.empty() && ws(s.front()))
    s.remove_prefix(1);
  while (!s.empty() && ws(s.back()))
    s.remove_suffix(1);
  return make_string(c, n, std::string(s));
}

value fn_strlen(eval_ctx& c, const call_node& n, args_t a) {
  if (a[0].is_null())
    return {};
  if (!want_string(c, n, a, 0))
    return {};
  return value(cp_count(a[0].as_string()));
}

value fn_split(eval_ctx& c, const call_node& n, args_t a) {
  if (any_null(a))
    return {};
  if (!want_string(c, n, a, 0) || !want_string(c, n, a, 1))
    return {};
  auto s = a[0].as_string(), sep = a[1].as_string();
  if (sep.empty())
    return c.fail(n, "split(): the separator is empty");
  if (!c.charge(n, s.size()))
    return {};
  std::vector<value> parts;
  std::size_t pos = 0;
  for (;;) {
    auto hit = s.find(sep, pos);
    parts.push_back(c.keep(s.substr(pos, hit - pos)));
    if (hit == std::string_view::npos)
      break;
    pos = hit + sep.size();
  }
  return value::array(std::move(parts));
}

// --- regular expressions (RE2: linear time, bounded memory)

bool prepare_regex(call_node& n, sql_error& err) {
  std::string_view pattern;
  if (!literal_string(n, 1, pattern))
    return arg_error(n, 1, "the pattern must be a string literal", err);
  RE2::Options o;
  o.set_log_errors(false);
  o.set_max_mem(8 << 20);
  auto re = std::make_shared<RE2>(re2::StringPiece(pattern.data(), pattern.size()), o);
  if (!re->ok())
    return arg_error(n, 1, "bad regular expression: " + re->error(), err);
  if (n.args().size() > 2) {
    std::string_view rewrite;
    std::string why;
    if (literal_string(n, 2, rewrite) &&
        !re->CheckRewriteString(re2::StringPiece(rewrite.data(), rewrite.size()), &why))
      return arg_error(n, 2, "bad replacement: " + why, err);
  }
  n.prepared = std::move(re);
  return true;
}

value fn_regex_match(eval_ctx& c, const call_node& n, args_t a) {
  if (a[0].is_null())
    return {};
  if (!want_string(c, n, a, 0))
    return {};
  auto& re = *static_cast<const RE2*>(n.prepared.get());
  auto s = a[0].as_string();
  return value(RE2::PartialMatch(re2::StringPiece(s.data(), s.size()), re));
}

value fn_regex_replace(eval_ctx& c, const call_node& n, args_t a) {
  if (a[0].is_null() || a[2].is_null())
    return {};
  if (!want_string(c, n, a, 0) || !want_string(c, n, a, 2))
    return {};
  auto& re = *static_cast<const RE2*>(n.prepared.get());
  auto rw = a[2].as_string();
  std::string why;
  if (!re.CheckRewriteString(re2::StringPiece(rw.data(), rw.size()), &why))
    return c.fail(n, "regex_replace(): bad replacement: " + why);
  // RE2::GlobalReplace by hand, to stop as soon as the result is too long
  // (an empty match at every position times a long rewrite).
  auto in = a[0].as_string();
  re2::StringPiece text(in.data(), in.size());
  re2::StringPiece groups[10];
  const int ngroups = std::min(re.NumberOfCapturingGroups() + 1, 10);
  std::string out;
  std::size_t pos = 0;
  while (pos <= in.size()) {
    if (!re.Match(text, pos, in.size(), RE2::UNANCHORED, groups, ngroups))
      break;
    auto start = static_cast<std::size_t>(groups[0].data() - in.data());
    out.append(in.substr(pos, start - pos));
    if (!re.Rewrite(&out, re2::StringPiece(rw.data(), rw.size()), groups, ngroups))
      return c.fail(n, "regex_replace(): bad replacement");
    if (out.size() > limits::max_string_bytes)
      return c.fail(n, "regex_replace(): result too long");
    pos = start + groups[0].size();
    if (groups[0].empty()) {  // an empty match: copy one character and move on
      if (pos >= in.size())
        break;
      do
        out.push_back(in[pos++]);
      while (pos < in.size() && (static_cast<unsigned char>(in[pos]) & 0xC0) == 0x80);
    }
  }
  if (pos < in.size())
    out.append(in.substr(pos));
  return make_string(c, n, std::move(out));
}

// --- sprintf: a checked subset of printf

struct spec {
  std::string text;  ///< the conversion as written ("%-08.3f")
  char conv = 0;
};

/// Splits a format into literal text and conversions; an error message
/// when a conversion is not supported.
std::string parse_format(std::string_view f, std::vector<std::string>& lits,
                         std::vector<spec>& specs) {
  lits.emplace_back();
  for (std::size_t i = 0; i < f.size(); ++i) {
    if (f[i] != '%') {
      lits.back().push_back(f[i]);
      continue;
    }
    if (i + 1 < f.size() && f[i + 1] == '%') {
      lits.back().push_back('%');
      ++i;
      continue;
    }
    spec s;
    s.text = "%";
    std::size_t j = i + 1;
    while (j < f.size() && std::string_view("-+ 0#").find(f[j]) != std::string_view::npos)
      s.text.push_back(f[j++]);
    int digits = 0;
    while (j < f.size() && f[j] >= '0' && f[j] <= '9' && digits < 3) {
      s.text.push_back(f[j++]);
      ++digits;
    }
    if (j < f.size() && f[j] == '.') {
      s.text.push_back(f[j++]);
      digits = 0;
      while (j < f.size() && f[j] >= '0' && f[j] <= '9' && digits < 2) {
        s.text.push_back(f[j++]);
        ++digits;
      }
    }
    if (j >= f.size() || std::string_view("dixXofeEgGs").find(f[j]) == std::string_view::npos)
      return "unsupported conversion at offset " + std::to_string(i) +
             " (use %d %i %x %X %o %f %e %g %s with flags, width ≤ 999, precision ≤ 99)";
    s.conv = f[j];
    if (s.conv != 's')
      s.text += (s.conv == 'd' || s.conv == 'i' || s.conv == 'x' || s.conv == 'X' || s.conv == 'o')
                    ? std::string("ll") + f[j]
                    : std::string(1, f[j]);
    else
      s.text.push_back('s');
    specs.push_back(std::move(s));
    lits.emplace_back();
    i = j;
  }
  return {};
}

struct format_plan {
  std::vector<std::string> lits;
  std::vector<spec> specs;
};

bool prepare_sprintf(call_node& n, sql_error& err) {
  std::string_view f;
  if (!literal_string(n, 0, f))
    return true;  // checked at run time
  auto plan = std::make_shared<format_plan>();
  auto why = parse_format(f, plan->lits, plan->specs);
  if (!why.empty())
    return arg_error(n, 0, why, err);
  if (plan->specs.size() != n.args().size() - 1)
    return arg_error(n, 0,
                     "the format has " + std::to_string(plan->specs.size()) +
                         " conversions but there are " + std::to_string(n.args().size() - 1) +
                         " values",
                     err);
  n.prepared = std::move(plan);
  return true;
}

value fn_sprintf(eval_ctx& c, const call_node& n, args_t a) {
  if (a[0].is_null())
    return {};
  if (!want_string(c, n, a, 0))
    return {};
  format_plan local;
  const format_plan* plan = static_cast<const format_plan*>(n.prepared.get());
  if (!plan) {
    auto why = parse_format(a[0].as_string(), local.lits, local.specs);
    if (!why.empty())
      return c.fail(n, "sprintf(): " + why);
    if (local.specs.size() != a.size() - 1)
      return c.fail(n, "sprintf(): the format's conversions and the values differ in number");
    plan = &local;
  }
  std::string out = plan->lits[0];
  char buf[1200];  // width ≤ 999, precision ≤ 99: a number fits
  for (std::size_t i = 0; i < plan->specs.size(); ++i) {
    auto& s = plan->specs[i];
    auto& v = a[i + 1];
    int len = 0;
    if (s.conv == 's') {
      auto t = to_text(v);
      if (t.size() > limits::max_string_bytes)
        return c.fail(n, "sprintf(): result too long");
      // Width applies to strings too; format the padding only.
      len = std::snprintf(buf, sizeof buf, s.text.c_str(), "");
      std::string padded;
      auto pad = static_cast<std::size_t>(std::max(len, 0));
      bool left = s.text.find('-') != std::string::npos;
      if (pad > t.size())
        padded.assign(pad - t.size(), ' ');
      out += left ? t + padded : padded + t;
    } else if (v.is_number() || v.is_null() || v.type() == vtype::boolean) {
      double d = v.is_null() ? 0 : v.type() == vtype::boolean ? (v.as_bool() ? 1 : 0) : v.as_real();
      if (s.conv == 'd' || s.conv == 'i' || s.conv == 'x' || s.conv == 'X' || s.conv == 'o') {
        long long k = v.type() == vtype::integer ? static_cast<long long>(v.as_int())
                      : std::isfinite(d) && std::fabs(d) < 9.2e18 ? static_cast<long long>(d)
                                                                  : 0;
        len = std::snprintf(buf, sizeof buf, s.text.c_str(), k);
      } else {
        len = std::snprintf(buf, sizeof buf, s.text.c_str(), d);
      }
      if (len < 0 || static_cast<std::size_t>(len) >= sizeof buf)
        return c.fail(n, "sprintf(): conversion too long");
      out.append(buf, static_cast<std::size_t>(len));
    } else {
      return type_error(c, n, i + 1, "a number for " + s.text);
    }
    out += plan->lits[i + 1];
    if (out.size() > limits::max_string_bytes)
      return c.fail(n, "sprintf(): result too long");
  }
  return make_string(c, n, std::move(out));
}

// --- encodings and digests

value fn_to_base64(eval_ctx& c, const call_node& n, args_t a) {
  std::string tmp;
  std::string_view s;
  if (!text_arg(a[0], tmp, s))
    return {};
  return make_string(c, n, tls::base64_encode(s));
}

value fn_base64_decode(eval_ctx& c, const call_node& n, args_t a) {
  if (a[0].is_null())
    return {};
  if (!want_string(c, n, a, 0))
    return {};
  auto d = tls::base64_decode(a[0].as_string());
  if (!d)
    return c.fail(n, "base64_decode(): not valid base64");
  return make_string(c, n, std::move(*d));
}

value fn_to_hex(eval_ctx& c, const call_node& n, args_t a) {
  static constexpr char hex[] = "0123456789abcdef";
  if (a[0].is_null())
    return {};
  std::string out;
  if (a[0].type() == vtype::integer) {
    auto u = static_cast<std::uint64_t>(a[0].as_int());
    do {
      out.insert(out.begin(), hex[u & 15]);
      u >>= 4;
    } while (u);
    return make_string(c, n, std::move(out));
  }
  if (!want_string(c, n, a, 0))
    return {};
  auto s = a[0].as_string();
  if (2 * s.size() > limits::max_string_bytes)
    return c.fail(n, "to_hex(): result too long");
  out.reserve(2 * s.size());
  for (unsigned char b : s) {
    out.push_back(hex[b >> 4]);
    out.push_back(hex[b & 15]);
  }
  return make_string(c, n, std::move(out));
}

bool prepare_crypto(call_node& n, sql_error& err) {
  std::string_view alg;
  if (literal_string(n, 1, alg) && !tls::parse_digest_alg(alg))
    return arg_error(n, 1,
                     "unknown algorithm '" + std::string(alg) +
                         "' (use MD5, SHA1, SHA-224, SHA-256, SHA-384 or SHA-512)",
                     err);
  return true;
}

value digest(eval_ctx& c, const call_node& n, const value& v, tls::digest_alg alg) {
  std::string tmp;
  std::string_view s;
  if (!text_arg(v, tmp, s))
    return {};
  return make_string(c, n, tls::digest_hex(alg, s));
}

value fn_crypto(eval_ctx& c, const call_node& n, args_t a) {
  if (a[1].is_null())
    return {};
  if (!want_string(c, n, a, 1))
    return {};
  auto alg = tls::parse_digest_alg(a[1].as_string());
  if (!alg)
    return c.fail(n, "crypto(): unknown algorithm '" + std::string(a[1].as_string()) + "'");
  return digest(c, n, a[0], *alg);
}

template <tls::digest_alg Alg>
value fn_digest(eval_ctx& c, const call_node& n, args_t a) {
  return digest(c, n, a[0], Alg);
}

constexpr std::array<type_mask, 4> str1{t_str, t_str, t_str, t_str};
constexpr type_mask t_text = t_scalar | t_arr | t_obj;

const function_def string_table[] = {
    {"concat",
     2,
     variadic,
     {t_text, t_text, t_text, t_text},
     t_str,
     "(a, b, …)",
     "Joins the values as text (numbers and booleans converted, nulls skipped).",
     "concat(deviceName(), '-', 7)",
     "\"sensor-01-7\"",
     origin::platform,
     fn_concat},
    {"lower", 1, 1, str1, t_str, "(s)", "s in lower case (ASCII letters).", "lower(name)",
     "\"sensor-01\"", origin::platform, fn_case<false>},
    {"upper", 1, 1, str1, t_str, "(s)", "s in upper case (ASCII letters).", "upper(name)",
     "\"SENSOR-01\"", origin::platform, fn_case<true>},
    {"replace", 3, 3, str1, t_str, "(s, find, with)", "s with every `find` replaced by `with`.",
     "replace('a-b-c', '-', '+')", "\"a+b+c\"", origin::platform, fn_replace},
    {"substring",
     2,
     3,
     {t_str | t_num, t_num, t_num, t_num},
     t_str,
     "(s, start[, end])",
     "Characters start (0-based) up to end (exclusive), clamped to s; a number is taken as "
     "its text.",
     "substring('012345', 1, 3)",
     "\"12\"",
     origin::platform,
     fn_substring},
    {"endswith", 2, 2, str1, t_bool, "(s, suffix)", "True when s ends with suffix.",
     "endswith(name, '01')", "true", origin::platform, fn_affix<true>},
    {"crypto",
     2,
     2,
     {t_text, t_str, t_str, t_str},
     t_str,
     "(value, algorithm)",
     "Hex digest of the value's text: MD5, SHA1, SHA-224, SHA-256, SHA-384, SHA-512 (MD2 is "
     "not supported).",
     "crypto('abc', 'sha256')",
     "\"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\"",
     origin::platform,
     fn_crypto,
     prepare_crypto},
    {"to_base64",
     1,
     1,
     {t_text},
     t_str,
     "(value)",
     "Base64 of the value's bytes (its text).",
     "to_base64('hi')",
     "\"aGk=\"",
     origin::platform,
     fn_to_base64},
    {"to_hex",
     1,
     1,
     {t_str | t_int},
     t_str,
     "(value)",
     "Hex of a string's bytes, or of an integer (two's complement when negative).",
     "to_hex(255)",
     "\"ff\"",
     origin::platform,
     fn_to_hex},
    {"startswith", 2, 2, str1, t_bool, "(s, prefix)", "True when s starts with prefix.",
     "startswith(topic(), '/a1B2')", "true", origin::extra, fn_affix<false>},
    {"trim", 1, 1, str1, t_str, "(s)", "s without leading and trailing spaces, tabs, newlines.",
     "trim('  x ')", "\"x\"", origin::extra, fn_trim},
    {"strlen", 1, 1, str1, t_int, "(s)", "Length of s in characters (UTF-8 code points).",
     "strlen(name)", "9", origin::extra, fn_strlen},
    {"split", 2, 2, str1, t_arr, "(s, separator)",
     "The parts of s between separators (empty parts kept).", "split('a,b,,c', ',')",
     "[\"a\",\"b\",\"\",\"c\"]", origin::extra, fn_split},
    {"regex_match", 2, 2, str1, t_bool, "(s, pattern)",
     "True when the RE2 pattern (a string literal) matches part of s.",
     "regex_match(name, '^S.*\\d+$')", "true", origin::extra, fn_regex_match, prepare_regex},
    {"regex_replace", 3, 3, str1, t_str, "(s, pattern, with)",
     "s with every match of the RE2 pattern (a literal) replaced; \\1 … \\9 insert groups.",
     "regex_replace('a1b22', '\\d+', '#')", "\"a#b#\"", origin::extra, fn_regex_replace,
     prepare_regex},
    {"sprintf",
     1,
     variadic,
     {t_str, t_any, t_any, t_any},
     t_str,
     "(format, v, …)",
     "printf-style formatting: %d %i %x %X %o %f %e %g %s with flags, width, precision; %%.",
     "sprintf('%s=%.1f', 't', 38.46)",
     "\"t=38.5\"",
     origin::extra,
     fn_sprintf,
     prepare_sprintf},
    {"base64_decode", 1, 1, str1, t_str, "(s)", "The bytes that base64 text s encodes.",
     "base64_decode('aGk=')", "\"hi\"", origin::extra, fn_base64_decode},
    {"md5",
     1,
     1,
     {t_text},
     t_str,
     "(value)",
     "MD5 of the value's text, hex.",
     "md5('abc')",
     "\"900150983cd24fb0d6963f7d28e17f72\"",
     origin::extra,
     fn_digest<tls::digest_alg::md5>},
    {"sha1",
     1,
     1,
     {t_text},
     t_str,
     "(value)",
     "SHA-1 of the value's text, hex.",
     "sha1('abc')",
     "\"a9993e364706816aba3e25717850c26c9cd0d89d\"",
     origin::extra,
     fn_digest<tls::digest_alg::sha1>},
    {"sha256",
     1,
     1,
     {t_text},
     t_str,
     "(value)",
     "SHA-256 of the value's text, hex.",
     "sha256('abc')",
     "\"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\"",
     origin::extra,
     fn_digest<tls::digest_alg::sha256>},
};

}  // namespace

std::span<const function_def> string_functions() {
  return string_table;
}

}  // namespace iotb::rules::detail
