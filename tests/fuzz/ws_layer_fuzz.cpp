// libFuzzer target for MQTT over WebSocket: the server's WebSocket layer
// (upgrade request, then client frames) feeding the MQTT framing layer, as
// socket_transport stacks them. The input is split into reads at the
// positions its first byte suggests, so requests and frames straddle reads.
// Checks: no crash, no sanitizer report, and the layer's contract — after
// `failed` or `closed` it decodes nothing more; output is bounded.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "broker/net/mqtt_framing.hpp"
#include "broker/net/ws_layer.hpp"

namespace {

[[noreturn]] void fail(const char* why) {
  std::fprintf(stderr, "ws_layer_fuzz: %s\n", why);
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0)
    return 0;
  std::size_t step = 1 + data[0] % 97;
  ++data;
  --size;
  iotb::net::ws_layer::options o;
  o.max_frame = 4096;
  iotb::net::ws_layer ws(o);
  iotb::net::mqtt_framing framing(4096, 1024);
  std::vector<std::uint8_t> up;
  bool ended = false;
  for (std::size_t off = 0; off < size; off += step) {
    up.clear();
    auto st = ws.decode({data + off, std::min(step, size - off)}, up);
    if (ended && !up.empty())
      fail("decoded after the end");
    if (st != iotb::net::layer_status::ok)
      ended = true;
    iotb::net::framing_output out;
    framing.feed(up, out);
    if (out.connect && out.connect->connect)
      framing.resume();
    if (ws.output().size() > 2 * size + 1024)
      fail("unbounded output");
    ws.consume_output(ws.output().size());
  }
  // Encoding after the end must not produce frames.
  std::uint8_t b = 0;
  iovec v{&b, 1};
  auto st = ws.encode(&v, 1);
  if (ended && st == iotb::net::layer_status::ok)
    fail("encoded after the end");
  return 0;
}
