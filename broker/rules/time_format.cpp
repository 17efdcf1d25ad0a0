#include "broker/rules/time_format.hpp"

#include <array>
#include <cstdio>

namespace iotb::rules::detail {

namespace {

// Howard Hinnant's civil-calendar algorithms (public domain).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) noexcept {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

struct civil {
  std::int64_t year;
  unsigned month, day, hour, minute, second;
  std::int32_t nanos;
};

civil to_civil(instant t, std::int32_t offset_s) noexcept {
  std::int64_t s = t.seconds + offset_s;
  std::int64_t days = s >= 0 ? s / 86400 : (s - 86399) / 86400;
  auto sod = static_cast<unsigned>(s - days * 86400);
  std::int64_t z = days + 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400 + (m <= 2);
  return {y, m, d, sod / 3600, (sod / 60) % 60, sod % 60, t.nanos};
}

void pad(std::string& out, std::int64_t v, int width) {
  char buf[32];
  int n = std::snprintf(buf, sizeof buf, "%0*lld", width, static_cast<long long>(v));
  out.append(buf, static_cast<std::size_t>(n));
}

void offset_text(std::string& out, std::int32_t off, bool colon) {
  out.push_back(off < 0 ? '-' : '+');
  if (off < 0)
    off = -off;
  pad(out, off / 3600, 2);
  if (colon)
    out.push_back(':');
  pad(out, (off / 60) % 60, 2);
}

bool java_letter(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

}  // namespace

std::optional<time_unit> parse_unit(std::string_view s) noexcept {
  if (s == "second" || s == "s")
    return time_unit::second;
  if (s == "millisecond" || s == "ms")
    return time_unit::millisecond;
  if (s == "microsecond" || s == "us")
    return time_unit::microsecond;
  if (s == "nanosecond" || s == "ns")
    return time_unit::nanosecond;
  return std::nullopt;
}

namespace {
constexpr std::array<std::int64_t, 4> per_second{1, 1000, 1000000, 1000000000};
}

instant from_unit(std::int64_t v, time_unit u) noexcept {
  auto k = per_second[static_cast<int>(u)];
  std::int64_t s = v / k, r = v % k;
  if (r < 0) {
    --s;
    r += k;
  }
  return {s, static_cast<std::int32_t>(r * (1000000000 / k))};
}

std::optional<std::int64_t> to_unit(instant t, time_unit u) noexcept {
  auto k = per_second[static_cast<int>(u)];
  std::int64_t out = 0;
  if (__builtin_mul_overflow(t.seconds, k, &out) ||
      __builtin_add_overflow(out, t.nanos / (1000000000 / k), &out))
    return std::nullopt;
  return out;
}

std::string check_java_pattern(std::string_view p) {
  for (std::size_t i = 0; i < p.size(); ++i) {
    char c = p[i];
    if (c == '\'') {
      auto close = p.find('\'', i + 1);
      if (close == std::string_view::npos)
        return "unterminated quote in the date pattern";
      i = close;
    } else if (java_letter(c) &&
               std::string_view("yMdHhmsSaZX").find(c) == std::string_view::npos) {
      return std::string("pattern letter '") + c + "' is not supported (use y M d H h m s S a Z X)";
    }
  }
  return {};
}

std::string format_java(std::string_view p, instant t) {
  auto c = to_civil(t, 0);
  std::string out;
  for (std::size_t i = 0; i < p.size();) {
    char ch = p[i];
    if (ch == '\'') {
      auto close = p.find('\'', i + 1);
      if (close == i + 1)
        out.push_back('\'');  // '' is a quote
      else
        out.append(p.substr(i + 1, close - i - 1));
      i = close == std::string_view::npos ? p.size() : close + 1;
      continue;
    }
    if (!java_letter(ch)) {
      out.push_back(ch);
      ++i;
      continue;
    }
    std::size_t j = i;
    while (j < p.size() && p[j] == ch)
      ++j;
    int n = static_cast<int>(j - i);
    switch (ch) {
      case 'y':
        if (n == 2)
          pad(out, c.year % 100, 2);
        else
          pad(out, c.year, std::max(n, 1));
        break;
      case 'M':
        pad(out, c.month, n);
        break;
      case 'd':
        pad(out, c.day, n);
        break;
      case 'H':
        pad(out, c.hour, n);
        break;
      case 'h':
        pad(out, c.hour % 12 == 0 ? 12 : c.hour % 12, n);
        break;
      case 'm':
        pad(out, c.minute, n);
        break;
      case 's':
        pad(out, c.second, n);
        break;
      case 'S':
        pad(out, c.nanos / 1000000, std::max(n, 3));
        break;
      case 'a':
        out += c.hour < 12 ? "AM" : "PM";
        break;
      case 'Z':
        out += "+0000";
        break;
      case 'X':
        out.push_back('Z');
        break;
      default:
        break;
    }
    i = j;
  }
  return out;
}

std::string check_strftime(std::string_view f) {
  for (std::size_t i = 0; i < f.size(); ++i) {
    if (f[i] != '%')
      continue;
    if (++i >= f.size())
      return "the format ends with a lone %";
    char c = f[i];
    if (std::string_view("YmdHMSNz%").find(c) != std::string_view::npos)
      continue;
    if ((c == '3' || c == '6' || c == '9') && i + 1 < f.size() && f[i + 1] == 'N') {
      ++i;
      continue;
    }
    if (c == ':' && i + 1 < f.size() && f[i + 1] == 'z') {
      ++i;
      continue;
    }
    return std::string("%") + c + " is not supported (use %Y %m %d %H %M %S %N %3N %6N %9N %z %:z)";
  }
  return {};
}

std::string format_strftime(std::string_view f, instant t, std::int32_t offset_s) {
  auto c = to_civil(t, offset_s);
  std::string out;
  for (std::size_t i = 0; i < f.size(); ++i) {
    if (f[i] != '%' || i + 1 >= f.size()) {
      out.push_back(f[i]);
      continue;
    }
    char k = f[++i];
    switch (k) {
      case 'Y':
        pad(out, c.year, 4);
        break;
      case 'm':
        pad(out, c.month, 2);
        break;
      case 'd':
        pad(out, c.day, 2);
        break;
      case 'H':
        pad(out, c.hour, 2);
        break;
      case 'M':
        pad(out, c.minute, 2);
        break;
      case 'S':
        pad(out, c.second, 2);
        break;
      case 'N':
        pad(out, c.nanos, 9);
        break;
      case '3':
      case '6':
      case '9': {
        int digits = k - '0';
        std::int64_t v = c.nanos;
        for (int d = digits; d < 9; ++d)
          v /= 10;
        pad(out, v, digits);
        ++i;  // the N
        break;
      }
      case 'z':
        offset_text(out, offset_s, false);
        break;
      case ':':
        offset_text(out, offset_s, true);
        ++i;  // the z
        break;
      default:
        out.push_back(k);
    }
  }
  return out;
}

std::optional<std::int32_t> parse_offset(std::string_view s) noexcept {
  if (s == "Z" || s == "z" || s == "UTC" || s == "utc")
    return 0;
  if (s.size() != 6 && s.size() != 5)
    return std::nullopt;
  if (s[0] != '+' && s[0] != '-')
    return std::nullopt;
  auto dig = [&](std::size_t i) { return s[i] >= '0' && s[i] <= '9'; };
  std::size_t m = s.size() == 6 ? 4 : 3;
  if (!dig(1) || !dig(2) || !dig(m) || !dig(m + 1) || (s.size() == 6 && s[3] != ':'))
    return std::nullopt;
  int h = (s[1] - '0') * 10 + (s[2] - '0');
  int mi = (s[m] - '0') * 10 + (s[m + 1] - '0');
  if (h > 23 || mi > 59)
    return std::nullopt;
  int v = (h * 3600 + mi * 60);
  return s[0] == '-' ? -v : v;
}

std::string rfc3339_utc(instant t, int digits) {
  std::string f = "%Y-%m-%dT%H:%M:%S";
  if (digits == 3 || digits == 6 || digits == 9) {
    f += ".%";
    f.push_back(static_cast<char>('0' + digits));
    f += "N";
  }
  auto out = format_strftime(f, t, 0);
  out.push_back('Z');
  return out;
}

std::optional<instant> parse_rfc3339(std::string_view s) noexcept {
  // YYYY-MM-DD[T ]HH:MM:SS[.f+](Z|±HH:MM)
  auto num = [&](std::size_t at, std::size_t n, int& out) {
    if (at + n > s.size())
      return false;
    out = 0;
    for (std::size_t i = at; i < at + n; ++i) {
      if (s[i] < '0' || s[i] > '9')
        return false;
      out = out * 10 + (s[i] - '0');
    }
    return true;
  };
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, se = 0;
  if (s.size() < 20 || !num(0, 4, y) || s[4] != '-' || !num(5, 2, mo) || s[7] != '-' ||
      !num(8, 2, d) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || !num(11, 2, h) ||
      s[13] != ':' || !num(14, 2, mi) || s[16] != ':' || !num(17, 2, se))
    return std::nullopt;
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60)
    return std::nullopt;
  std::size_t i = 19;
  std::int32_t nanos = 0;
  if (i < s.size() && s[i] == '.') {
    ++i;
    int digits = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      if (digits < 9) {
        nanos = nanos * 10 + (s[i] - '0');
        ++digits;
      }
      ++i;
    }
    if (digits == 0)
      return std::nullopt;
    for (; digits < 9; ++digits)
      nanos *= 10;
  }
  auto off = parse_offset(s.substr(i));
  if (!off)
    return std::nullopt;
  std::int64_t days = days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
  return instant{days * 86400 + h * 3600 + mi * 60 + se - *off, nanos};
}

}  // namespace iotb::rules::detail
