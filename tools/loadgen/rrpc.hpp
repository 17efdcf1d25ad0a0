#pragma once
/// @file
/// The `rrpc` scenario's wire format (SPEC §8, docs/calls.md): the admin
/// API call that starts an RRPC, the topics the device sees and answers on,
/// the API's answer, and the pacer of the paced mode. Pure string and
/// arithmetic work, no I/O; the run itself is scenario_rrpc.hpp's.
///
/// The driver POSTs `{"payload":"<p>","timeoutMs":N}` to
/// `/api/v1/products/${pk}/devices/${dn}/rrpc`; the broker publishes `<p>`
/// on `/sys/${pk}/${dn}/rrpc/request/${messageId}`; the device echoes it on
/// `/sys/${pk}/${dn}/rrpc/response/${messageId}`; the API answers
/// `200 {"result":"SUCCESS","messageId":"…","payloadBase64":"<base64 of p>"}`.
/// Each call's `<p>` is unique, so the echo proves that the answer is the
/// one to this call.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace iotb::loadgen {

/// What became of one call, as the driver counts it.
enum class rrpc_outcome : std::uint8_t {
  success,     ///< 200 `SUCCESS` with the device's echo of this call's payload
  timeout,     ///< 200 `TIMEOUT`: the device did not answer within `timeoutMs`
  offline,     ///< 200 `OFFLINE`: the device had no session
  unknown,     ///< 200 `UNKNOWN` (e.g. no subscription matched the request)
  mismatch,    ///< 200 `SUCCESS`, but the answer is not this call's payload
  http_error,  ///< a status other than 200 (429 throttled, 401, 404, …)
  bad_answer,  ///< 200 with a body that is not the API's RRPC answer
  no_answer,   ///< the connection failed, or the call was still open at the end
};

/// Number of `rrpc_outcome` values (for per-outcome counters).
inline constexpr std::size_t rrpc_outcome_count = 8;

/// Calls per outcome, indexed by `rrpc_outcome`.
using rrpc_tally = std::array<std::uint64_t, rrpc_outcome_count>;

/// The outcome's name as reported: "SUCCESS", "TIMEOUT", "OFFLINE",
/// "UNKNOWN" (the API's results), "MISMATCH", "HTTP_ERROR", "BAD_ANSWER",
/// "NO_ANSWER".
[[nodiscard]] const char* outcome_name(rrpc_outcome o) noexcept;

/// The API's path for an RRPC to device pk/dn. Product keys and device
/// names are `[A-Za-z0-9_.@:-]` (SPEC §2), nothing to escape.
[[nodiscard]] std::string rrpc_target(std::string_view pk, std::string_view dn);

/// The request body `{"payload":"…","timeoutMs":N}`; `payload` is escaped
/// as a JSON string.
[[nodiscard]] std::string rrpc_body(std::string_view payload, unsigned timeout_ms);

/// The request topic's `${messageId}` when `topic` is exactly
/// `/sys/${pk}/${dn}/rrpc/request/${messageId}` (a non-empty id without
/// `/`); else nullopt.
[[nodiscard]] std::optional<std::string_view> rrpc_request_id(std::string_view topic,
                                                              std::string_view pk,
                                                              std::string_view dn);

/// `/sys/${pk}/${dn}/rrpc/response/${id}`.
[[nodiscard]] std::string rrpc_response_topic(std::string_view pk, std::string_view dn,
                                              std::string_view id);

/// What an HTTP answer to one call says.
struct rrpc_verdict {
  rrpc_outcome outcome = rrpc_outcome::bad_answer;
  std::string message_id;  ///< the API's `messageId` (empty when absent)
};

/// Classifies the API's answer to a call whose payload was `sent`: status
/// 200 and a JSON object with a string `result`; for `SUCCESS`,
/// `payloadBase64` must decode to `sent`.
[[nodiscard]] rrpc_verdict classify_rrpc_answer(unsigned status, std::string_view body,
                                                std::string_view sent);

/// The paced mode's schedule: call k (from 0) is due `k / rate` seconds
/// after the start. Latency is measured from a call's due time, not from
/// when a free connection sent it, so a broker that falls behind shows
/// its backlog in the latency (no coordinated omission).
class rrpc_pacer {
 public:
  /// `rate`: calls per second, > 0.
  explicit rrpc_pacer(double rate) noexcept : rate_(rate) {}

  /// Calls due within the first `elapsed_ns` (calls 0 … n-1 are due;
  /// call 0 at once).
  [[nodiscard]] std::uint64_t due_by(std::uint64_t elapsed_ns) const noexcept;
  /// When call `k` is due, ns after the start.
  [[nodiscard]] std::uint64_t due_at(std::uint64_t k) const noexcept;

 private:
  double rate_;
};

}  // namespace iotb::loadgen
