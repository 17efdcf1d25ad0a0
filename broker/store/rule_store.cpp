#include "broker/store/rule_store.hpp"

#include "broker/store/verified.hpp"
#include "schemas/registry_generated.h"

namespace iotb::store {

namespace fb = flatbuffers;
namespace s = iotb::schema;

namespace {

expected<rule_record, error> decode(std::string_view id, std::span<const std::uint8_t> buf) {
  auto* r = verified<s::Rule>(buf);
  if (!r)
    return unexpected{error{errc::corrupt, "a rule record failed verification"}};
  rule_record out;
  out.id = std::string(id);
  out.name = fb_str(r->name());
  out.description = fb_str(r->description());
  out.sql = fb_str(r->sql());
  out.enabled = r->enabled();
  out.actions = fb_str(r->actions());
  out.error_action = fb_str(r->error_action());
  out.created_ms = r->created_ms();
  out.updated_ms = r->updated_ms();
  return out;
}

}  // namespace

expected<bool, error> put_rule(write_txn& t, const rule_record& r) {
  fb::FlatBufferBuilder b(256 + r.sql.size() + r.actions.size() + r.error_action.size());
  b.Finish(s::CreateRule(b, b.CreateString(r.name), b.CreateString(r.description),
                         b.CreateString(r.sql), r.enabled, b.CreateString(r.actions),
                         b.CreateString(r.error_action), r.created_ms, r.updated_ms));
  return t.put(table::rules, r.id,
               std::span<const std::uint8_t>(b.GetBufferPointer(), b.GetSize()));
}

expected<rule_record, error> get_rule(const txn& t, std::string_view id) {
  auto v = t.get(table::rules, id);
  if (!v)
    return unexpected{error{errc::not_found, "no rule " + std::string(id)}};
  return decode(id, *v);
}

expected<std::vector<rule_record>, error> list_rules(const txn& t) {
  // The id is the key: decoded without it, then set.
  return decode_all(
      t, table::rules, {}, [](std::span<const std::uint8_t> v) { return decode({}, v); },
      [](std::string_view key, rule_record& r) { r.id = std::string(key); });
}

bool erase_rule(write_txn& t, std::string_view id) {
  return t.erase(table::rules, id);
}

}  // namespace iotb::store
