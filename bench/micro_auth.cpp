// Micro-benchmarks of device access: HMAC verify per sign method, client-id
// parsing, the topic ACL, and a whole signed-CONNECT authentication against
// a real LMDB registry (temporary directory).

#include <benchmark/benchmark.h>

#include <filesystem>

#include "broker/acl/device_acl.hpp"
#include "broker/auth/registry_auth.hpp"
#include "broker/auth/sign.hpp"
#include "broker/store/registry.hpp"

namespace {

using namespace iotb;

const std::string content =
    auth::device_sign_content("a1B2c3D4e5F.dev-0001", "dev-0001", "a1B2c3D4e5F",
                              std::string("2524608000000"));

void BM_HmacVerify(benchmark::State& state) {
  auto m = static_cast<tls::sign_method>(state.range(0));
  auto password = tls::hmac_hex(m, "0123456789abcdef0123456789abcdef", content);
  for (auto _ : state)
    benchmark::DoNotOptimize(
        tls::hmac_verify(m, "0123456789abcdef0123456789abcdef", content, password));
  state.SetLabel(std::string(tls::to_string(m)));
}
BENCHMARK(BM_HmacVerify)->Arg(0)->Arg(1)->Arg(2);

void BM_ParseClientIdSdk32(benchmark::State& state) {
  const std::string id =
      "a1B2c3D4e5F.dev-0001|timestamp=2524608000000,_v=sdk-c-3.2.0,securemode=3,"
      "signmethod=hmacsha256,lan=C,_ss=1,gw=0,ext=0|";
  for (auto _ : state)
    benchmark::DoNotOptimize(auth::parse_client_id(id));
}
BENCHMARK(BM_ParseClientIdSdk32);

void BM_AclDevicePublish(benchmark::State& state) {
  std::vector<acl::topic_category> cats = {{"telemetry", true, false}};
  acl::device_scope d{"a1B2c3D4e5F", "dev-0001", cats, false};
  const std::string topic = state.range(0) == 0
                                ? "/sys/a1B2c3D4e5F/dev-0001/thing/event/property/post"
                                : "/a1B2c3D4e5F/dev-0001/user/telemetry";
  for (auto _ : state)
    benchmark::DoNotOptimize(acl::device_can_publish(d, topic));
  state.SetLabel(state.range(0) == 0 ? "thing model" : "custom");
}
BENCHMARK(BM_AclDevicePublish)->Arg(0)->Arg(1);

/// The broker's whole CONNECT decision: parse, registry lookup (LMDB read
/// transaction, FlatBuffers verify and decode), HMAC-SHA256 verify.
void BM_SignedConnectAuthentication(benchmark::State& state) {
  auto dir = std::filesystem::temp_directory_path() / "iotb-bench-auth";
  std::filesystem::remove_all(dir);
  auto env = store::env::open(dir.string(), {std::size_t{256} << 20, false});
  if (!env) {
    state.SkipWithError(env.error().what.c_str());
    return;
  }
  std::string pk, secret;
  {
    auto t = (*env)->write();
    store::product_spec s;
    s.name = "bench_product";
    auto p = store::create_product(*t, s);
    auto d = store::create_device(*t, p->product_key, "dev-0001");
    pk = p->product_key;
    secret = d->device_secret;
    (void)t->commit();
  }
  auth::registry_authenticator authn(*env, {});
  mqtt::connect c;
  c.client_id = pk + ".dev-0001|securemode=3,signmethod=hmacsha256,timestamp=2524608000000|";
  c.username = "dev-0001&" + pk;
  auto pw = tls::hmac_hex(tls::sign_method::hmacsha256, secret,
                          auth::device_sign_content(pk + ".dev-0001", "dev-0001", pk,
                                                    std::string("2524608000000")));
  c.password = pw;
  c.keep_alive = 60;
  std::string peer = "127.0.0.1:5000";
  for (auto _ : state) {
    auto r = authn.authenticate({c, peer, false, false});
    if (r.code != mqtt::reason::success)
      state.SkipWithError(r.why.c_str());
    benchmark::DoNotOptimize(r);
  }
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_SignedConnectAuthentication);

}  // namespace
