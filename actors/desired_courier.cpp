#include "actors/desired_courier.hpp"

#include <algorithm>
#include <memory>
#include <utility>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <caf/send.hpp>

#include "actors/call_book.hpp"
#include "actors/device_presence.hpp"
#include "broker/log/log.hpp"
#include "broker/store/registry.hpp"
#include "broker/store/thing_store.hpp"
#include "broker/thing/calls.hpp"
#include "broker/util/clock.hpp"

namespace iotb::actors {

namespace {

std::vector<thing::desired_value> read_desired(broker_context& ctx, const std::string& pk,
                                               const std::string& dn) {
  std::vector<thing::desired_value> out;
  if (!ctx.registry)
    return out;
  auto t = ctx.registry->read();
  if (!t)
    return out;
  if (auto got = store::get_desired(*t, pk, dn, {}))
    for (auto& r : *got)
      out.push_back(thing::desired_value{std::move(r.identifier), std::move(r.value), r.version});
  return out;
}

/// The call's completion (on the calls actor's thread): forget what was
/// delivered, or say why it stays desired.
void delivered(const context_ptr& ctx, const std::string& pk, const std::string& dn,
               const std::vector<thing::desired_value>& sent, const call_result& r) {
  std::string names;
  for (const auto& v : sent)
    names.append(names.empty() ? "" : ", ").append(v.identifier);
  const auto id = std::to_string(r.message_id);
  if (r.status != call_status::success || !r.reply || r.reply->code != 200) {
    std::string why = r.status != call_status::success ? std::string(thing::to_string(r.status))
                      : r.reply                        ? "code " + std::to_string(r.reply->code)
                                                       : std::string("no reply");
    if (!r.why.empty())
      why += " (" + r.why + ")";
    ctx->device_log(pk, dn, store::log_kind::call,
                    "desired values sent at reconnect (property set " + id + ": " + names +
                        ") not applied: " + why + "; they stay desired",
                    {});
    return;
  }
  if (!ctx->writer)
    return;
  std::vector<std::pair<std::string, std::uint64_t>> versions;
  versions.reserve(sent.size());
  for (const auto& v : sent)
    versions.emplace_back(v.identifier, v.version);
  auto now_ms = clock::wall_ms();
  ctx->writer->submit([pk, dn, versions = std::move(versions), names = std::move(names), id,
                       now_ms](store::write_txn& t) -> expected<bool, store::error> {
    for (const auto& [identifier, version] : versions)
      store::delete_desired(t, pk, dn, identifier, version);
    return store::append_log(
        t, pk, dn, store::log_kind::call,
        "desired values delivered at reconnect (property set " + id + "): " + names, {}, now_ms);
  });
}

}  // namespace

std::string desired_params_json(const std::vector<thing::desired_value>& values) {
  rapidjson::StringBuffer sb;
  rapidjson::Writer<rapidjson::StringBuffer> w(sb);
  w.StartObject();
  for (const auto& v : values) {
    w.Key(v.identifier.data(), static_cast<rapidjson::SizeType>(v.identifier.size()));
    w.RawValue(v.value.data(), v.value.size(), rapidjson::kObjectType);
  }
  w.EndObject();
  return {sb.GetString(), sb.GetSize()};
}

courier_actor::behavior_type desired_courier(courier_actor::pointer self, context_ptr ctx,
                                             calls_actor calls) {
  subscribe_internal(*ctx, caf::actor_cast<subscriber_actor>(self), desired_courier_key,
                     "/as/mqtt/status/+/+", mqtt::qos::at_most_once);
  return {
      [self](const deliver_msg& d) {
        if (auto dev = online_device(*d.msg))
          self->delayed_send(self, courier_delays[0], courier_try_atom::value,
                             std::move(dev->first), std::move(dev->second), std::int32_t{0});
      },
      [self, ctx, calls](courier_try_atom, const std::string& pk, const std::string& dn,
                         std::int32_t attempt) {
        if (ctx->directory.device_sessions(pk, dn).empty())
          return;  // offline again: the next online notification tries again
        auto values = read_desired(*ctx, pk, dn);
        if (values.empty())
          return;
        if (!device_subscribed(*ctx, pk, dn, thing::property_set_topic(pk, dn))) {
          auto next = static_cast<std::size_t>(attempt) + 1;
          if (next < std::size(courier_delays))
            self->delayed_send(self, courier_delays[next] - courier_delays[next - 1],
                               courier_try_atom::value, pk, dn, static_cast<std::int32_t>(next));
          return;
        }
        auto req = std::make_shared<call_request>();
        req->kind = call_kind::property_set;
        req->product_key = pk;
        req->device_name = dn;
        req->payload = desired_params_json(values);
        req->done = [ctx, pk, dn, sent = std::move(values)](call_result r) {
          delivered(ctx, pk, dn, sent, r);
        };
        self->send(calls, call_msg{std::move(req)});
      },
  };
}

}  // namespace iotb::actors
