#pragma once
/// @file
/// A tiny blocking HTTP/1.1 client (Boost.Beast) for the CLI commands that
/// talk to a running broker's admin API (`iotbroker rrpc`, `property set`,
/// `service invoke`). Plain HTTP only: `--admin-tls` listeners are not
/// supported by the CLI yet (use curl --cacert). One request per
/// connection.

#include <chrono>
#include <string>
#include <string_view>

#include "broker/util/expected.hpp"

namespace iotb::cli {

/// Where the admin API is: from `http://HOST:PORT` (a trailing path is
/// ignored; `/api/v1` is added by the callers).
struct admin_endpoint {
  std::string host;
  std::string port;

  /// Parses `url`. Errors: a text (not http://, no host).
  [[nodiscard]] static expected<admin_endpoint, std::string> parse(std::string_view url);
};

/// An HTTP answer.
struct http_reply {
  unsigned status = 0;
  std::string body;
};

/// Sends `method target` with a JSON `body` (none when empty) and, when
/// `token` is not empty, `Authorization: Bearer <token>`; waits at most
/// `timeout` for the whole exchange. Errors: a text (resolve, connect,
/// timeout, a malformed answer).
[[nodiscard]] expected<http_reply, std::string> http_request(
    const admin_endpoint& ep, std::string_view method, std::string_view target,
    std::string_view body, std::string_view token, std::chrono::seconds timeout);

}  // namespace iotb::cli
