#include "actors/thing_calls.hpp"

#include <memory>
#include <vector>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "actors/model_cache.hpp"
#include "broker/store/registry.hpp"
#include "broker/store/thing_store.hpp"
#include "broker/util/clock.hpp"

namespace iotb::actors {

namespace {

/// The members of a `params` object as desired records; empty when it is
/// not an object.
std::vector<store::property_record> desired_records(const offline_property_set& req,
                                                    std::uint64_t now_ms) {
  std::vector<store::property_record> out;
  rapidjson::Document d;
  d.Parse(req.params_json.data(), req.params_json.size());
  if (d.HasParseError() || !d.IsObject())
    return out;
  for (const auto& m : d.GetObject()) {
    rapidjson::StringBuffer sb;
    rapidjson::Writer<rapidjson::StringBuffer> w(sb);
    m.value.Accept(w);
    out.push_back(store::property_record{std::string(m.name.GetString(), m.name.GetStringLength()),
                                         std::string(sb.GetString(), sb.GetSize()), now_ms, 0,
                                         req.message_id});
  }
  return out;
}

}  // namespace

void keep_desired(const context_ptr& ctx, const offline_property_set& req, call_done done) {
  auto finish = [ctx, id = req.message_id, done = std::move(done)](call_status s, std::string why) {
    ctx->metrics.call_ended(call_kind::property_set, s);
    call_result r;
    r.status = s;
    r.message_id = id;
    r.why = std::move(why);
    done(std::move(r));
  };
  auto now_ms = clock::wall_ms();
  auto values = desired_records(req, now_ms);
  if (values.empty())
    return finish(call_status::unknown, "params: no property to keep for the offline device");
  if (!ctx->writer)
    return finish(call_status::offline, "the device is offline (no store to keep desired values)");
  std::string names;
  for (const auto& v : values)
    names.append(names.empty() ? "" : ", ").append(v.identifier);
  auto why = std::make_shared<std::string>();
  ctx->writer->submit(
      [pk = req.product_key, dn = req.device_name, values = std::move(values), id = req.message_id,
       names = std::move(names), now_ms, why](store::write_txn& t) -> expected<bool, store::error> {
        if (!store::get_device(t, pk, dn)) {
          *why = "no such device";
          return true;
        }
        if (auto stored = store::put_desired(t, pk, dn, values); !stored)
          return unexpected{stored.error()};
        return store::append_log(
            t, pk, dn, store::log_kind::call,
            "property set " + std::to_string(id) + " kept as desired (device offline): " + names,
            {}, now_ms);
      },
      [finish = std::move(finish), why](bool committed) {
        if (!committed)
          return finish(call_status::unknown, "the store refused the desired values");
        if (!why->empty())
          return finish(call_status::unknown, *why);
        finish(call_status::queued, {});
      });
}

call_config thing_call_config(const context_ptr& ctx) {
  call_config cfg;
  cfg.on_offline_property_set = [ctx](const offline_property_set& req, call_done done) {
    keep_desired(ctx, req, std::move(done));
  };
  auto models = std::make_shared<model_cache>(*ctx);
  cfg.service_is_sync = [ctx, models](const std::string& pk,
                                      const std::string& service_id) -> std::optional<bool> {
    const auto* m = models->get(pk);
    if (!m || m->empty)
      return std::nullopt;
    const auto* s = m->model.find_service(service_id);
    if (!s)
      return std::nullopt;
    return s->call == thing::call_type::sync;
  };
  return cfg;
}

}  // namespace iotb::actors
