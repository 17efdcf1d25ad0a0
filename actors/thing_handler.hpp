#pragma once
/// @file
/// The thing-model handler (SPEC §4): an internal subscriber that answers
/// devices' Alink uplink — property posts (and history posts), event
/// posts, device tags, desired values, dynamicTsl, remote configuration
/// requests, OTA reports, and the refusal of gateway topics. The decisions
/// are broker/thing/uplink.hpp's (pure); this actor keeps the products'
/// models, stores what a post carries through the registry writer
/// (batched with every other job of its group) and publishes the reply.
///
/// Replies are published with the handler's own session key as origin,
/// so its subscriptions (no-local, like every internal one) never hand
/// them back to it. A product's model is read once and kept; it is read
/// again after an API import in this process (`thing_models` generation)
/// and at the latest `model_ttl` after a change by another process (CLI):
/// actors/model_cache.hpp.
///
/// Retention: every `purge_interval`, property history and events older
/// than `thing-history-days` are deleted in writer jobs of `purge_batch`
/// records (each job resumes where the last stopped, so the writer's other
/// work is never held up for long).

#include <chrono>
#include <cstdint>

#include <caf/typed_event_based_actor.hpp>

#include "actors/context.hpp"

namespace iotb::actors {

/// The handler's router key (internal subscribers: ntp +1, this +2).
inline constexpr std::uint64_t thing_handler_key = (std::uint64_t{1} << 63) + 2;

/// Between two retention passes (`thing-history-days`).
inline constexpr std::chrono::minutes purge_interval{60};
/// Records one retention job deletes (the rest follows in the next job).
inline constexpr std::size_t purge_batch = 10'000;

using purge_atom = caf::atom_constant<caf::atom("purge")>;

/// The handler's interface: deliveries, and `purge_atom` (to itself: a
/// retention pass of history and events older than `thing-history-days`).
using thing_handler_actor = subscriber_actor::extend<caf::reacts_to<purge_atom>>;

/// Spawns with `system.spawn(thing_handler, ctx)`; subscribes at once and
/// runs the first retention pass at once.
thing_handler_actor::behavior_type thing_handler(thing_handler_actor::pointer self,
                                                 context_ptr ctx);

}  // namespace iotb::actors
