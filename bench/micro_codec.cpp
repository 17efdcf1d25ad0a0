// Micro-benchmarks of the MQTT codec's hot path: PUBLISH decode and encode.
#include <benchmark/benchmark.h>

#include <string>

#include "broker/mqtt/codec.hpp"

using namespace iotb::mqtt;

namespace {

buffer encoded_publish(version v, std::size_t payload, qos q) {
  publish p;
  p.topic = "/a1B2c3D4e5F/device-0001/user/update";
  p.payload.assign(payload, 'x');
  p.q = q;
  p.packet_id = q == qos::at_most_once ? 0 : 42;
  if (v == version::v5)
    p.props.user_properties.emplace_back("k", "v");
  buffer out;
  encode(p, v, out);
  return out;
}

void decode_publish_bench(benchmark::State& state, version v, qos q) {
  auto bytes = encoded_publish(v, static_cast<std::size_t>(state.range(0)), q);
  for (auto _ : state) {
    auto f = next_frame(bytes, 1 << 20);
    auto p = decode_packet(f->header, f->body, v);
    benchmark::DoNotOptimize(p);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes.size()));
}

void encode_publish_view_bench(benchmark::State& state, version v) {
  std::string topic = "/a1B2c3D4e5F/device-0001/user/update";
  std::string payload(static_cast<std::size_t>(state.range(0)), 'x');
  publish_properties props;
  buffer out;
  out.reserve(1 << 16);
  for (auto _ : state) {
    out.clear();
    publish_view pv;
    pv.topic = topic;
    pv.payload = payload;
    pv.q = qos::at_least_once;
    pv.packet_id = 7;
    pv.props = &props;
    // Header only: the broker references the payload from the shared message.
    encode(pv, v, out, false);
    benchmark::DoNotOptimize(out.data());
  }
}

}  // namespace

BENCHMARK_CAPTURE(decode_publish_bench, v311_qos0, version::v311, qos::at_most_once)
    ->Arg(64)
    ->Arg(1024)
    ->Arg(16384);
BENCHMARK_CAPTURE(decode_publish_bench, v5_qos1, version::v5, qos::at_least_once)
    ->Arg(64)
    ->Arg(1024)
    ->Arg(16384);
BENCHMARK_CAPTURE(encode_publish_view_bench, v311, version::v311)->Arg(64)->Arg(1024);
BENCHMARK_CAPTURE(encode_publish_view_bench, v5, version::v5)->Arg(64)->Arg(1024);
