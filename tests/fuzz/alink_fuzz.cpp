// libFuzzer target for the Alink request parser, the topic mapper and
// property validation (broker/thing/alink.hpp, validate.hpp): a device's
// payload with any bytes must be refused with an Alink code or checked
// against the model, never crash.
//
// Input: the first byte picks a topic and the check mode, the rest is the
// payload. Invariants: a refusal has a 460 or 6207 code; a strict check
// either succeeds with no findings or fails (a finding, or 460 for a
// malformed post) with no accepted values; a weak
// check of an object succeeds and accounts for every member (accepted or
// found); every reply built is compact JSON that starts with {"id":.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string_view>

#include "broker/thing/alink.hpp"

using namespace iotb::thing;

namespace {

constexpr const char* model_json = R"({"properties":[
{"identifier":"b","accessMode":"rw","dataType":{"type":"bool","specs":{"0":"off","1":"on"}}},
{"identifier":"i","accessMode":"rw","dataType":{"type":"int","specs":{"min":"0","max":"100"}}},
{"identifier":"f","accessMode":"rw","dataType":{"type":"float","specs":{"min":"-1.5","max":"1e3"}}},
{"identifier":"d","accessMode":"rw","dataType":{"type":"double","specs":{}}},
{"identifier":"e","accessMode":"rw","dataType":{"type":"enum","specs":{"0":"a","5":"b"}}},
{"identifier":"t","accessMode":"rw","dataType":{"type":"text","specs":{"length":"8"}}},
{"identifier":"dt","accessMode":"rw","dataType":{"type":"date","specs":{}}},
{"identifier":"s","accessMode":"rw","dataType":{"type":"struct","specs":[
  {"identifier":"x","name":"x","dataType":{"type":"int","specs":{}}},
  {"identifier":"y","name":"y","dataType":{"type":"text","specs":{"length":"4"}}}]}},
{"identifier":"a","accessMode":"rw","dataType":{"type":"array","specs":{"size":"4","item":
  {"type":"struct","specs":[{"identifier":"v","name":"v","dataType":{"type":"double","specs":{}}}]}}}}
],"events":[{"identifier":"Alarm","type":"alert","outputData":[
{"identifier":"level","name":"l","dataType":{"type":"int","specs":{"min":"1","max":"5"}}}]}]})";

constexpr const char* topics[] = {
    "/sys/pk/dn/thing/event/property/post",
    "/sys/pk/dn/thing/event/Alarm/post",
    "/sys/pk/dn/thing/service/property/set_reply",
    "/ota/device/inform/pk/dn",
};

const thing_model& model() {
  static const thing_model m = *parse_tsl(model_json);
  return m;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0)
    return 0;
  static const model_index idx(model());
  auto topic = map_topic(topics[data[0] % 4]);
  check_mode mode = (data[0] & 4) ? check_mode::strict : check_mode::weak;
  std::string_view payload(reinterpret_cast<const char*>(data + 1), size - 1);
  auto req = parse_request(payload);
  if (!req) {
    if (req.error().code != alink_code::bad_params && req.error().code != alink_code::not_json)
      std::abort();
    auto out =
        build_reply({req.error().id, req.error().code, req.error().message, {}, "1.0", "{}"});
    if (out.rfind("{\"id\":", 0) != 0)
      std::abort();
    return 0;
  }
  if (!topic)
    std::abort();
  auto method = resolve_method(*req, *topic);
  if (!req->params)
    return 0;
  check_result r;
  if (topic->kind == topic_kind::property_post)
    r = check_properties(idx, *req->params, mode);
  else if (topic->kind == topic_kind::event_post)
    r = check_event(*model().find_event("Alarm"), *req->params, mode);
  else
    return 0;
  // Strict: success has no findings; a failure is either one finding or a
  // refusal of the whole post (460, no finding).
  if (mode == check_mode::strict && r.ok() && !r.findings.empty())
    std::abort();
  if (mode == check_mode::strict && !r.ok() && r.findings.empty() &&
      r.code != alink_code::bad_params)
    std::abort();
  if (mode == check_mode::strict && !r.ok() && !r.accepted.empty())
    std::abort();
  if (mode == check_mode::weak && topic->kind == topic_kind::property_post &&
      req->params->IsObject() && req->params->MemberCount() <= max_post_properties &&
      (!r.ok() || r.accepted.size() + r.findings.size() != req->params->MemberCount()))
    std::abort();
  auto reply_data = r.ok() ? findings_reply_data(r) : std::string("{}");
  auto failed = check_failed_data(r);
  auto out = build_reply({req->id, r.code, r.message, method, req->version, reply_data});
  if (out.rfind("{\"id\":", 0) != 0 || failed.front() != '{')
    std::abort();
  return 0;
}
