#include "actors/device_calls.hpp"

#include <algorithm>

#include <caf/typed_event_based_actor.hpp>

#include "actors/dispatch.hpp"
#include "broker/log/log.hpp"

namespace iotb::actors {

namespace {

/// The answers the actor consumes (see device_calls.hpp).
constexpr const char* answer_filters[] = {
    "/sys/+/+/rrpc/response/+",
    "/sys/+/+/thing/service/+",
    "/sys/+/+/thing/service/property/set_reply",
    "/ext/rrpc/#",
};

class device_calls_impl : public calls_actor::base, private call_env {
 public:
  device_calls_impl(caf::actor_config& cfg, context_ptr ctx, call_config calls)
      : calls_actor::base(cfg),
        ctx_(std::move(ctx)),
        book_(std::make_unique<call_book>(static_cast<call_env&>(*this), std::move(calls),
                                          device_calls_key)) {}

  ~device_calls_impl() override = default;

  behavior_type make_behavior() override {
    auto me = caf::actor_cast<subscriber_actor>(this);
    for (std::size_t i = 0; i < std::size(answer_filters); ++i)
      subscribe_internal(*ctx_, me, device_calls_key, answer_filters[i], mqtt::qos::at_most_once);
    return {
        [this](const deliver_msg& d) { book_->on_message(*d.msg); },
        [this](const call_msg& c) { book_->start(std::move(*c.req)); },
        [this](const call_timeout_msg& t) { book_->on_timeout(t.id); },
    };
  }

  void on_exit() override {
    // Pending calls end UNKNOWN now, while the context is still there.
    book_.reset();
  }

  [[nodiscard]] const char* name() const override { return "device_calls"; }

 private:
  // -- call_env --------------------------------------------------------------
  device_presence presence(const std::string& pk, const std::string& dn) override {
    device_presence p;
    for (const auto& s : ctx_->directory.device_sessions(pk, dn)) {
      p.sessions.push_back(s.key);
      p.ext_rrpc = p.ext_rrpc || s.ext_rrpc;
    }
    return p;
  }

  bool subscribed(const std::string& topic, const std::vector<std::uint64_t>& sessions) override {
    bool found = false;
    ctx_->subs.match(topic, [&](const sub_entry& e) {
      if (!found && std::find(sessions.begin(), sessions.end(), e.session) != sessions.end())
        found = true;
    });
    return found;
  }

  void publish(std::string topic, std::string payload, std::uint64_t id) override {
    publisher from;
    from.key = device_calls_key;
    // QoS 0, as the platform sends calls: a call that is lost times out.
    dispatch(*ctx_,
             make_message(std::move(topic), std::move(payload), mqtt::qos::at_most_once, false, id,
                          device_calls_key),
             from);
  }

  void arm(std::uint64_t id, std::chrono::milliseconds after) override {
    delayed_send(caf::actor_cast<calls_actor>(this), after, call_timeout_msg{id});
  }

  void device_log(const std::string& pk, const std::string& dn, std::string text) override {
    IOTB_LOG_EVENT(info, "calls") << pk << "/" << dn << ": " << text;
    ctx_->device_log(pk, dn, store::log_kind::call, std::move(text), {});
  }

  std::uint64_t next_id() override { return ctx_->ids.next(); }

  void ended(call_kind k, call_status s) override { ctx_->metrics.call_ended(k, s); }

  void answer_dropped(thing::answer_drop why) override { ctx_->metrics.call_answer_dropped(why); }

  context_ptr ctx_;
  std::unique_ptr<call_book> book_;  // after ctx_: destroyed first
};

}  // namespace

calls_actor spawn_device_calls(caf::actor_system& sys, context_ptr ctx, call_config cfg) {
  return sys.spawn<device_calls_impl>(std::move(ctx), std::move(cfg));
}

}  // namespace iotb::actors
