#pragma once
/// @file
/// What the HTTP webhook sink tells the host (docs/plugins.md "HTTP
/// webhook"): the one table from an HTTP answer or a transport failure to a
/// record's status, and the request bodies. Pure functions, unit-tested in
/// http_sink.test.cpp.
///
///   2xx                                   → OK
///   429, 503                              → THROTTLE (Retry-After seconds, else 1 s)
///   408, other 5xx                        → RETRY
///   other 4xx (and 1xx/3xx)               → DROP, with the status and the body's start
///   refused, reset, timed out, TLS, ...   → RETRY, naming the host and the cause

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "iotbroker/sink.hpp"
#include "plugins/http/config.hpp"

namespace iotb::http_sink {

/// Why a request got no HTTP answer.
enum class transport_errc : std::uint8_t {
  resolve_failed,      ///< the host name did not resolve
  connection_refused,  ///< nothing listens on the port
  connection_reset,    ///< the peer closed or reset the connection before answering
  timed_out,           ///< connect + write + read took longer than timeoutMs
  certificate,         ///< the peer's certificate chain or host name did not verify
  tls_handshake,       ///< the TLS handshake failed for another reason
  bad_response,        ///< the answer is not HTTP/1.x, or its header is too large
  io,                  ///< any other socket error
};

/// A transport failure: the code and the system's or TLS library's detail.
struct transport_failure {
  transport_errc code = transport_errc::io;
  std::string detail;
};

/// A record's status as the sink reports it.
struct verdict {
  iotbroker::sink::status status = iotbroker::sink::status::ok;
  std::uint32_t delay_ms = 0;  ///< THROTTLE: the back-off (0: the host's 1 s)
  std::string error;           ///< empty for OK
};

/// The longest back-off a Retry-After may ask for (records older than five
/// minutes expire in the host anyway).
inline constexpr std::uint32_t max_retry_after_s = 300;
/// How much of a refused request's response body goes into the error text.
inline constexpr std::size_t body_excerpt_bytes = 200;

/// The verdict on an HTTP answer with `status_code` from `u`;
/// `retry_after` is the Retry-After header's value (empty: none; only the
/// delay-seconds form counts), `body` the response body.
[[nodiscard]] verdict map_response(const url& u, unsigned status_code, std::string_view retry_after,
                                   std::string_view body);

/// The verdict (RETRY) on a request to `u` that failed in transport;
/// `timeout_ms` is named for a timeout.
[[nodiscard]] verdict map_failure(const url& u, const transport_failure& f,
                                  std::uint32_t timeout_ms);

/// The Retry-After delay in ms (delay-seconds form, capped at
/// max_retry_after_s); 0 when absent or not a number.
[[nodiscard]] std::uint32_t retry_after_ms(std::string_view value);

/// One record's body (`body_mode`): the output JSON ("null" when empty), or
/// the envelope object with the output embedded.
[[nodiscard]] std::string record_body(const iotbroker::sink::record& r, body_mode mode);

/// The body of one request for `records[first, last)`: a JSON array of the
/// records' bodies (batch "array"); for batch "single" call it with one
/// record and `array` false.
[[nodiscard]] std::string request_body(const std::vector<iotbroker::sink::record>& records,
                                       std::size_t first, std::size_t last, body_mode mode,
                                       bool array);

}  // namespace iotb::http_sink
