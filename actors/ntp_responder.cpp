#include "actors/ntp_responder.hpp"

#include "actors/dispatch.hpp"
#include "actors/messages.hpp"
#include "broker/core/device_topics.hpp"
#include "broker/log/log.hpp"

namespace iotb::actors {

namespace {
constexpr std::uint64_t ntp_key = internal_key_base + 1;
}  // namespace

caf::behavior ntp_responder(caf::event_based_actor* self, context_ptr ctx) {
  subscribe_internal(*ctx, caf::actor_cast<caf::actor>(self), ntp_key, "/ext/ntp/+/+/request",
                     mqtt::qos::at_most_once);
  return {
      [ctx](deliver_atom, const message_ptr& m, std::uint8_t, bool, std::uint32_t, std::uint64_t) {
        auto recv = store::now_ms();
        auto dev = core::ntp_request_device(m->topic);
        if (!dev)
          return;
        auto answer = core::ntp_response(m->payload, recv, store::now_ms());
        if (!answer) {
          IOTB_LOG(info, "ntp") << dev->first << "/" << dev->second
                                << " sent an NTP request without deviceSendTime: ignored";
          return;
        }
        dispatch(*ctx,
                 make_message(core::ntp_response_topic(dev->first, dev->second), std::move(*answer),
                              mqtt::qos::at_most_once, false, ctx->ids.next(), 0),
                 {});
      },
  };
}

}  // namespace iotb::actors
