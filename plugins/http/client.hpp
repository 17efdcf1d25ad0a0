#pragma once
/// @file
/// The HTTP webhook sink's connection: one keep-alive HTTP/1.1 connection
/// (plain TCP, or TLS through asio::ssl on BoringSSL) to the configured
/// URL, over Boost.Beast.
///
/// Threading: a client has no thread of its own. `exchange` runs the
/// client's private io_context on the caller's thread until the answer
/// comes or the deadline passes, then cancels what is left and returns; a
/// client is used by one thread at a time (the sink instance's worker).
/// Nothing runs between calls, and the destructor closes the socket.
///
/// TLS: the peer's chain is verified against `caFile` and its name against
/// the URL's host (a DNS name, or an IP address for an IP literal), with
/// SNI for names — unless `insecureSkipVerify`.

#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "broker/util/expected.hpp"
#include "plugins/http/config.hpp"
#include "plugins/http/mapping.hpp"

namespace iotb::http_sink {

/// One request (the URL's target and Host are the client's).
struct request {
  std::string method;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

/// An HTTP answer: the status, the Retry-After header and (the start of)
/// the body.
struct response {
  unsigned status = 0;
  std::string retry_after;
  std::string body;
};

class client {
 public:
  /// A client for `cfg`'s URL. Loads the CA bundle for https (no network
  /// yet: the first `exchange` connects).
  /// @returns the client, or a text on a CA file that cannot be read.
  [[nodiscard]] static expected<std::unique_ptr<client>, std::string> make(const config& cfg);

  ~client();
  client(const client&) = delete;
  client& operator=(const client&) = delete;

  /// Sends `req` and reads the answer before `deadline`: connects first
  /// when there is no open connection (resolve, TCP, TLS handshake), and
  /// once more when a kept-alive connection turns out closed by the peer
  /// before it answered. Blocks until then.
  /// @returns the answer, or the transport failure (the connection is
  ///          closed then).
  [[nodiscard]] expected<response, transport_failure> exchange(
      const request& req, std::chrono::steady_clock::time_point deadline);

  /// Closes the connection, if any (the next exchange reconnects).
  void close() noexcept;

  /// Connections opened so far (for the log and the tests).
  [[nodiscard]] std::uint64_t connects() const noexcept;

 private:
  struct impl;
  explicit client(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
};

}  // namespace iotb::http_sink
