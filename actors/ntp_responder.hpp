#pragma once
/// @file
/// The NTP responder (SPEC §3): an internal subscriber to
/// `/ext/ntp/+/+/request` that answers on `/ext/ntp/${pk}/${dn}/response`
/// with the device's send time and the server's receive and send times.

#include <caf/typed_event_based_actor.hpp>

#include "actors/context.hpp"

namespace iotb::actors {

/// The actor's behaviour; it subscribes itself when spawned.
subscriber_actor::behavior_type ntp_responder(subscriber_actor::pointer self, context_ptr ctx);

}  // namespace iotb::actors
