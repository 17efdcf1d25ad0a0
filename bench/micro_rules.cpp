// The rules language (broker/rules/program.hpp) on a ~150-byte property
// payload: a filter rule (SELECT * … WHERE) and a projection with five
// functions, each per evaluation (payload parse, WHERE, output JSON), plus
// the shared-parse variant and compiling.

#include <benchmark/benchmark.h>

#include <string>

#include "broker/rules/program.hpp"

namespace {

using namespace iotb::rules;

const std::string& payload() {
  // 150 bytes: what a sensor's property post looks like.
  static const std::string p =
      R"({"temperature":38.6,"humidity":61,"pressure":1013.2,"battery":87,)"
      R"("name":"sensor-0042","status":"ok","location":{"lat":30.27,"lon":120.15}})";
  return p;
}

message_context context() {
  message_context m;
  m.topic = "/a1B2c3D4e5F/sensor-0042/user/update";
  m.payload = payload();
  m.client_id = "a1B2c3D4e5F.sensor-0042|securemode=2|";
  m.product_key = "a1B2c3D4e5F";
  m.device_name = "sensor-0042";
  m.message_id = 123456;
  m.qos = 1;
  m.timestamp_ms = 1700000000123;
  return m;
}

void run(benchmark::State& state, const char* sql) {
  auto p = program::compile(sql);
  if (!p) {
    state.SkipWithError(to_string(p.error()).c_str());
    return;
  }
  const auto m = context();
  for (auto _ : state) {
    auto r = p->evaluate(m);
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(payload().size()));
}

void BM_RulesFilterStar(benchmark::State& state) {
  static_assert(true);
  run(state, R"(SELECT * FROM "/+/+/user/update" WHERE temperature > 38)");
}
BENCHMARK(BM_RulesFilterStar);

void BM_RulesFilterStarNoMatch(benchmark::State& state) {
  run(state, R"(SELECT * FROM "/+/+/user/update" WHERE temperature > 40)");
}
BENCHMARK(BM_RulesFilterStarNoMatch);

void BM_RulesProjection5Functions(benchmark::State& state) {
  run(state, R"(SELECT deviceName() AS dn, upper(name) AS n, round(temperature, 1) AS t,)"
             R"( concat(productKey(), '/', status) AS k, timestamp() AS ts, location.lat AS lat)"
             R"( FROM "/+/+/user/update" WHERE humidity > 50 AND name LIKE 'sensor%')");
}
BENCHMARK(BM_RulesProjection5Functions);

void BM_RulesNoPayloadRead(benchmark::State& state) {
  run(state, R"(SELECT deviceName() AS dn, qos() AS q FROM "#" WHERE topic(3) = 'user')");
}
BENCHMARK(BM_RulesNoPayloadRead);

void BM_RulesSharedParseTenRules(benchmark::State& state) {
  // One parse shared by ten filter rules (what the rule actors may do).
  auto p = program::compile(R"(SELECT * FROM "/+/+/user/update" WHERE temperature > 38)");
  const auto m = context();
  for (auto _ : state) {
    parsed_payload shared(m.payload);
    for (int i = 0; i < 10; ++i) {
      auto r = p->evaluate(m, shared);
      benchmark::DoNotOptimize(r);
    }
  }
  state.SetItemsProcessed(state.iterations() * 10);
}
BENCHMARK(BM_RulesSharedParseTenRules);

void BM_RulesCompile(benchmark::State& state) {
  for (auto _ : state) {
    auto p = program::compile(
        R"(SELECT temperature AS t, deviceName() AS dn, timestamp() AS ts)"
        R"( FROM "/a1B2c3D4e5F/+/user/update" WHERE t > 38 AND dn LIKE 'sensor%')");
    benchmark::DoNotOptimize(p);
  }
}
BENCHMARK(BM_RulesCompile);

}  // namespace
