#pragma once
/// @file
/// Device shadows (SPEC §5) as actors: one actor per device, created on
/// first use and stopped when idle, around the pure state machine of
/// broker/thing/shadow.hpp. Documented in docs/thing-model.md ("Device
/// shadow") and docs/api.md.
///
/// The **shadow service** (one actor, internal subscriber key
/// `shadow_service_key`) subscribes to `/shadow/update/+/+` (device
/// requests) and `/as/mqtt/status/+/+` (devices coming online), takes the
/// admin API's `shadow_msg`s, and hands each request to the device's
/// **shadow actor**, spawning it when there is none (not linked: the
/// service stops the ones alive when it ends). A device
/// coming online gets an actor only when its stored shadow has desired
/// attributes (for its `control`), so a connection storm spawns nothing.
///
/// A **shadow actor** owns one document: it reads it from LMDB when it
/// starts, answers requests in arrival order, writes every change through
/// the store writer and answers (the device's reply on
/// `/shadow/get/${pk}/${dn}`, the API's HTTP answer, a `control` push)
/// only after that write committed — an answer never reports a state that
/// a crash could lose. Requests that arrive while a write is in flight are
/// decided at once on the new document and answered in order after it. A
/// device's requests are rate limited (`--shadow-rate`, 20/s: error 429).
///
/// Idle stop: an actor that took no request for `--shadow-idle-seconds`
/// (checked every half of it) and waits for no write asks the service to
/// stop it, naming how many requests it handled; the service stops it only if
/// it sent it no more than that (so no request is ever lost in a stopping
/// actor's mailbox) and forgets it. The document stays in LMDB.
///
/// Thread-safety: the service and each shadow actor own their state;
/// writer completions come back as messages.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <caf/typed_event_based_actor.hpp>

#include "actors/context.hpp"
#include "actors/dispatch.hpp"

namespace iotb::admin {
class server;
}  // namespace iotb::admin

namespace iotb::actors {

struct admin_quotas;

/// The service's router key (internal subscribers: ntp +1, thing +2, this
/// +3, courier +4, calls +10); replies and pushes carry it as origin.
inline constexpr std::uint64_t shadow_service_key = internal_key_base + 3;

/// What a shadow request is.
enum class shadow_op : std::uint8_t {
  device,  ///< a device's PUBLISH on `/shadow/update/${pk}/${dn}` (`msg`)
  get,     ///< admin API `GET …/shadow`
  patch,   ///< admin API `PATCH …/shadow` (`payload`: the body)
  online,  ///< the device came online: push `control` when desired is pending
};

/// One request to a device's shadow.
struct shadow_request {
  shadow_op op = shadow_op::get;
  std::string product_key;
  std::string device_name;
  std::string payload;  ///< patch: the body
  /// device: the PUBLISH itself (shared, not copied).
  message_ptr msg;

  /// The request's text: the device's payload or the API's body.
  [[nodiscard]] std::string_view body() const noexcept {
    return msg ? std::string_view(msg->payload) : std::string_view(payload);
  }
  /// Device requests: the request's QoS (the reply's, at most 1).
  mqtt::qos q = mqtt::qos::at_most_once;
  /// API requests: called once, on the shadow actor's thread, with the
  /// HTTP status and JSON body.
  std::function<void(unsigned status, std::string body)> done;
};

struct shadow_msg {
  std::shared_ptr<const shadow_request> req;
};

using shadow_idle_atom = caf::atom_constant<caf::atom("shidle")>;
using shadow_stop_atom = caf::atom_constant<caf::atom("shstop")>;
using shadow_tick_atom = caf::atom_constant<caf::atom("shtick")>;
using shadow_commit_atom = caf::atom_constant<caf::atom("shcommit")>;
using shadow_push_atom = caf::atom_constant<caf::atom("shpush")>;

/// The service: deliveries, API requests, and `(shadow_idle_atom, "pk/dn",
/// handled)` from a device's actor.
using shadow_service_actor =
    subscriber_actor::extend<caf::reacts_to<shadow_msg>,
                             caf::reacts_to<shadow_idle_atom, std::string, std::uint64_t>>;

/// One device's shadow: requests, and to itself the idle check, a
/// write's completion (committed or not) and a `control` push attempt.
using shadow_actor =
    caf::typed_actor<caf::reacts_to<shadow_msg>, caf::reacts_to<shadow_tick_atom>,
                     caf::reacts_to<shadow_stop_atom>, caf::reacts_to<shadow_commit_atom, bool>,
                     caf::reacts_to<shadow_push_atom, std::int32_t>>;

/// Spawns with `system.spawn(shadow_service, ctx)`; subscribes at once.
shadow_service_actor::behavior_type shadow_service(shadow_service_actor::pointer self,
                                                   context_ptr ctx);

/// Spawns device pk/dn's shadow actor for the service `parent`
/// (shadow_device.cpp).
[[nodiscard]] shadow_actor spawn_shadow_device(shadow_service_actor::pointer parent,
                                               context_ptr ctx, std::string pk, std::string dn);

/// The admin routes `GET/PATCH /api/v1/products/{pk}/devices/{dn}/shadow`
/// (admin_shadow.cpp). A PATCH takes one token of the device's downlink
/// quota (it may push `control`).
void add_shadow_routes(admin::server& srv, const context_ptr& ctx,
                       const shadow_service_actor& shadows,
                       const std::shared_ptr<admin_quotas>& quotas);

}  // namespace iotb::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(iotb::actors::shadow_msg)
