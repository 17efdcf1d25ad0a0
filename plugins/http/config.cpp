#include "plugins/http/config.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <charconv>

#include <rapidjson/document.h>

namespace iotb::http_sink {

const char config_schema[] = R"json({
  "type": "object",
  "required": ["url"],
  "additionalProperties": false,
  "properties": {
    "url": {"type": "string", "description": "http:// or https:// URL the records are sent to"},
    "method": {"enum": ["POST", "PUT"], "default": "POST"},
    "headers": {"type": "object", "additionalProperties": {"type": "string"}, "description": "extra request headers"},
    "timeoutMs": {"type": "integer", "minimum": 1, "maximum": 60000, "default": 5000, "description": "bounds connect + write + read of one request"},
    "batch": {"enum": ["array", "single"], "default": "array", "description": "array: one request per batch with a JSON array body; single: one request per record"},
    "body": {"enum": ["output", "envelope"], "default": "output", "description": "output: the rule's output; envelope: {rule, topic, productKey, deviceName, messageId, timestamp, output}"},
    "caFile": {"type": "string", "default": "/etc/ssl/certs/ca-certificates.crt", "description": "PEM bundle of the CAs trusted for https"},
    "insecureSkipVerify": {"type": "boolean", "default": false, "description": "https: accept any certificate and host name"}
  }
})json";

namespace {

using unexpected_text = unexpected<std::string>;

std::string lower(std::string_view s) {
  std::string out{s};
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool is_ipv4(const std::string& h) {
  in_addr a{};
  return ::inet_pton(AF_INET, h.c_str(), &a) == 1;
}

bool is_ipv6(const std::string& h) {
  in6_addr a{};
  return ::inet_pton(AF_INET6, h.c_str(), &a) == 1;
}

/// RFC 3986 reg-name characters we accept in a host name.
bool valid_host_name(std::string_view h) {
  return !h.empty() && h.size() <= 253 && std::all_of(h.begin(), h.end(), [](unsigned char c) {
    return std::isalnum(c) != 0 || c == '-' || c == '.' || c == '_';
  });
}

/// RFC 9110 token characters (header names).
bool is_token(std::string_view s) {
  constexpr std::string_view extra = "!#$%&'*+-.^_`|~";
  return !s.empty() && std::all_of(s.begin(), s.end(), [&](unsigned char c) {
    return std::isalnum(c) != 0 || extra.find(static_cast<char>(c)) != std::string_view::npos;
  });
}

bool has_control(std::string_view s) {
  return std::any_of(s.begin(), s.end(),
                     [](unsigned char c) { return c < 0x20 || c == 0x7f || c == ' '; });
}

/// Splits "host[:port]" or "[v6][:port]" into `u`.
std::string parse_authority(std::string_view a, url& u) {
  std::string_view port;
  bool has_port = false;
  if (!a.empty() && a.front() == '[') {
    auto close = a.find(']');
    if (close == std::string_view::npos)
      return "url: unterminated '[' in the host";
    u.host.assign(a.substr(1, close - 1));
    auto rest = a.substr(close + 1);
    if (!rest.empty() && rest.front() != ':')
      return "url: unexpected text after ']'";
    has_port = !rest.empty();
    if (has_port)
      port = rest.substr(1);
    if (!is_ipv6(u.host))
      return "url: '" + u.host + "' is not an IPv6 address";
    u.ip_literal = true;
  } else {
    auto colon = a.find(':');
    has_port = colon != std::string_view::npos;
    u.host.assign(a.substr(0, colon));
    if (has_port)
      port = a.substr(colon + 1);
    if (!valid_host_name(u.host))
      return "url: bad host '" + u.host + "'";
    u.ip_literal = is_ipv4(u.host);
  }
  u.port = u.tls ? 443 : 80;
  if (has_port) {
    unsigned value = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (port.empty() || ec != std::errc{} || end != port.data() + port.size() || value == 0 ||
        value > 65535)
      return "url: bad port '" + std::string{port} + "'";
    u.port = static_cast<std::uint16_t>(value);
  }
  return {};
}

std::string_view view(const rapidjson::Value& v) {
  return {v.GetString(), v.GetStringLength()};
}

std::string parse_headers(const rapidjson::Value& v, config& c) {
  if (!v.IsObject())
    return "headers: expected an object of strings";
  for (const auto& h : v.GetObject()) {
    std::string name{view(h.name)};
    if (!is_token(name))
      return "headers: '" + name + "' is not a valid header name";
    auto l = lower(name);
    if (l == "host" || l == "content-length" || l == "transfer-encoding" || l == "connection")
      return "headers: '" + name + "' is set by the sink itself";
    if (!h.value.IsString())
      return "headers." + name + ": expected a string";
    auto value = view(h.value);
    if (std::any_of(value.begin(), value.end(),
                    [](unsigned char ch) { return (ch < 0x20 && ch != '\t') || ch == 0x7f; }))
      return "headers." + name + ": control characters (CR, LF) are not allowed";
    c.headers.emplace_back(std::move(name), std::string{value});
  }
  return {};
}

/// `key` among the enum's `names` (same order as its values).
template <class E, std::size_t N>
std::string parse_enum(const rapidjson::Value& v, const char* key,
                       const std::string_view (&names)[N], E& out) {
  if (v.IsString())
    for (std::size_t i = 0; i < N; ++i)
      if (view(v) == names[i]) {
        out = static_cast<E>(i);
        return {};
      }
  std::string all;
  for (std::size_t i = 0; i < N; ++i)
    all += (i == 0 ? "\"" : (i + 1 == N ? " or \"" : ", \"")) + std::string{names[i]} + "\"";
  return std::string{key} + ": expected " + all;
}

/// One key of the configuration into `c`; an error text, or empty.
std::string parse_key(std::string_view k, const rapidjson::Value& v, config& c) {
  static constexpr std::string_view batches[] = {"array", "single"};
  static constexpr std::string_view bodies[] = {"output", "envelope"};
  static constexpr std::string_view methods[] = {"POST", "PUT"};
  if (k == "url") {
    if (!v.IsString())
      return "url: expected a string";
    auto u = parse_url(view(v));
    if (!u)
      return u.error();
    c.url = std::move(*u);
  } else if (k == "method") {
    int m = 0;
    if (auto e = parse_enum(v, "method", methods, m); !e.empty())
      return e;
    c.method = std::string{methods[m]};
  } else if (k == "headers") {
    return parse_headers(v, c);
  } else if (k == "timeoutMs") {
    if (!v.IsUint64() || v.GetUint64() == 0 || v.GetUint64() > max_timeout_ms)
      return "timeoutMs: expected an integer in [1, " + std::to_string(max_timeout_ms) + "]";
    c.timeout_ms = static_cast<std::uint32_t>(v.GetUint64());
  } else if (k == "batch") {
    return parse_enum(v, "batch", batches, c.batch);
  } else if (k == "body") {
    return parse_enum(v, "body", bodies, c.body);
  } else if (k == "caFile") {
    if (!v.IsString() || v.GetStringLength() == 0)
      return "caFile: expected a non-empty string";
    c.ca_file.assign(view(v));
  } else if (k == "insecureSkipVerify") {
    if (!v.IsBool())
      return "insecureSkipVerify: expected true or false";
    c.insecure_skip_verify = v.GetBool();
  } else {
    return "unknown key '" + std::string{k} +
           "' (url, method, headers, timeoutMs, batch, body, caFile, insecureSkipVerify)";
  }
  return {};
}

}  // namespace

namespace {

/// The host as it appears in a URL (IPv6 literals bracketed).
std::string url_host(const std::string& host) {
  if (host.find(':') == std::string::npos)
    return host;
  std::string out;
  out.reserve(host.size() + 2);
  out.append(1, '[').append(host).append(1, ']');
  return out;
}

}  // namespace

std::string url::authority() const {
  std::string a = url_host(host);
  if (port != (tls ? 443 : 80))
    a.append(1, ':').append(std::to_string(port));
  return a;
}

std::string url::origin() const {
  std::string o = tls ? "https://" : "http://";
  o.append(url_host(host)).append(1, ':').append(std::to_string(port));
  return o;
}

expected<url, std::string> parse_url(std::string_view text) {
  url u;
  auto scheme_end = text.find("://");
  if (scheme_end == std::string_view::npos)
    return unexpected_text{"url: expected http://host/... or https://host/..."};
  auto scheme = lower(text.substr(0, scheme_end));
  if (scheme == "https")
    u.tls = true;
  else if (scheme != "http")
    return unexpected_text{"url: scheme '" + scheme + "' is not http or https"};
  if (has_control(text))
    return unexpected_text{"url: spaces and control characters are not allowed"};
  auto rest = text.substr(scheme_end + 3);
  if (rest.find('#') != std::string_view::npos)
    return unexpected_text{"url: fragments ('#') are not allowed"};
  auto path_begin = rest.find_first_of("/?");
  auto authority = rest.substr(0, path_begin);
  if (authority.find('@') != std::string_view::npos)
    return unexpected_text{"url: user information is not allowed (use an Authorization header)"};
  if (auto e = parse_authority(authority, u); !e.empty())
    return unexpected_text{std::move(e)};
  u.target = path_begin == std::string_view::npos ? "/" : std::string{rest.substr(path_begin)};
  if (u.target.front() == '?')
    u.target.insert(0, "/");
  return u;
}

expected<config, std::string> parse_config(std::string_view json) {
  rapidjson::Document d;
  d.Parse(json.data(), json.size());
  if (d.HasParseError() || !d.IsObject())
    return unexpected_text{"the configuration must be a JSON object"};
  config c;
  bool has_url = false;
  for (const auto& m : d.GetObject()) {
    auto k = view(m.name);
    if (auto e = parse_key(k, m.value, c); !e.empty())
      return unexpected_text{std::move(e)};
    has_url = has_url || k == "url";
  }
  if (!has_url)
    return unexpected_text{"url: required"};
  return c;
}

}  // namespace iotb::http_sink
