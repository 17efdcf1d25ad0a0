#include "broker/store/thing_store.hpp"

#include <cstring>

#include "broker/store/verified.hpp"
#include "schemas/registry_generated.h"

namespace iotb::store {

namespace fb = flatbuffers;
namespace s = iotb::schema;

namespace {

constexpr std::size_t stamp_bytes = 16;  ///< time(BE64) messageId(BE64)

std::string device_prefix(std::string_view pk, std::string_view dn) {
  std::string k;
  k.reserve(pk.size() + dn.size() + 2);
  k.append(pk).push_back('/');
  k.append(dn);
  return k;
}

/// "pk/dn" NUL `id` (latest and desired values).
std::string value_key(std::string_view pk, std::string_view dn, std::string_view id) {
  auto k = device_prefix(pk, dn);
  k.push_back('\0');
  k.append(id);
  return k;
}

void append_stamp(std::string& k, std::uint64_t time_ms, std::uint64_t message_id) {
  char be[stamp_bytes];
  put_be64(time_ms, be);
  put_be64(message_id, be + 8);
  k.append(be, stamp_bytes);
}

std::vector<std::uint8_t> encode_value(const property_record& r) {
  fb::FlatBufferBuilder b(64 + r.value.size());
  b.Finish(s::CreatePropertyValue(b, b.CreateString(r.value), r.time_ms, r.version, r.message_id));
  return fb_bytes(b);
}

expected<property_record, error> decode_value(std::span<const std::uint8_t> buf,
                                              std::string identifier) {
  auto* v = verified<s::PropertyValue>(buf);
  if (!v)
    return unexpected{corrupt_record("property value")};
  property_record r;
  r.identifier = std::move(identifier);
  r.value = fb_str(v->value());
  r.time_ms = v->time_ms();
  r.version = v->version();
  r.message_id = v->message_id();
  return r;
}

std::span<const std::uint8_t> bytes(const std::vector<std::uint8_t>& v) {
  return {v.data(), v.size()};
}

/// Reads the values under "pk/dn" NUL (latest or desired), by identifier.
expected<std::vector<property_record>, error> read_values(const txn& t, table tb,
                                                          std::string_view pk,
                                                          std::string_view dn) {
  auto prefix = value_key(pk, dn, {});
  std::vector<property_record> out;
  std::optional<error> bad;
  auto ok = scan(t, tb, prefix, [&](std::string_view key, auto v) {
    auto r = decode_value(v, std::string(key.substr(prefix.size())));
    if (!r) {
      bad = r.error();
      return false;
    }
    out.push_back(std::move(*r));
    return true;
  });
  if (!ok)
    return unexpected{ok.error()};
  if (bad)
    return unexpected{*bad};
  return out;
}

/// Erases every key of `tb` that starts with `prefix`.
expected<bool, error> erase_prefix(write_txn& t, table tb, const std::string& prefix) {
  std::vector<std::string> doomed;
  auto ok = scan(t, tb, prefix, [&](std::string_view k, auto) {
    doomed.emplace_back(k);
    return true;
  });
  if (!ok)
    return ok;
  for (auto& k : doomed)
    t.erase(tb, k);
  return true;
}

}  // namespace

// -- thing models ---------------------------------------------------------------------

expected<bool, error> put_thing_model(write_txn& t, std::string_view pk,
                                      const thing_model_record& r) {
  fb::FlatBufferBuilder b(256 + r.tsl.size());
  b.Finish(s::CreateThingModel(b, b.CreateString(r.tsl), static_cast<s::CheckMode>(r.mode),
                               r.updated_ms));
  return t.put(table::thing_models, pk, bytes(fb_bytes(b)));
}

expected<thing_model_record, error> get_thing_model(const txn& t, std::string_view pk) {
  auto v = t.get(table::thing_models, pk);
  if (!v)
    return unexpected{
        error{errc::not_found, "product '" + std::string(pk) + "' has no thing model"}};
  auto* m = verified<s::ThingModel>(*v);
  if (!m)
    return unexpected{corrupt_record("thing model")};
  thing_model_record r;
  r.tsl = fb_str(m->tsl());
  r.mode =
      m->check_mode() == s::CheckMode::strict ? thing::check_mode::strict : thing::check_mode::weak;
  r.updated_ms = m->updated_ms();
  return r;
}

expected<bool, error> set_check_mode(write_txn& t, std::string_view pk, thing::check_mode mode,
                                     std::uint64_t now_ms) {
  auto cur = get_thing_model(t, pk);
  if (!cur && cur.error().code != errc::not_found)
    return unexpected{cur.error()};
  thing_model_record r = cur ? std::move(*cur) : thing_model_record{};
  r.mode = mode;
  r.updated_ms = now_ms;
  return put_thing_model(t, pk, r);
}

void erase_thing_model(write_txn& t, std::string_view pk) {
  t.erase(table::thing_models, pk);
  t.erase(table::configs, pk);
}

// -- properties -----------------------------------------------------------------------

expected<bool, error> put_properties(write_txn& t, std::string_view pk, std::string_view dn,
                                     const std::vector<property_record>& values, bool history) {
  for (const auto& v : values) {
    auto enc = encode_value(v);
    auto key = value_key(pk, dn, v.identifier);
    bool newer = true;
    if (auto cur = t.get(table::properties, key)) {
      auto* old = verified<s::PropertyValue>(*cur);
      newer = !old || old->time_ms() <= v.time_ms;
    }
    if (newer)
      if (auto ok = t.put(table::properties, key, bytes(enc)); !ok)
        return ok;
    if (history) {
      key.push_back('\0');
      append_stamp(key, v.time_ms, v.message_id);
      if (auto ok = t.put(table::history, key, bytes(enc)); !ok)
        return ok;
    }
  }
  return true;
}

expected<std::vector<property_record>, error> latest_properties(const txn& t, std::string_view pk,
                                                                std::string_view dn) {
  return read_values(t, table::properties, pk, dn);
}

expected<std::vector<property_record>, error> property_history(
    const txn& t, std::string_view pk, std::string_view dn, std::string_view identifier,
    std::uint64_t from_ms, std::uint64_t to_ms, std::size_t limit) {
  auto prefix = value_key(pk, dn, identifier);
  prefix.push_back('\0');
  auto from = prefix;
  append_stamp(from, from_ms, 0);
  std::vector<property_record> out;
  std::optional<error> bad;
  auto ok = scan_from(t, table::history, prefix, from, [&](std::string_view key, auto v) {
    if (key.size() != prefix.size() + stamp_bytes)
      return true;  // not this identifier's (cannot happen: NUL ends it)
    if (get_be64(key.data() + prefix.size()) > to_ms || out.size() >= limit)
      return false;
    auto r = decode_value(v, std::string(identifier));
    if (!r) {
      bad = r.error();
      return false;
    }
    out.push_back(std::move(*r));
    return true;
  });
  if (!ok)
    return unexpected{ok.error()};
  if (bad)
    return unexpected{*bad};
  return out;
}

// -- events ---------------------------------------------------------------------------

expected<bool, error> append_event(write_txn& t, std::string_view pk, std::string_view dn,
                                   const event_record& e) {
  auto key = device_prefix(pk, dn);
  key.push_back('\0');
  append_stamp(key, e.time_ms, e.message_id);
  fb::FlatBufferBuilder b(96 + e.params.size());
  b.Finish(s::CreateThingEvent(b, b.CreateString(e.identifier), b.CreateString(e.type),
                               b.CreateString(e.params), e.time_ms, e.message_id));
  return t.put(table::events, key, bytes(fb_bytes(b)));
}

expected<std::vector<event_record>, error> list_events(const txn& t, std::string_view pk,
                                                       std::string_view dn,
                                                       std::string_view identifier,
                                                       std::uint64_t from_ms, std::uint64_t to_ms,
                                                       std::size_t limit) {
  auto prefix = device_prefix(pk, dn);
  prefix.push_back('\0');
  auto from = prefix;
  append_stamp(from, from_ms, 0);
  std::vector<event_record> out;
  std::optional<error> bad;
  auto ok = scan_from(t, table::events, prefix, from, [&](std::string_view key, auto v) {
    if (key.size() != prefix.size() + stamp_bytes)
      return true;
    if (get_be64(key.data() + prefix.size()) > to_ms || out.size() >= limit)
      return false;
    auto* e = verified<s::ThingEvent>(v);
    if (!e) {
      bad = corrupt_record("event");
      return false;
    }
    if (!identifier.empty() && fb_str(e->identifier()) != identifier)
      return true;
    out.push_back(event_record{fb_str(e->identifier()), fb_str(e->type()), fb_str(e->params()),
                               e->time_ms(), e->message_id()});
    return true;
  });
  if (!ok)
    return unexpected{ok.error()};
  if (bad)
    return unexpected{*bad};
  return out;
}

// -- desired values -------------------------------------------------------------------

expected<std::vector<property_record>, error> put_desired(
    write_txn& t, std::string_view pk, std::string_view dn,
    const std::vector<property_record>& values) {
  std::vector<property_record> out;
  out.reserve(values.size());
  for (auto v : values) {
    auto key = value_key(pk, dn, v.identifier);
    v.version = 1;
    if (auto cur = t.get(table::desired, key)) {
      auto* old = verified<s::PropertyValue>(*cur);
      if (!old)
        return unexpected{corrupt_record("desired value")};
      v.version = old->version() + 1;
    }
    if (auto ok = t.put(table::desired, key, bytes(encode_value(v))); !ok)
      return unexpected{ok.error()};
    out.push_back(std::move(v));
  }
  return out;
}

expected<std::vector<property_record>, error> get_desired(
    const txn& t, std::string_view pk, std::string_view dn,
    const std::vector<std::string>& identifiers) {
  if (identifiers.empty())
    return read_values(t, table::desired, pk, dn);
  std::vector<property_record> out;
  for (const auto& id : identifiers) {
    auto v = t.get(table::desired, value_key(pk, dn, id));
    if (!v)
      continue;
    auto r = decode_value(*v, id);
    if (!r)
      return unexpected{r.error()};
    out.push_back(std::move(*r));
  }
  return out;
}

bool delete_desired(write_txn& t, std::string_view pk, std::string_view dn,
                    std::string_view identifier, std::uint64_t version) {
  auto key = value_key(pk, dn, identifier);
  auto cur = t.get(table::desired, key);
  if (!cur)
    return false;
  if (version != 0) {
    auto* old = verified<s::PropertyValue>(*cur);
    if (old && old->version() != version)
      return false;
  }
  return t.erase(table::desired, key);
}

// -- OTA and shadow -------------------------------------------------------------------

expected<bool, error> put_ota(write_txn& t, std::string_view pk, std::string_view dn,
                              const ota_record& r) {
  fb::FlatBufferBuilder b(128);
  b.Finish(s::CreateOtaState(b, b.CreateString(r.version), b.CreateString(r.module), r.step,
                             b.CreateString(r.desc), r.reported_ms, r.progress_ms,
                             b.CreateString(r.target_version), b.CreateString(r.target_module),
                             b.CreateString(r.target_data), r.target_ms, r.target_id));
  return t.put(table::ota, device_prefix(pk, dn), bytes(fb_bytes(b)));
}

expected<ota_record, error> get_ota(const txn& t, std::string_view pk, std::string_view dn) {
  auto v = t.get(table::ota, device_prefix(pk, dn));
  if (!v)
    return unexpected{error{errc::not_found, "the device has reported no OTA state"}};
  auto* o = verified<s::OtaState>(*v);
  if (!o)
    return unexpected{corrupt_record("OTA state")};
  return ota_record{fb_str(o->version()),
                    fb_str(o->module_()),
                    o->step(),
                    fb_str(o->desc()),
                    o->reported_ms(),
                    o->progress_ms(),
                    fb_str(o->target_version()),
                    fb_str(o->target_module()),
                    fb_str(o->target_data()),
                    o->target_ms(),
                    o->target_id()};
}

expected<bool, error> put_config(write_txn& t, std::string_view pk, const config_record& r) {
  fb::FlatBufferBuilder b(256 + r.content.size());
  auto content =
      b.CreateVector(reinterpret_cast<const std::uint8_t*>(r.content.data()), r.content.size());
  b.Finish(s::CreateProductConfig(b, b.CreateString(r.config_id), content, b.CreateString(r.sign),
                                  r.updated_ms));
  return t.put(table::configs, pk, bytes(fb_bytes(b)));
}

expected<config_record, error> get_config(const txn& t, std::string_view pk) {
  auto v = t.get(table::configs, pk);
  if (!v)
    return unexpected{error{errc::not_found, "the product has no configuration file"}};
  auto* c = verified<s::ProductConfig>(*v);
  if (!c)
    return unexpected{corrupt_record("configuration file")};
  config_record r{fb_str(c->config_id()), {}, fb_str(c->sign()), c->updated_ms()};
  if (c->content())
    r.content.assign(reinterpret_cast<const char*>(c->content()->data()), c->content()->size());
  return r;
}

expected<std::string, error> get_shadow(const txn& t, std::string_view pk, std::string_view dn) {
  auto v = t.get(table::shadows, device_prefix(pk, dn));
  if (!v)
    return unexpected{error{errc::not_found, "the device has no shadow"}};
  auto* sh = verified<s::Shadow>(*v);
  if (!sh)
    return unexpected{corrupt_record("shadow")};
  return fb_str(sh->doc());
}

expected<bool, error> put_shadow(write_txn& t, std::string_view pk, std::string_view dn,
                                 std::string_view doc) {
  fb::FlatBufferBuilder b(64 + doc.size());
  b.Finish(s::CreateShadow(b, b.CreateString(doc)));
  return t.put(table::shadows, device_prefix(pk, dn), bytes(fb_bytes(b)));
}

// -- removal and retention ------------------------------------------------------------

expected<bool, error> erase_thing_data(write_txn& t, std::string_view pk, std::string_view dn) {
  auto prefix = device_prefix(pk, dn) + std::string(1, '\0');
  for (auto tb : {table::properties, table::history, table::events, table::desired})
    if (auto ok = erase_prefix(t, tb, prefix); !ok)
      return ok;
  t.erase(table::ota, device_prefix(pk, dn));
  t.erase(table::shadows, device_prefix(pk, dn));
  return true;
}

expected<purge_result, error> purge_before(write_txn& t, table tb, std::uint64_t before_ms,
                                           std::size_t max, std::string_view resume) {
  MDB_cursor* c = nullptr;
  if (int rc = mdb_cursor_open(t.handle(), t.environment().dbi(tb), &c); rc != 0)
    return unexpected{lmdb_error(rc, "opening a cursor")};
  purge_result out;
  std::string seek(resume);
  MDB_val k{seek.size(), seek.data()};
  MDB_val v;
  int rc = mdb_cursor_get(c, &k, &v, seek.empty() ? MDB_FIRST : MDB_SET_RANGE);
  while (rc == 0) {
    std::string_view key(static_cast<const char*>(k.mv_data), k.mv_size);
    if (out.deleted >= max) {
      out.resume = key;
      break;
    }
    if (key.size() >= stamp_bytes && get_be64(key.data() + key.size() - stamp_bytes) >= before_ms) {
      // The rest of this group is newer: seek past it.
      seek.assign(key.substr(0, key.size() - stamp_bytes));
      seek.append(stamp_bytes + 1, '\xff');
      k = MDB_val{seek.size(), seek.data()};
      rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
      continue;
    }
    if (rc = mdb_cursor_del(c, 0); rc != 0)
      break;
    ++out.deleted;
    // After a delete, MDB_NEXT yields the record that followed it.
    rc = mdb_cursor_get(c, &k, &v, MDB_NEXT);
  }
  mdb_cursor_close(c);
  if (rc != 0 && rc != MDB_NOTFOUND)
    return unexpected{lmdb_error(rc, "purging old records")};
  return out;
}

}  // namespace iotb::store
