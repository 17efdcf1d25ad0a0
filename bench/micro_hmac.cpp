// Micro-benchmarks of the signing code on the CONNECT path: the allocation-
// free HMAC verify per sign method for a realistic signed content (~60
// bytes, the 3.2 SDK's), the allocating hex form for comparison, and
// parsing the 3.2 SDK's client id.

#include <benchmark/benchmark.h>

#include <string>

#include "broker/auth/sign.hpp"
#include "broker/tls/hmac.hpp"

namespace {

using namespace iotb;

const std::string secret = "0123456789abcdef0123456789abcdef";  // 32 chars, like DeviceSecret

const std::string& content() {
  static const std::string c = auth::device_sign_content(
      "a1B2c3D4e5F.dev-0001", "dev-0001", "a1B2c3D4e5F", std::string("2524608000000"));
  return c;
}

void BM_HmacVerifyPassword(benchmark::State& state, tls::sign_method m) {
  // Uppercase, as the SDKs send it.
  auto password = auth::device_password(m, secret, content());
  for (auto& c : password)
    c = static_cast<char>(c >= 'a' && c <= 'f' ? c - 32 : c);
  for (auto _ : state) {
    bool ok = auth::verify_device_password(m, secret, content(), password);
    benchmark::DoNotOptimize(ok);
  }
  state.SetLabel(std::to_string(content().size()) + " B content");
}
BENCHMARK_CAPTURE(BM_HmacVerifyPassword, hmacmd5, tls::sign_method::hmacmd5);
BENCHMARK_CAPTURE(BM_HmacVerifyPassword, hmacsha1, tls::sign_method::hmacsha1);
BENCHMARK_CAPTURE(BM_HmacVerifyPassword, hmacsha256, tls::sign_method::hmacsha256);

void BM_HmacHex(benchmark::State& state, tls::sign_method m) {
  for (auto _ : state)
    benchmark::DoNotOptimize(tls::hmac_hex(m, secret, content()));
}
BENCHMARK_CAPTURE(BM_HmacHex, hmacsha256, tls::sign_method::hmacsha256);

void BM_SignParseClientIdSdk32(benchmark::State& state) {
  const std::string id =
      "a1B2c3D4e5F.dev-0001|timestamp=2524608000000,_v=sdk-c-3.2.0,securemode=3,"
      "signmethod=hmacsha256,lan=C,_ss=1,gw=0,ext=0|";
  for (auto _ : state) {
    auto r = auth::parse_client_id(id);
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_SignParseClientIdSdk32);

}  // namespace
