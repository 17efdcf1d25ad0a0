// Topic authorization (broker/acl/device_acl.hpp) on the PUBLISH path: a
// thing-model and a custom device topic (allowed), a refused topic of
// another device, and two subscriptions (SUBSCRIBE path: rarer).

#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "broker/acl/device_acl.hpp"

namespace {

using namespace iotb;

const std::vector<acl::topic_category>& categories() {
  // A product with a realistic handful of custom categories; the matching
  // one last.
  static const std::vector<acl::topic_category> cats = {{"alarm", true, false},
                                                        {"config/+", false, true},
                                                        {"cmd/#", false, true},
                                                        {"status", true, true},
                                                        {"telemetry", true, false}};
  return cats;
}

acl::device_scope scope() {
  return {"a1B2c3D4e5F", "dev-0001", categories(), false};
}

void BM_AclPublishThingModel(benchmark::State& state) {
  const auto d = scope();
  const std::string topic = "/sys/a1B2c3D4e5F/dev-0001/thing/event/property/post";
  for (auto _ : state)
    benchmark::DoNotOptimize(acl::device_can_publish(d, topic));
}
BENCHMARK(BM_AclPublishThingModel);

void BM_AclPublishCustom(benchmark::State& state) {
  const auto d = scope();
  const std::string topic = "/a1B2c3D4e5F/dev-0001/user/telemetry";
  for (auto _ : state)
    benchmark::DoNotOptimize(acl::device_can_publish(d, topic));
}
BENCHMARK(BM_AclPublishCustom);

void BM_AclPublishServiceReply(benchmark::State& state) {
  const auto d = scope();
  const std::string topic = "/sys/a1B2c3D4e5F/dev-0001/thing/service/reboot_reply";
  for (auto _ : state)
    benchmark::DoNotOptimize(acl::device_can_publish(d, topic));
}
BENCHMARK(BM_AclPublishServiceReply);

void BM_AclPublishRefusedOtherDevice(benchmark::State& state) {
  const auto d = scope();
  const std::string topic = "/sys/a1B2c3D4e5F/dev-0002/thing/event/property/post";
  for (auto _ : state)
    benchmark::DoNotOptimize(acl::device_can_publish(d, topic));
}
BENCHMARK(BM_AclPublishRefusedOtherDevice);

void BM_AclSubscribeWildcard(benchmark::State& state) {
  const auto d = scope();
  const std::string filter = "/sys/a1B2c3D4e5F/dev-0001/thing/event/+/post_reply";
  for (auto _ : state)
    benchmark::DoNotOptimize(acl::device_can_subscribe(d, filter));
}
BENCHMARK(BM_AclSubscribeWildcard);

void BM_AclAppSubscribeShared(benchmark::State& state) {
  const std::vector<std::string> products = {"b1B2c3D4e5F", "a1B2c3D4e5F"};
  const acl::app_scope a{products};
  const std::string filter = "$share/g1//sys/a1B2c3D4e5F/+/thing/event/+/post";
  for (auto _ : state)
    benchmark::DoNotOptimize(acl::app_can_subscribe(a, filter));
}
BENCHMARK(BM_AclAppSubscribeShared);

}  // namespace
