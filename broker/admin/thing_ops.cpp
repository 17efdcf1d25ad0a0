#include "broker/admin/thing_ops.hpp"

#include "broker/admin/json.hpp"
#include "broker/admin/ops_detail.hpp"
#include "broker/admin/registry_json.hpp"
#include "broker/store/registry.hpp"
#include "broker/thing/tsl.hpp"
#include "broker/util/clock.hpp"

namespace iotb::admin::ops {

namespace {

using detail::change;
using detail::look;
using store::errc;
using store::error;

void raw(json_writer& w, std::string_view json) {
  w.RawValue(json.data(), json.size(), rapidjson::kObjectType);
}

/// Every stored value is compact JSON written by the broker; a value that
/// is not (a damaged record) is shown as null rather than breaking the page.
void value(json_writer& w, std::string_view json) {
  if (json.empty())
    w.Null();
  else
    raw(w, json);
}

void field(json_writer& w, const char* k, std::string_view v) {
  w.Key(k);
  w.String(v.data(), static_cast<rapidjson::SizeType>(v.size()));
}

thing_model_info info_of(std::string_view pk, const store::thing_model_record& r) {
  thing_model_info i;
  i.product_key = std::string(pk);
  i.mode = r.mode;
  i.updated_ms = r.updated_ms;
  if (!r.tsl.empty())
    if (auto m = thing::parse_tsl(r.tsl)) {
      i.properties = m->properties.size();
      i.events = m->events.size();
      i.services = m->services.size();
    }
  return i;
}

/// The model record of an existing product (an empty one when it has none).
expected<store::thing_model_record, error> model_of(const store::txn& t, std::string_view pk) {
  if (auto p = store::get_product(t, pk); !p)
    return unexpected{p.error()};
  auto r = store::get_thing_model(t, pk);
  if (!r && r.error().code == errc::not_found)
    return store::thing_model_record{};
  return r;
}

template <class F>
std::string items(std::size_t n, F&& each) {
  return admin::render([&](json_writer& w) {
    w.StartObject();
    w.Key("items");
    w.StartArray();
    for (std::size_t i = 0; i < n; ++i)
      each(w, i);
    w.EndArray();
    w.Key("total");
    w.Uint64(n);
    w.EndObject();
  });
}

std::string render_values(const std::vector<store::property_record>& v) {
  return items(v.size(), [&](json_writer& w, std::size_t i) {
    w.StartObject();
    field(w, "identifier", v[i].identifier);
    w.Key("value");
    value(w, v[i].value);
    w.Key("time");
    w.Uint64(v[i].time_ms);
    field(w, "messageId", std::to_string(v[i].message_id));
    w.EndObject();
  });
}

}  // namespace

const char* check_mode_name(thing::check_mode m) noexcept {
  return m == thing::check_mode::strict ? "strict" : "weak";
}

std::optional<thing::check_mode> parse_check_mode(std::string_view s) noexcept {
  if (s == "weak")
    return thing::check_mode::weak;
  if (s == "strict")
    return thing::check_mode::strict;
  return std::nullopt;
}

expected<thing_model_info, error> import_thing_model(store::env& e, std::string_view pk,
                                                     std::string_view tsl,
                                                     std::optional<thing::check_mode> mode) {
  auto m = thing::parse_tsl(tsl);
  if (!m)
    return unexpected{error{errc::invalid, "thing model: " + m.error().path +
                                               (m.error().path.empty() ? "" : ": ") +
                                               m.error().message}};
  m->product_key = std::string(pk);
  auto text = thing::export_tsl(*m);
  return change(e, [&](store::write_txn& t) -> expected<thing_model_info, error> {
    auto cur = model_of(t, pk);
    if (!cur)
      return unexpected{cur.error()};
    store::thing_model_record r{text, mode.value_or(cur->mode), clock::wall_ms()};
    if (auto ok = store::put_thing_model(t, pk, r); !ok)
      return unexpected{ok.error()};
    thing_model_info i;
    i.product_key = std::string(pk);
    i.properties = m->properties.size();
    i.events = m->events.size();
    i.services = m->services.size();
    i.mode = r.mode;
    i.updated_ms = r.updated_ms;
    return i;
  });
}

expected<std::string, error> export_thing_model(store::env& e, std::string_view pk) {
  return look(e, [&](store::read_txn& t) -> expected<std::string, error> {
    auto r = model_of(t, pk);
    if (!r)
      return unexpected{r.error()};
    if (r->tsl.empty())
      return unexpected{
          error{errc::not_found, "product '" + std::string(pk) + "' has no thing model"}};
    return std::move(r->tsl);
  });
}

expected<thing_model_info, error> set_check_mode(store::env& e, std::string_view pk,
                                                 thing::check_mode mode) {
  return change(e, [&](store::write_txn& t) -> expected<thing_model_info, error> {
    auto cur = model_of(t, pk);
    if (!cur)
      return unexpected{cur.error()};
    cur->mode = mode;
    cur->updated_ms = clock::wall_ms();
    if (auto ok = store::put_thing_model(t, pk, *cur); !ok)
      return unexpected{ok.error()};
    return info_of(pk, *cur);
  });
}

expected<thing_model_info, error> get_thing_model_info(store::env& e, std::string_view pk) {
  return look(e, [&](store::read_txn& t) -> expected<thing_model_info, error> {
    auto r = model_of(t, pk);
    if (!r)
      return unexpected{r.error()};
    return info_of(pk, *r);
  });
}

std::string render_info(const thing_model_info& i) {
  return admin::render([&](json_writer& w) {
    w.StartObject();
    field(w, "productKey", i.product_key);
    w.Key("properties");
    w.Uint64(i.properties);
    w.Key("events");
    w.Uint64(i.events);
    w.Key("services");
    w.Uint64(i.services);
    field(w, "checkMode", check_mode_name(i.mode));
    w.Key("updatedMs");
    w.Uint64(i.updated_ms);
    w.EndObject();
  });
}

expected<std::string, error> render_properties(store::env& e, std::string_view pk,
                                               std::string_view dn) {
  return look(e, [&](store::read_txn& t) -> expected<std::string, error> {
    if (auto d = store::get_device(t, pk, dn); !d)
      return unexpected{d.error()};
    auto v = store::latest_properties(t, pk, dn);
    if (!v)
      return unexpected{v.error()};
    return render_values(*v);
  });
}

expected<std::string, error> render_history(store::env& e, std::string_view pk, std::string_view dn,
                                            std::string_view identifier, std::uint64_t from_ms,
                                            std::uint64_t to_ms, std::size_t limit) {
  return look(e, [&](store::read_txn& t) -> expected<std::string, error> {
    if (auto d = store::get_device(t, pk, dn); !d)
      return unexpected{d.error()};
    auto v = store::property_history(t, pk, dn, identifier, from_ms, to_ms, limit);
    if (!v)
      return unexpected{v.error()};
    return render_values(*v);
  });
}

expected<std::string, error> render_events(store::env& e, std::string_view pk, std::string_view dn,
                                           std::string_view identifier, std::uint64_t from_ms,
                                           std::uint64_t to_ms, std::size_t limit) {
  return look(e, [&](store::read_txn& t) -> expected<std::string, error> {
    if (auto d = store::get_device(t, pk, dn); !d)
      return unexpected{d.error()};
    auto v = store::list_events(t, pk, dn, identifier, from_ms, to_ms, limit);
    if (!v)
      return unexpected{v.error()};
    return items(v->size(), [&](json_writer& w, std::size_t i) {
      const auto& ev = (*v)[i];
      w.StartObject();
      field(w, "identifier", ev.identifier);
      field(w, "type", ev.type);
      w.Key("params");
      value(w, ev.params);
      w.Key("time");
      w.Uint64(ev.time_ms);
      field(w, "messageId", std::to_string(ev.message_id));
      w.EndObject();
    });
  });
}

expected<std::string, error> render_ota(store::env& e, std::string_view pk, std::string_view dn) {
  return look(e, [&](store::read_txn& t) -> expected<std::string, error> {
    if (auto d = store::get_device(t, pk, dn); !d)
      return unexpected{d.error()};
    auto o = store::get_ota(t, pk, dn);
    if (!o)
      return unexpected{o.error()};
    return admin::render([&](json_writer& w) {
      w.StartObject();
      field(w, "version", o->version);
      field(w, "module", o->module);
      w.Key("step");
      w.Int(o->step);
      field(w, "desc", o->desc);
      w.Key("reportedMs");
      w.Uint64(o->reported_ms);
      w.Key("progressMs");
      w.Uint64(o->progress_ms);
      if (!o->target_version.empty()) {
        w.Key("upgrade");
        w.StartObject();
        field(w, "version", o->target_version);
        field(w, "module", o->target_module);
        w.Key("requestedMs");
        w.Uint64(o->target_ms);
        field(w, "messageId", std::to_string(o->target_id));
        w.Key("done");
        w.Bool(o->version == o->target_version);
        w.Key("data");
        w.RawValue(o->target_data.data(), o->target_data.size(), rapidjson::kObjectType);
        w.EndObject();
      }
      w.EndObject();
    });
  });
}

// -- remote configuration and OTA ------------------------------------------------------

expected<store::config_record, error> set_product_config(store::env& e, std::string_view pk,
                                                         std::string_view content,
                                                         std::uint64_t now_ms) {
  if (content.empty() || content.size() > thing::max_config_bytes)
    return unexpected{error{
        store::errc::invalid,
        "the configuration file must be 1.." + std::to_string(thing::max_config_bytes) + " bytes"}};
  auto meta = thing::describe_config(content);
  store::config_record r{meta.config_id, std::string(content), meta.sign, now_ms};
  return change(e, [&](store::write_txn& t) -> expected<store::config_record, error> {
    if (auto p = store::get_product(t, pk); !p)
      return unexpected{p.error()};
    if (auto ok = store::put_config(t, pk, r); !ok)
      return unexpected{ok.error()};
    return r;
  });
}

expected<store::config_record, error> get_product_config(store::env& e, std::string_view pk) {
  return look(e, [&](store::read_txn& t) -> expected<store::config_record, error> {
    if (auto p = store::get_product(t, pk); !p)
      return unexpected{p.error()};
    return store::get_config(t, pk);
  });
}

std::string render_config(const store::config_record& r) {
  return admin::render([&](json_writer& w) {
    w.StartObject();
    field(w, "configId", r.config_id);
    w.Key("configSize");
    w.Uint64(r.content.size());
    field(w, "sign", r.sign);
    field(w, "signMethod", "Sha256");
    w.Key("updatedMs");
    w.Uint64(r.updated_ms);
    w.EndObject();
  });
}

expected<store::ota_record, error> set_ota_target(store::env& e, std::string_view pk,
                                                  std::string_view dn, const thing::ota_upgrade& u,
                                                  std::string data_json, std::uint64_t id,
                                                  std::uint64_t now_ms) {
  return change(e, [&](store::write_txn& t) -> expected<store::ota_record, error> {
    if (auto d = store::get_device(t, pk, dn); !d)
      return unexpected{d.error()};
    auto cur = store::get_ota(t, pk, dn);
    store::ota_record r = cur ? std::move(*cur) : store::ota_record{};
    r.target_version = u.version;
    r.target_module = u.module;
    r.target_data = data_json;
    r.target_ms = now_ms;
    r.target_id = id;
    if (auto ok = store::put_ota(t, pk, dn, r); !ok)
      return unexpected{ok.error()};
    return r;
  });
}

}  // namespace iotb::admin::ops
