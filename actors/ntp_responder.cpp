#include "actors/ntp_responder.hpp"

#include "actors/dispatch.hpp"
#include "actors/messages.hpp"
#include "broker/core/device_topics.hpp"
#include "broker/log/log.hpp"
#include "broker/util/clock.hpp"

namespace iotb::actors {

namespace {
constexpr std::uint64_t ntp_key = internal_key_base + 1;
}  // namespace

subscriber_actor::behavior_type ntp_responder(subscriber_actor::pointer self, context_ptr ctx) {
  subscribe_internal(*ctx, caf::actor_cast<subscriber_actor>(self), ntp_key, "/ext/ntp/+/+/request",
                     mqtt::qos::at_most_once);
  return {
      [ctx](const deliver_msg& d) {
        const auto& m = d.msg;
        auto recv = clock::wall_ms();
        auto dev = core::ntp_request_device(m->topic);
        if (!dev)
          return;
        auto answer = core::ntp_response(m->payload, recv, clock::wall_ms());
        if (!answer) {
          IOTB_LOG_EVENT(info, "ntp") << dev->first << "/" << dev->second
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
