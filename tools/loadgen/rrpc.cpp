/// @file
/// The `rrpc` scenario's wire format (see rrpc.hpp).

#include "tools/loadgen/rrpc.hpp"

#include <cmath>
#include <cstdio>

#include <rapidjson/document.h>

#include "broker/tls/digest.hpp"

namespace iotb::loadgen {

namespace {

constexpr std::string_view sys_prefix = "/sys/";
constexpr std::string_view request_infix = "/rrpc/request/";

/// A string member of `doc`, if it is one.
std::optional<std::string_view> string_member(const rapidjson::Document& doc, const char* key) {
  auto it = doc.FindMember(key);
  if (it == doc.MemberEnd() || !it->value.IsString())
    return std::nullopt;
  return std::string_view(it->value.GetString(), it->value.GetStringLength());
}

}  // namespace

const char* outcome_name(rrpc_outcome o) noexcept {
  switch (o) {
    case rrpc_outcome::success:
      return "SUCCESS";
    case rrpc_outcome::timeout:
      return "TIMEOUT";
    case rrpc_outcome::offline:
      return "OFFLINE";
    case rrpc_outcome::unknown:
      return "UNKNOWN";
    case rrpc_outcome::mismatch:
      return "MISMATCH";
    case rrpc_outcome::http_error:
      return "HTTP_ERROR";
    case rrpc_outcome::bad_answer:
      return "BAD_ANSWER";
    case rrpc_outcome::no_answer:
      return "NO_ANSWER";
  }
  return "?";
}

std::string rrpc_target(std::string_view pk, std::string_view dn) {
  std::string out = "/api/v1/products/";
  out.append(pk).append("/devices/").append(dn).append("/rrpc");
  return out;
}

std::string rrpc_body(std::string_view payload, unsigned timeout_ms) {
  std::string out = R"({"payload":")";
  for (char ch : payload) {
    auto u = static_cast<unsigned char>(ch);
    if (ch == '"' || ch == '\\') {
      out += '\\';
      out += ch;
    } else if (u < 0x20) {
      char esc[8];
      std::snprintf(esc, sizeof esc, "\\u%04x", u);
      out += esc;
    } else {
      out += ch;
    }
  }
  out += R"(","timeoutMs":)";
  out += std::to_string(timeout_ms);
  out += '}';
  return out;
}

std::optional<std::string_view> rrpc_request_id(std::string_view topic, std::string_view pk,
                                                std::string_view dn) {
  // "/sys/" pk "/" dn "/rrpc/request/" id
  if (topic.substr(0, sys_prefix.size()) != sys_prefix)
    return std::nullopt;
  topic.remove_prefix(sys_prefix.size());
  if (topic.substr(0, pk.size()) != pk || topic.substr(pk.size(), 1) != "/")
    return std::nullopt;
  topic.remove_prefix(pk.size() + 1);
  if (topic.substr(0, dn.size()) != dn)
    return std::nullopt;
  topic.remove_prefix(dn.size());
  if (topic.substr(0, request_infix.size()) != request_infix)
    return std::nullopt;
  topic.remove_prefix(request_infix.size());
  if (topic.empty() || topic.find('/') != std::string_view::npos)
    return std::nullopt;
  return topic;
}

std::string rrpc_response_topic(std::string_view pk, std::string_view dn, std::string_view id) {
  std::string out{sys_prefix};
  out.append(pk).append("/").append(dn).append("/rrpc/response/").append(id);
  return out;
}

rrpc_verdict classify_rrpc_answer(unsigned status, std::string_view body, std::string_view sent) {
  rrpc_verdict v;
  if (status != 200) {
    v.outcome = rrpc_outcome::http_error;
    return v;
  }
  rapidjson::Document doc;
  doc.Parse(body.data(), body.size());
  if (doc.HasParseError() || !doc.IsObject())
    return v;  // bad_answer
  auto result = string_member(doc, "result");
  if (!result)
    return v;
  if (auto id = string_member(doc, "messageId"))
    v.message_id = std::string(*id);
  if (*result == "SUCCESS") {
    auto b64 = string_member(doc, "payloadBase64");
    auto echoed = b64 ? tls::base64_decode(*b64) : std::nullopt;
    v.outcome = echoed && *echoed == sent ? rrpc_outcome::success : rrpc_outcome::mismatch;
  } else if (*result == "TIMEOUT") {
    v.outcome = rrpc_outcome::timeout;
  } else if (*result == "OFFLINE") {
    v.outcome = rrpc_outcome::offline;
  } else if (*result == "UNKNOWN") {
    v.outcome = rrpc_outcome::unknown;
  }
  return v;
}

std::uint64_t rrpc_pacer::due_by(std::uint64_t elapsed_ns) const noexcept {
  // Call k is due at k / rate s, so calls 0 … floor(elapsed · rate) are due;
  // the estimate is then made consistent with `due_at` (rounding).
  auto last =
      static_cast<std::uint64_t>(std::floor(static_cast<double>(elapsed_ns) * 1e-9 * rate_));
  while (due_at(last + 1) <= elapsed_ns)
    ++last;
  while (last > 0 && due_at(last) > elapsed_ns)
    --last;
  return last + 1;
}

std::uint64_t rrpc_pacer::due_at(std::uint64_t k) const noexcept {
  return static_cast<std::uint64_t>(std::ceil(static_cast<double>(k) * 1e9 / rate_));
}

}  // namespace iotb::loadgen
