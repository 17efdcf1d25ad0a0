// libFuzzer target for the ACL file parser (`--acl-file`, Mosquitto format)
// and the checks its rules answer: an operator's file with any bytes must
// give a parse error with a line number or rules, never a crash.
//
// Invariants checked: an error names a line within the input; for parsed
// rules, a denied subscription's filter is never readable as a topic, and
// a publish granted to a topic is consistent across two evaluations.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "broker/acl/acl_file.hpp"

using namespace iotb::acl;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto f = parse_acl_file(text);
  if (!f) {
    std::size_t lines = 1;
    for (char c : text)
      lines += c == '\n' ? 1 : 0;
    if (f.error().line == 0 || f.error().line > lines)
      std::abort();
    (void)f.error().what();
    return 0;
  }
  static constexpr std::string_view probes[] = {"a/b", "test/nosubscribe", "$SYS/x",
                                                "x",   "a/b/c/d",          "/"};
  for (auto user : {std::optional<std::string_view>{}, std::optional<std::string_view>{"alice"}}) {
    auto r = f->rules_for(user, "client-1");
    for (auto t : probes) {
      if (r.can_subscribe(t) == sub_verdict::deny && r.can_read(t))
        std::abort();  // a topic name as a filter: denied means not readable
      if (r.can_publish(t) != r.can_publish(t))
        std::abort();
    }
    (void)r.can_subscribe("#");
    (void)r.can_subscribe("+/+");
  }
  return 0;
}
