// Micro-benchmark of a whole signed-CONNECT authentication against a real
// LMDB registry (temporary directory). HMAC and client-id parsing are in
// micro_hmac.cpp, the topic ACL in micro_acl.cpp.

#include <benchmark/benchmark.h>

#include <filesystem>

#include "broker/auth/registry_auth.hpp"
#include "broker/auth/sign.hpp"
#include "broker/store/registry.hpp"

namespace {

using namespace iotb;

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
  auto pw = tls::hmac_hex(
      tls::sign_method::hmacsha256, secret,
      auth::device_sign_content(pk + ".dev-0001", "dev-0001", pk, std::string("2524608000000")));
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
