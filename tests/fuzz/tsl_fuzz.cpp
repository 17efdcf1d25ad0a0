// libFuzzer target for the thing-model (TSL) parser (broker/thing/tsl.hpp):
// an imported TSL document with any bytes must give an error naming a path,
// or a model that round-trips, never a crash.
//
// Invariants checked: an error has a message; a parsed model respects the
// limits (features, struct fields, array size, text length); export →
// parse gives an equal model, and exporting that again gives the same bytes.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "broker/thing/tsl.hpp"

using namespace iotb::thing;

namespace {

void check_type(const data_type& t) {
  if (t.kind == data_kind::text && (t.length == 0 || t.length > max_text_length))
    std::abort();
  if (t.kind == data_kind::array && (t.size == 0 || t.size > max_array_size || t.item.size() != 1))
    std::abort();
  if (t.kind == data_kind::struct_ && (t.fields.empty() || t.fields.size() > max_struct_fields))
    std::abort();
  if (t.min && t.max && *t.min > *t.max)
    std::abort();
  for (auto& i : t.item)
    check_type(i);
  for (auto& f : t.fields)
    check_type(f.type);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto m = parse_tsl(text);
  if (!m) {
    if (m.error().message.empty() || m.error().to_string().empty())
      std::abort();
    return 0;
  }
  if (m->properties.size() + m->events.size() + m->services.size() > max_features)
    std::abort();
  for (auto& p : m->properties) {
    if (!valid_identifier(p.identifier))
      std::abort();
    check_type(p.type);
  }
  auto out = export_tsl(*m);
  auto again = parse_tsl(out);
  if (!again || !(*again == *m) || export_tsl(*again) != out)
    std::abort();
  return 0;
}
