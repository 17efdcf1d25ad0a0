// libFuzzer target for the device shadow (broker/thing/shadow.hpp): any
// bytes published on /shadow/update/… or sent to the admin API's PATCH
// …/shadow must be answered, never crash, and leave a document that obeys
// the limits.
//
// Input: the first byte picks the starting document (bits 0-1), the limits
// (bit 2: the defaults, or tight ones below the starting documents' sizes)
// and the side (bit 3: a device request, else an application body); the
// rest is the payload. Invariants: every reply/control parses as a JSON
// object with the expected method; a refusal leaves the document as it was;
// a change is stored as `to_json()`, reads back equal, moves the version
// forward (or to 0 for -1), and stays within the limits unless it shrank a
// document that was already over them.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include <rapidjson/document.h>

#include "broker/thing/shadow.hpp"

using namespace iotb::thing;

namespace {

constexpr std::int64_t now_ms = 1'700'000'000'000;

const shadow_doc& start(int i) {
  static const shadow_doc docs[4] = {
      {},
      *parse_shadow_doc(
          R"({"state":{"desired":{"color":"green"},"reported":{"color":"red","temp":21.5}},)"
          R"("metadata":{"desired":{"color":{"timestamp":1}},"reported":{"color":{"timestamp":1},)"
          R"("temp":{"timestamp":1}}},"timestamp":1,"version":3})"),
      *parse_shadow_doc(
          R"({"state":{"reported":{"a":{"b":{"c":{"d":[1]}}},"s":"x"}},"metadata":{},)"
          R"("timestamp":2,"version":9223372036854775807})"),
      [] {
        std::string p = R"({"method":"update","state":{"reported":{)";
        for (int i = 0; i < 128; ++i)
          p += (i ? ",\"k" : "\"k") + std::to_string(i) + "\":" + std::to_string(i);
        return handle_device_request({}, p + "}}}", now_ms).doc;
      }(),
  };
  return docs[i];
}

bool parses_as(const std::string& json, const char* method) {
  rapidjson::Document d;
  d.Parse(json.data(), json.size());
  if (d.HasParseError() || !d.IsObject())
    return false;
  auto m = d.FindMember("method");
  return m != d.MemberEnd() && m->value.IsString() &&
         std::string_view(m->value.GetString()) == method;
}

// Checks a change from `before` to `after` stored as `stored`.
void check_change(const shadow_doc& before, const shadow_doc& after, const std::string& stored,
                  const shadow_limits& limits) {
  if (stored != after.to_json())
    std::abort();
  auto back = parse_shadow_doc(stored);
  if (!back || !(*back == after))
    std::abort();
  if (after.version != 0 && after.version <= before.version)
    std::abort();
  if (stored.size() > limits.max_doc_bytes && stored.size() >= before.to_json().size())
    std::abort();
  if (after.attribute_count() > limits.max_attributes &&
      after.attribute_count() > before.attribute_count())
    std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0)
    return 0;
  const shadow_doc& doc = start(data[0] & 3);
  shadow_limits limits;
  if (data[0] & 4) {
    limits.max_doc_bytes = 256;
    limits.max_depth = 3;
    limits.max_attributes = 4;
    limits.max_request_bytes = 1024;
    limits.max_client_token = 8;
  }
  std::string_view payload(reinterpret_cast<const char*>(data + 1), size - 1);
  if (data[0] & 8) {
    auto r = handle_device_request(doc, payload, now_ms, limits);
    if (!parses_as(r.reply, "reply"))
      std::abort();
    if (r.error || !r.changed) {
      if (r.changed || !(r.doc == doc) || !r.stored.empty())
        std::abort();
      if (!r.error && r.method != shadow_method::get)
        std::abort();
      return 0;
    }
    check_change(doc, r.doc, r.stored, limits);
    return 0;
  }
  auto r = apply_desired(doc, payload, now_ms, limits);
  if (!r) {
    int status = shadow_http_status(r.error().code);
    if (status != 400 && status != 409)
      std::abort();
    return 0;
  }
  check_change(doc, r->doc, r->stored, limits);
  if (!(r->doc.reported == doc.reported) || !parses_as(r->control, "control"))
    std::abort();
  return 0;
}
