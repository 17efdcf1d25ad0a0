#pragma once
/// @file
/// The HTTP webhook sink's configuration (docs/plugins.md "HTTP webhook"):
/// parsing of the action's JSON and of its URL. Pure functions — no
/// sockets, no TLS — so that the unit tests (http_sink.test.cpp) check
/// every key without a server.

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "broker/util/expected.hpp"

namespace iotb::http_sink {

/// A parsed `http://` or `https://` URL.
struct url {
  bool tls = false;  ///< https
  /// The host as written, without the brackets of an IPv6 literal.
  std::string host;
  std::uint16_t port = 0;   ///< explicit, or 80 / 443
  std::string target;       ///< path and query, "/" when the URL has none
  bool ip_literal = false;  ///< the host is an IPv4 or IPv6 address

  /// The Host header's value: the host (bracketed for IPv6), and the port
  /// when it is not the scheme's default.
  [[nodiscard]] std::string authority() const;
  /// "https://host:port", for error texts (never the path: it may hold a
  /// token).
  [[nodiscard]] std::string origin() const;
};

/// Parses `text`: scheme http or https, a host (name, IPv4, or [IPv6]), an
/// optional port 1..65535, an optional path and query. Refused: other
/// schemes, user information (`user:pass@`: use an Authorization header),
/// fragments, spaces and control characters.
/// @returns the URL, or a text saying what is wrong.
[[nodiscard]] expected<url, std::string> parse_url(std::string_view text);

/// How records become request bodies.
enum class batch_mode : std::uint8_t {
  array,   ///< one request per batch, the body a JSON array of the records' bodies
  single,  ///< one request per record
};

/// What one record's body is.
enum class body_mode : std::uint8_t {
  output,    ///< the rule's output JSON
  envelope,  ///< {"rule","topic","productKey","deviceName","messageId","timestamp","output"}
};

/// The default CA bundle (Debian's ca-certificates).
inline constexpr std::string_view default_ca_file = "/etc/ssl/certs/ca-certificates.crt";
/// The largest `timeoutMs` (a deliver call must stay bounded: the host
/// waits for it before it can stop the action).
inline constexpr std::uint32_t max_timeout_ms = 60'000;

struct config {
  http_sink::url url;
  std::string method = "POST";  ///< POST or PUT
  /// Extra request headers, in the configuration's order.
  std::vector<std::pair<std::string, std::string>> headers;
  std::uint32_t timeout_ms = 5000;  ///< connect + write + read of one request
  batch_mode batch = batch_mode::array;
  body_mode body = body_mode::output;
  std::string ca_file{default_ca_file};
  bool insecure_skip_verify = false;
};

/// Parses the action's configuration (a JSON object; keys in
/// docs/plugins.md). Unknown keys, wrong types, a missing or bad `url`, and
/// headers that would break the request's framing (Host, Content-Length,
/// Transfer-Encoding, Connection) or hold CR/LF are refused.
/// @returns the configuration, or a text naming the key and the problem.
[[nodiscard]] expected<config, std::string> parse_config(std::string_view json);

/// The configuration's JSON Schema (iotb_sink_description.config_schema).
extern const char config_schema[];

}  // namespace iotb::http_sink
