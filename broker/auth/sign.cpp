#include "broker/auth/sign.hpp"

#include <algorithm>
#include <array>

namespace iotb::auth {

namespace {

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && s.front() == ' ')
    s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ')
    s.remove_suffix(1);
  return s;
}

bool all_digits(std::string_view s) noexcept {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool is_alnum(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

std::optional<int> to_int(std::string_view s) noexcept {
  bool neg = !s.empty() && s.front() == '-';
  if (neg)
    s.remove_prefix(1);
  if (!all_digits(s) || s.size() > 6)
    return std::nullopt;
  int v = 0;
  for (char c : s)
    v = v * 10 + (c - '0');
  return neg ? -v : v;
}

/// Applies one `key=value` of the extension.
std::optional<sign_error> apply(client_id_ext& out, std::string_view key, std::string_view v) {
  if (key == "securemode") {
    auto m = to_int(v);
    if (!m)
      return sign_error::bad_securemode;
    out.securemode = *m;
  } else if (key == "signmethod") {
    auto m = tls::parse_sign_method(v);
    if (!m)
      return sign_error::unsupported_sign_method;
    out.method = *m;
  } else if (key == "timestamp") {
    if (!all_digits(v))
      return sign_error::bad_timestamp;
    out.timestamp = std::string(v);
  } else if (key == "authType") {
    if (v == "register")
      out.type = auth_type::register_;
    else if (v == "regnwl")
      out.type = auth_type::regnwl;
    else if (v == "connwl")
      out.type = auth_type::connwl;
    else
      return sign_error::unknown_auth_type;
  } else if (key == "random") {
    out.random = std::string(v);
  } else if (key == "_ss") {
    out.ss = v == "1";
  } else if (key == "ext") {
    out.ext = to_int(v).value_or(0);  // informational flags: lenient, never refuse
  } else if (key == "gw") {
    out.gw = v == "1";
  } else if (key == "_v") {
    out.sdk_version = std::string(v);
  } else if (key == "lan") {
    out.lan = std::string(v);
  } else if (key == "instanceId") {
    out.instance_id = std::string(v);
  }
  return std::nullopt;  // unknown keys (_conn, ...) are ignored
}

}  // namespace

const char* to_string(sign_error e) noexcept {
  switch (e) {
    case sign_error::unterminated_extension:
      return "client id extension is not closed by '|'";
    case sign_error::empty_key:
      return "client id extension has an empty key";
    case sign_error::bad_client_id:
      return "client id before '|' must be 1-64 characters";
    case sign_error::unsupported_sign_method:
      return "unsupported signmethod (hmacmd5, hmacsha1, hmacsha256)";
    case sign_error::bad_securemode:
      return "securemode is not an integer";
    case sign_error::bad_timestamp:
      return "timestamp is not a number";
    case sign_error::unknown_auth_type:
      return "unknown authType (register, regnwl, connwl)";
  }
  return "malformed client id";
}

expected<client_id_ext, sign_error> parse_client_id(std::string_view raw) {
  client_id_ext out;
  auto bar = raw.find('|');
  if (bar == std::string_view::npos) {
    out.client_id = std::string(raw);
    return out;
  }
  if (raw.size() < bar + 2 || raw.back() != '|')
    return unexpected{sign_error::unterminated_extension};
  out.has_extension = true;
  out.client_id = std::string(raw.substr(0, bar));
  if (out.client_id.empty() || out.client_id.size() > 64)
    return unexpected{sign_error::bad_client_id};
  auto body = raw.substr(bar + 1, raw.size() - bar - 2);
  if (body.find('|') != std::string_view::npos)
    return unexpected{sign_error::unterminated_extension};
  while (!body.empty()) {
    auto comma = body.find(',');
    auto item = body.substr(0, comma);
    body = comma == std::string_view::npos ? std::string_view{} : body.substr(comma + 1);
    auto eq = item.find('=');
    auto key = trim(item.substr(0, eq));
    auto value = eq == std::string_view::npos ? std::string_view{} : trim(item.substr(eq + 1));
    if (key.empty())
      return unexpected{sign_error::empty_key};
    if (auto err = apply(out, key, value))
      return unexpected{*err};
  }
  return out;
}

std::optional<device_user> parse_username(std::string_view u) {
  auto amp = u.find('&');
  if (amp == std::string_view::npos || amp == 0 || amp + 1 >= u.size())
    return std::nullopt;
  return device_user{std::string(u.substr(0, amp)), std::string(u.substr(amp + 1))};
}

std::string device_sign_content(std::string_view client_id, std::string_view dn,
                                std::string_view pk, const std::optional<std::string>& timestamp) {
  // Already in name order: clientId < deviceName < productKey < timestamp.
  std::string s;
  s.reserve(37 + client_id.size() + dn.size() + pk.size() + (timestamp ? timestamp->size() : 0));
  s.append("clientId").append(client_id);
  s.append("deviceName").append(dn);
  s.append("productKey").append(pk);
  if (timestamp)
    s.append("timestamp").append(*timestamp);
  return s;
}

std::string register_sign_content(std::string_view dn, std::string_view pk,
                                  std::string_view random) {
  std::string s;
  s.reserve(26 + dn.size() + pk.size() + random.size());
  s.append("deviceName").append(dn).append("productKey").append(pk).append("random").append(random);
  return s;
}

std::string sign_content(std::vector<sign_param> params) {
  std::sort(params.begin(), params.end(),
            [](const sign_param& a, const sign_param& b) { return a.name < b.name; });
  std::size_t n = 0;
  for (const auto& p : params)
    n += p.name.size() + p.value.size();
  std::string s;
  s.reserve(n);
  for (const auto& p : params)
    s.append(p.name).append(p.value);
  return s;
}

std::string device_password(tls::sign_method m, std::string_view secret, std::string_view content) {
  return tls::hmac_hex(m, secret, content);
}

bool verify_device_password(tls::sign_method m, std::string_view secret, std::string_view content,
                            std::string_view password_hex) noexcept {
  return tls::hmac_verify(m, secret, content, password_hex);
}

bool valid_product_name(std::string_view s) noexcept {
  std::size_t chars = 0;
  for (std::size_t i = 0; i < s.size(); ++chars) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {  // a non-ASCII letter (e.g. CJK): one UTF-8 sequence
      // Lead bytes C2-F4 only (no overlong 2-byte forms, nothing past U+10FFFF).
      std::size_t len = c > 0xF4 ? 0 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 ? 2 : 0;
      if (len == 0 || i + len > s.size())
        return false;
      for (std::size_t k = 1; k < len; ++k)
        if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80)
          return false;
      i += len;
      continue;
    }
    if (!is_alnum(static_cast<char>(c)) &&
        std::string_view("_-@()").find(static_cast<char>(c)) == std::string_view::npos)
      return false;
    ++i;
  }
  return chars >= 4 && chars <= 30;
}

bool valid_device_name(std::string_view s) noexcept {
  return s.size() >= 4 && s.size() <= 32 && std::all_of(s.begin(), s.end(), [](char c) {
           return is_alnum(c) || std::string_view("-_@.:").find(c) != std::string_view::npos;
         });
}

bool valid_alias(std::string_view s) noexcept {
  return s.size() >= 4 && s.size() <= 64 &&
         std::all_of(s.begin(), s.end(), [](char c) { return is_alnum(c) || c == '_'; });
}

bool valid_product_key(std::string_view s) noexcept {
  return s.size() == 11 && std::all_of(s.begin(), s.end(), is_alnum);
}

}  // namespace iotb::auth
