// libFuzzer target for the admin API's target handling
// (broker/admin/router.hpp): splitting and percent-decoding a request
// target, parsing its query string and paging parameters, and routing.
//
// Input: any bytes, used as a request target; the first byte also picks a
// method. Invariants checked: nothing crashes; a parsed target has at most
// 64 segments and no decoded NUL; a match only returns a registered tag,
// with as many path parameters as its pattern has.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "broker/admin/json.hpp"
#include "broker/admin/router.hpp"

using namespace iotb::admin;

namespace {

const router& api() {
  static const router r = [] {
    router x;
    x.add(method::get, "/api/v1/products", 0);
    x.add(method::post, "/api/v1/products", 1);
    x.add(method::get, "/api/v1/products/{pk}", 2);
    x.add(method::get, "/api/v1/products/{pk}/devices", 3);
    x.add(method::get, "/api/v1/products/{pk}/devices/{dn}", 4);
    x.add(method::get, "/api/v1/products/{pk}/devices/{dn}/log", 5);
    x.add(method::post, "/api/v1/login", 6);
    return x;
  }();
  return r;
}

constexpr std::size_t params_of[] = {0, 0, 1, 1, 2, 2, 0};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto m = size ? static_cast<method>(data[0] % 6) : method::get;
  auto t = parse_target(in);
  if (!t)
    return 0;
  if (t->segments.size() > 64)
    std::abort();
  for (auto& s : t->segments)
    if (s.find('\0') != std::string::npos)
      std::abort();
  (void)parse_page(t->query);
  auto r = api().match(m, t->segments);
  if (r && (r->tag > 6 || r->path.items().size() != params_of[r->tag]))
    std::abort();
  (void)api().allowed(t->segments);
  return 0;
}
