#include "plugins/http/mapping.hpp"

#include <algorithm>
#include <charconv>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace iotb::http_sink {

namespace sink = iotbroker::sink;

namespace {

/// The response body's first bytes, made printable (one line).
std::string excerpt(std::string_view body) {
  std::string out{body.substr(0, body_excerpt_bytes)};
  for (auto& c : out)
    if (static_cast<unsigned char>(c) < 0x20)
      c = ' ';
  return out;
}

const char* cause(transport_errc c) {
  switch (c) {
    case transport_errc::resolve_failed:
      return "cannot resolve the host";
    case transport_errc::connection_refused:
      return "connection refused";
    case transport_errc::connection_reset:
      return "connection closed by the peer before an answer";
    case transport_errc::timed_out:
      return "timed out";
    case transport_errc::certificate:
      return "certificate verify failed";
    case transport_errc::tls_handshake:
      return "TLS handshake failed";
    case transport_errc::bad_response:
      return "bad HTTP response";
    case transport_errc::io:
      return "I/O error";
  }
  return "I/O error";
}

}  // namespace

std::uint32_t retry_after_ms(std::string_view value) {
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
    value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t'))
    value.remove_suffix(1);
  std::uint64_t s = 0;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), s);
  if (value.empty() || ec == std::errc::invalid_argument || end != value.data() + value.size())
    return 0;  // absent, or an HTTP-date: the host's default
  if (ec == std::errc::result_out_of_range || s > max_retry_after_s)
    s = max_retry_after_s;
  return static_cast<std::uint32_t>(s * 1000);
}

verdict map_response(const url& u, unsigned status_code, std::string_view retry_after,
                     std::string_view body) {
  verdict v;
  if (status_code >= 200 && status_code <= 299)
    return v;
  const auto what = u.origin() + ": HTTP " + std::to_string(status_code);
  if (status_code == 429 || status_code == 503) {
    v.status = sink::status::throttle;
    v.delay_ms = retry_after_ms(retry_after);
    v.error =
        what + " (backing off " + std::to_string(v.delay_ms == 0 ? 1 : v.delay_ms / 1000) + " s)";
  } else if (status_code == 408 || (status_code >= 500 && status_code <= 599)) {
    v.status = sink::status::retry;
    v.error = what;
  } else {
    v.status = sink::status::drop;
    v.error = what + ": " + excerpt(body);
  }
  return v;
}

verdict map_failure(const url& u, const transport_failure& f, std::uint32_t timeout_ms) {
  verdict v;
  v.status = sink::status::retry;
  v.error = u.origin() + ": " + cause(f.code);
  if (f.code == transport_errc::timed_out)
    v.error += " after " + std::to_string(timeout_ms) + " ms";
  if (!f.detail.empty())
    v.error += " (" + f.detail + ")";
  return v;
}

std::string record_body(const sink::record& r, body_mode mode) {
  const std::string_view output = r.output.empty() ? std::string_view{"null"} : r.output;
  if (mode == body_mode::output)
    return std::string{output};
  rapidjson::StringBuffer sb;
  rapidjson::Writer<rapidjson::StringBuffer> w(sb);
  auto str = [&w](const char* k, std::string_view v) {
    w.Key(k);
    w.String(v.data(), static_cast<rapidjson::SizeType>(v.size()));
  };
  w.StartObject();
  str("rule", r.rule);
  str("topic", r.topic);
  str("productKey", r.product_key);
  str("deviceName", r.device_name);
  str("messageId", std::to_string(r.message_id));  // 64-bit: a string, as in the API
  w.Key("timestamp");
  w.Int64(r.timestamp_ms);
  w.Key("output");
  w.RawValue(output.data(), output.size(), rapidjson::kObjectType);
  w.EndObject();
  return {sb.GetString(), sb.GetSize()};
}

std::string request_body(const std::vector<sink::record>& records, std::size_t first,
                         std::size_t last, body_mode mode, bool array) {
  if (!array)
    return record_body(records[first], mode);
  std::string out = "[";
  for (std::size_t i = first; i < last; ++i) {
    if (i != first)
      out += ',';
    out += record_body(records[i], mode);
  }
  out += ']';
  return out;
}

}  // namespace iotb::http_sink
