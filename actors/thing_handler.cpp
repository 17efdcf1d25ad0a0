#include "actors/thing_handler.hpp"

#include <string>

#include <caf/send.hpp>

#include "actors/dispatch.hpp"
#include "actors/model_cache.hpp"
#include "broker/log/log.hpp"
#include "broker/store/registry.hpp"
#include "broker/store/thing_store.hpp"
#include "broker/thing/device_mgmt.hpp"
#include "broker/thing/uplink.hpp"
#include "broker/util/clock.hpp"

namespace iotb::actors {

namespace {

/// The topics this handler answers (gateway refusals included).
constexpr const char* filters[] = {
    "/sys/+/+/thing/event/+/post",
    "/sys/+/+/thing/event/property/history/post",
    "/sys/+/+/thing/event/property/pack/post",
    "/sys/+/+/thing/deviceinfo/update",
    "/sys/+/+/thing/deviceinfo/delete",
    "/sys/+/+/thing/config/get",
    "/sys/+/+/thing/dynamicTsl/get",
    "/sys/+/+/thing/property/desired/get",
    "/sys/+/+/thing/property/desired/delete",
    "/sys/+/+/thing/topo/#",
    "/sys/+/+/thing/sub/#",
    "/ext/session/+/+/combine/#",
    "/ota/device/inform/+/+",
    "/ota/device/progress/+/+",
};

/// Stores what `out` carries for device pk/dn, in one writer job.
void keep(broker_context& ctx, std::string pk, std::string dn, thing::uplink_outcome& out,
          std::uint64_t message_id, std::uint64_t now_ms) {
  bool anything = !out.values.empty() || out.event || !out.tags_set.empty() ||
                  !out.tags_deleted.empty() || out.ota || !out.desired_delete.empty() ||
                  !out.log.empty();
  if (!ctx.writer || !anything)
    return;
  std::vector<store::property_record> values;
  values.reserve(out.values.size());
  for (auto& v : out.values)
    values.push_back(store::property_record{std::move(v.identifier), std::move(v.value), v.time_ms,
                                            0, message_id});
  std::optional<store::event_record> event;
  if (out.event)
    event = store::event_record{std::move(out.event->identifier), std::move(out.event->type),
                                std::move(out.event->params), out.event->time_ms, message_id};
  ctx.writer->submit([pk = std::move(pk), dn = std::move(dn), values = std::move(values),
                      event = std::move(event), tags_set = std::move(out.tags_set),
                      tags_deleted = std::move(out.tags_deleted), ota = std::move(out.ota),
                      desired_delete = std::move(out.desired_delete), log = std::move(out.log),
                      now_ms](store::write_txn& t) -> expected<bool, store::error> {
    if (!store::get_device(t, pk, dn))
      return true;  // no such device (deleted meanwhile, or an application's fake topic)
    if (!values.empty())
      if (auto ok = store::put_properties(t, pk, dn, values, true); !ok)
        return ok;
    if (event)
      if (auto ok = store::append_event(t, pk, dn, *event); !ok)
        return ok;
    if (!tags_set.empty() || !tags_deleted.empty())
      if (auto ok = store::update_device_tags(t, pk, dn, tags_set, tags_deleted); !ok)
        return ok.error().code == store::errc::limit
                   ? store::append_log(t, pk, dn, store::log_kind::thing,
                                       "deviceinfo refused: " + ok.error().what, {}, now_ms)
                   : ok;
    if (ota) {
      auto cur = store::get_ota(t, pk, dn);
      store::ota_record r = cur ? std::move(*cur) : store::ota_record{};
      r.module = ota->module;
      if (ota->progress) {
        r.step = ota->step;
        r.desc = ota->desc;
        r.progress_ms = now_ms;
      } else {
        r.version = ota->version;
        r.reported_ms = now_ms;
      }
      if (auto ok = store::put_ota(t, pk, dn, r); !ok)
        return ok;
    }
    for (const auto& d : desired_delete)
      static_cast<void>(store::delete_desired(t, pk, dn, d.first, d.second));  // gone is fine
    if (!log.empty())
      return store::append_log(t, pk, dn, store::log_kind::thing, log, {}, now_ms);
    return true;
  });
}

/// Answers `thing.property.desired.get` from the store.
std::string desired_reply(broker_context& ctx, const std::string& pk, const std::string& dn,
                          const thing::uplink_outcome& out) {
  std::vector<thing::desired_value> values;
  if (ctx.registry)
    if (auto t = ctx.registry->read())
      if (auto got = store::get_desired(*t, pk, dn, *out.desired_get))
        for (auto& r : *got)
          values.push_back(
              thing::desired_value{std::move(r.identifier), std::move(r.value), r.version});
  return thing::desired_get_reply(out.id, values);
}

/// Answers `thing.config.get` with the product's configuration file and a
/// fresh signed link (docs/thing-model.md, "Remote configuration").
std::string config_reply(broker_context& ctx, const std::string& pk, const std::string& id) {
  std::optional<std::string> data;
  if (ctx.registry && !ctx.files_base.empty())
    if (auto t = ctx.registry->read())
      if (auto c = store::get_config(*t, pk)) {
        auto meta = thing::describe_config(c->content);
        data = thing::config_data_json(
            meta, thing::config_file_url(ctx.files_base, ctx.files_key, pk, meta.config_id,
                                         clock::wall_ms() / 1000 + thing::config_link_seconds));
      }
  return thing::config_get_reply(id, data);
}

/// Publishes a message the handler originates (replies, pushes).
void send(broker_context& ctx, std::string topic, std::string payload, mqtt::qos q,
          std::uint64_t id) {
  publisher from;
  from.key = thing_handler_key;
  dispatch(ctx, make_message(std::move(topic), std::move(payload), q, false, id, thing_handler_key),
           from);
}

/// An OTA inform against the upgrade the operator asked for: the device
/// runs another version (and the module matches): push the upgrade again;
/// it runs the target: say so in the device log (once per inform).
void ota_follow_up(broker_context& ctx, const std::string& pk, const std::string& dn,
                   const thing::ota_report& r) {
  if (r.progress || !ctx.registry)
    return;
  auto t = ctx.registry->read();
  if (!t)
    return;
  auto cur = store::get_ota(*t, pk, dn);
  if (!cur || cur->target_version.empty() ||
      (cur->target_module.empty() ? std::string_view("default")
                                  : std::string_view(cur->target_module)) != r.module)
    return;  // no upgrade asked for, or one of another module ("default" when unnamed)
  if (r.version == cur->target_version) {
    if (cur->version != r.version)
      ctx.device_log(pk, dn, store::log_kind::thing,
                     "OTA upgrade to " + r.version + " done (the device informed it)", {});
    return;
  }
  auto id = ctx.ids.next();
  send(ctx, thing::ota_upgrade_topic(pk, dn), thing::ota_upgrade_message(id, cur->target_data),
       mqtt::qos::at_least_once, id);
  ctx.device_log(pk, dn, store::log_kind::thing,
                 "OTA upgrade to " + cur->target_version + " pushed again (message " +
                     std::to_string(id) + "): the device informed " + r.version,
                 {});
}

/// Where the retention pass stands (the handler's; the writer thread reads
/// and writes it only inside its job, which runs before the completion
/// that sends the next `purge_atom`).
struct purge_state {
  store::table tb = store::table::history;
  std::string resume;
};

/// Submits one retention job; its completion asks for the next one (now,
/// when records are left, else after `purge_interval`).
void purge(thing_handler_actor::pointer self, broker_context& ctx,
           const std::shared_ptr<purge_state>& st) {
  if (!ctx.writer || ctx.cfg.thing_history_days == 0)
    return;
  auto cutoff = clock::wall_ms() - std::uint64_t{ctx.cfg.thing_history_days} * 86'400'000;
  auto more = std::make_shared<bool>(false);
  auto me = caf::actor_cast<thing_handler_actor>(self);
  ctx.writer->submit(
      [st, cutoff, more](store::write_txn& t) -> expected<bool, store::error> {
        auto r = store::purge_before(t, st->tb, cutoff, purge_batch, st->resume);
        if (!r)
          return unexpected{r.error()};
        st->resume = std::move(r->resume);
        if (st->resume.empty() && st->tb == store::table::history) {
          st->tb = store::table::events;  // history done: events next
          *more = true;
        } else {
          *more = !st->resume.empty();
          if (!*more)
            st->tb = store::table::history;
        }
        return true;
      },
      [me, more](bool committed) {
        if (committed && *more)
          caf::anon_send(me, purge_atom::value);
        else
          caf::delayed_anon_send(me, purge_interval, purge_atom::value);
      });
}

}  // namespace

thing_handler_actor::behavior_type thing_handler(thing_handler_actor::pointer self,
                                                 context_ptr ctx) {
  for (const char* f : filters)
    subscribe_internal(*ctx, caf::actor_cast<subscriber_actor>(self), thing_handler_key, f,
                       mqtt::qos::at_least_once);
  auto models = std::make_shared<model_cache>(*ctx);
  auto st = std::make_shared<purge_state>();
  self->send(self, purge_atom::value);  // a pass at start, then every purge_interval
  return {
      [self, ctx, st](purge_atom) { purge(self, *ctx, st); },
      [ctx, models](const deliver_msg& d) {
        const auto& m = d.msg;
        auto t = thing::map_topic(m->topic);
        if (!t)
          return;
        std::string pk(t->product_key);
        std::string dn(t->device_name);
        auto now_ms = clock::wall_ms();
        auto out = thing::handle_uplink(*t, m->payload, models->get(pk), now_ms);
        ctx->metrics.thing_requests.inc();
        if (out.code != thing::alink_code::success)
          ctx->metrics.thing_refused.inc();
        else if (!out.check_failed.empty())
          ctx->metrics.thing_tagged.inc();
        if (out.desired_get && !out.reply_topic.empty())
          out.reply = desired_reply(*ctx, pk, dn, out);
        if (out.config_get && !out.reply_topic.empty())
          out.reply = config_reply(*ctx, pk, out.id);
        if (!out.reply.empty())
          send(*ctx, std::move(out.reply_topic), std::move(out.reply),
               std::min(m->q, mqtt::qos::at_least_once), ctx->ids.next());
        if (out.ota)
          ota_follow_up(*ctx, pk, dn, *out.ota);
        if (!out.log.empty())
          IOTB_LOG_EVENT(info, "thing") << pk << "/" << dn << ": " << out.log;
        keep(*ctx, std::move(pk), std::move(dn), out, m->id, now_ms);
      },
  };
}

}  // namespace iotb::actors
