// libFuzzer target for the admin API's request-body handling
// (broker/admin/json.hpp): parsing untrusted JSON and reading typed fields.
//
// Input: any bytes, parsed as a request body. Invariants checked: parsing
// never crashes or throws; a parsed body is an object; the typed getters
// and `finish()` never crash whatever the field types; an error body is
// always produced for a refused input, and the error is 400 (bad_json or
// bad_field).

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "broker/admin/json.hpp"

using namespace iotb::admin;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto b = json_body::parse(in, size % 2 == 0);
  if (!b) {
    if (b.error().code != api_errc::bad_json || error_body(b.error()).empty())
      std::abort();
    return 0;
  }
  (void)b->string("name", false, 64);
  (void)b->boolean("enabled");
  (void)b->uint("count", 1, 1000);
  (void)b->string("username", true);
  if (auto* v = b->raw("categories"); v && v->IsArray())
    for (auto& c : v->GetArray())
      (void)c.IsObject();
  if (auto e = b->finish(); e && status_of(e->code) != 400)
    std::abort();
  return 0;
}
