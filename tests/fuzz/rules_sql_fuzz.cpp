// libFuzzer target for the rules language (broker/rules/program.hpp): any
// SQL text must compile or give an error with a position inside the text;
// a compiled statement evaluated against any payload must pass, filter or
// fail with a message, never crash; a passed output is a JSON object.
// Templates are rendered against the output too.
//
// Input: the SQL, then optionally a NUL byte and the payload. Without a
// payload part, the SQL is evaluated against a few fixed payloads.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include <rapidjson/document.h>

#include "broker/rules/program.hpp"

using namespace iotb::rules;

namespace {

void evaluate(const program& p, std::string_view payload) {
  message_context m;
  m.topic = "/a1B2c3D4e5F/dev/user/update";
  m.payload = payload;
  m.client_id = "a1B2c3D4e5F.dev|securemode=2|";
  m.product_key = "a1B2c3D4e5F";
  m.device_name = "dev";
  m.message_id = 7;
  m.qos = 1;
  m.timestamp_ms = 1700000000123;
  m.attribute = [](std::string_view tag) -> std::optional<std::string> {
    if (tag == "room")
      return "lab";
    return std::nullopt;
  };
  auto r = p.evaluate(m);
  switch (r.status) {
    case eval_status::passed: {
      rapidjson::Document d;
      d.Parse(r.output.data(), r.output.size());
      if (d.HasParseError() || !d.IsObject())
        std::abort();
      (void)render_template("/${t}/${a.b[0]}/${deviceName}", r.output, m);
      break;
    }
    case eval_status::failed:
      if (r.error.empty())
        std::abort();
      break;
    case eval_status::filtered:
      break;
  }
  parsed_payload shared(payload);  // the shared-parse path as well
  (void)p.evaluate(m, shared);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto nul = in.find('\0');
  std::string_view sql = in.substr(0, nul);
  auto p = program::compile(sql);
  if (!p) {
    const auto& e = p.error();
    if (e.line == 0 || e.column == 0 || e.message.empty())
      std::abort();
    return 0;
  }
  if (nul != std::string_view::npos) {
    evaluate(*p, in.substr(nul + 1));
  } else {
    evaluate(*p, R"({"temperature":38.5,"t":"x","a":{"b":[1,2]},"items":{"T":{"value":1}}})");
    evaluate(*p, "[1,2,3]");
    evaluate(*p, "not json");
  }
  return 0;
}
