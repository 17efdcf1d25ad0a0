// The load generator's client-side WebSocket layer: against the broker's
// own server layer (net::ws_layer, both socket-free) with bytes split at
// every boundary, and against hand-made server answers and frames.

#include "tools/loadgen/ws_client.hpp"

#include <gtest/gtest.h>

#include <numeric>
#include <string>

#include "broker/net/ws_layer.hpp"
#include "broker/tls/digest.hpp"

namespace iotb::loadgen {
namespace {

using bytes = std::vector<std::uint8_t>;
using net::layer_status;

bytes as_bytes(std::string_view s) {
  return {s.begin(), s.end()};
}

bytes take_output(net::stream_layer& l) {
  auto o = l.output();
  bytes b(o.begin(), o.end());
  l.consume_output(o.size());
  return b;
}

layer_status encode(net::stream_layer& l, const bytes& data) {
  iovec v{const_cast<std::uint8_t*>(data.data()), data.size()};
  return l.encode(&v, 1);
}

/// Feeds `data` to `l` in pieces of `step` bytes; appends what comes up.
layer_status feed(net::stream_layer& l, const bytes& data, bytes& up, std::size_t step) {
  for (std::size_t i = 0; i < data.size(); i += step) {
    auto n = std::min(step, data.size() - i);
    auto st = l.decode({data.data() + i, n}, up);
    if (st != layer_status::ok)
      return st;
  }
  return layer_status::ok;
}

bytes pattern(std::size_t n) {
  bytes b(n);
  std::iota(b.begin(), b.end(), std::uint8_t{7});
  return b;
}

/// A 101 answer to `key` with `protocol`.
std::string answer(const std::string& key, std::string_view protocol = "mqtt") {
  return "HTTP/1.1 101 Switching Protocols\r\nupgrade: WebSocket\r\nConnection: keep-alive, "
         "Upgrade\r\nSec-WebSocket-Accept: " +
         tls::websocket_accept(key) + "\r\nSec-WebSocket-Protocol: " + std::string(protocol) +
         "\r\n\r\n";
}

/// A client layer that the server accepted.
ws_client_layer open_client() {
  ws_client_layer c({});
  (void)take_output(c);
  bytes up;
  EXPECT_EQ(c.decode(as_bytes(answer(c.key())), up), layer_status::ok);
  EXPECT_TRUE(c.established());
  return c;
}

TEST(WsClient, TalksToTheBrokersServerLayerWithBytesSplitAnywhere) {
  for (std::size_t step : {1u, 2u, 3u, 7u, 64u, 100000u}) {
    ws_client_layer c({});
    net::ws_layer s({});
    // Data given before the upgrade completes waits for the 101.
    auto early = pattern(300);
    ASSERT_EQ(encode(c, early), layer_status::ok);
    bytes at_server;
    ASSERT_EQ(feed(s, take_output(c), at_server, step), layer_status::ok) << s.error();
    ASSERT_TRUE(s.established());
    EXPECT_TRUE(at_server.empty());  // only the request went out
    bytes at_client;
    ASSERT_EQ(feed(c, take_output(s), at_client, step), layer_status::ok) << c.error();
    ASSERT_TRUE(c.established());
    // Now the early data goes out as a masked frame, then one more.
    auto more = pattern(70000);  // a 64-bit length field
    ASSERT_EQ(encode(c, more), layer_status::ok);
    ASSERT_EQ(feed(s, take_output(c), at_server, step), layer_status::ok) << s.error();
    bytes want = early;
    want.insert(want.end(), more.begin(), more.end());
    EXPECT_EQ(at_server, want) << "step " << step;
    // Server to client: several frames, read in pieces.
    for (std::size_t n : {1u, 125u, 126u, 65535u, 65536u}) {
      auto data = pattern(n);
      iovec v{data.data(), data.size()};
      ASSERT_EQ(s.encode(&v, 1), layer_status::ok);
      at_client.clear();
      ASSERT_EQ(feed(c, take_output(s), at_client, step), layer_status::ok) << c.error();
      EXPECT_EQ(at_client, data) << "n " << n << " step " << step;
    }
  }
}

TEST(WsClient, RequestNamesPathHostKeyAndSubprotocol) {
  ws_client_layer::options o;
  o.host = "127.0.0.1:8083";
  o.path = "/other";
  ws_client_layer c(o);
  auto req = take_output(c);
  std::string text(req.begin(), req.end());
  EXPECT_EQ(text.rfind("GET /other HTTP/1.1\r\n", 0), 0u) << text;
  EXPECT_NE(text.find("Host: 127.0.0.1:8083\r\n"), std::string::npos);
  EXPECT_NE(text.find("Sec-WebSocket-Key: " + c.key() + "\r\n"), std::string::npos);
  EXPECT_NE(text.find("Sec-WebSocket-Version: 13\r\n"), std::string::npos);
  EXPECT_NE(text.find("Sec-WebSocket-Protocol: mqtt\r\n"), std::string::npos);
  EXPECT_EQ(tls::base64_decode(c.key())->size(), 16u);
  EXPECT_NE(ws_client_layer({}).key(), c.key());
}

TEST(WsClient, OneFramePerEncodeMaskedAndSplitOnlyAboveTheCap) {
  ws_client_layer::options o;
  o.max_frame_out = 1000;
  ws_client_layer c(o);
  (void)take_output(c);
  bytes up;
  ASSERT_EQ(c.decode(as_bytes(answer(c.key())), up), layer_status::ok);
  auto data = pattern(2500);
  ASSERT_EQ(encode(c, data), layer_status::ok);
  auto out = take_output(c);
  // Three frames: 1000 + 1000 + 500, each FIN binary, masked, 16-bit length.
  std::size_t pos = 0;
  bytes unmasked;
  for (std::size_t want : {1000u, 1000u, 500u}) {
    ASSERT_LT(pos + 8, out.size());
    EXPECT_EQ(out[pos], 0x82);
    EXPECT_EQ(out[pos + 1], 0x80 | 126);
    EXPECT_EQ((std::size_t{out[pos + 2]} << 8 | out[pos + 3]), want);
    const std::uint8_t* mask = &out[pos + 4];
    for (std::size_t i = 0; i < want; ++i)
      unmasked.push_back(out[pos + 8 + i] ^ mask[i & 3]);
    pos += 8 + want;
  }
  EXPECT_EQ(pos, out.size());
  EXPECT_EQ(unmasked, data);
}

TEST(WsClient, MasksEightBytesAtATimeLikeByteByByte) {
  auto data = pattern(37);  // not a multiple of 8
  std::uint8_t mask[4] = {0xA1, 0x02, 0xFF, 0x5C};
  bytes out;
  ws_client_layer::put_frame(out, ws_client_layer::op_binary, data, mask);
  ASSERT_EQ(out.size(), 2 + 4 + data.size());
  EXPECT_EQ(out[1], 0x80 | 37);
  for (std::size_t i = 0; i < data.size(); ++i)
    EXPECT_EQ(out[6 + i], data[i] ^ mask[i & 3]) << i;
}

TEST(WsClient, FragmentedServerMessageAndPingInBetween) {
  auto c = open_client();
  bytes in;
  bytes a = pattern(10), b = pattern(5);
  ws_client_layer::put_frame(in, ws_client_layer::op_binary, a, nullptr);
  in[0] &= 0x7F;  // not FIN: continues
  bytes ping_payload{'h', 'i'};
  ws_client_layer::put_frame(in, ws_client_layer::op_ping, ping_payload, nullptr);
  ws_client_layer::put_frame(in, ws_client_layer::op_continuation, b, nullptr);
  bytes up;
  ASSERT_EQ(feed(c, in, up, 3), layer_status::ok) << c.error();
  bytes want = a;
  want.insert(want.end(), b.begin(), b.end());
  EXPECT_EQ(up, want);
  // The ping is answered with a masked pong carrying its payload.
  auto pong = take_output(c);
  ASSERT_EQ(pong.size(), 2u + 4u + 2u);
  EXPECT_EQ(pong[0], 0x80 | ws_client_layer::op_pong);
  EXPECT_EQ(pong[1], 0x80 | 2);
  EXPECT_EQ(pong[6] ^ pong[2], 'h');
  EXPECT_EQ(pong[7] ^ pong[3], 'i');
}

TEST(WsClient, DataBeforeACloseComesUpThenTheCloseIsEchoed) {
  auto c = open_client();
  bytes in;
  auto data = pattern(4);
  ws_client_layer::put_frame(in, ws_client_layer::op_binary, data, nullptr);
  bytes code{0x03, 0xF1};  // 1009
  ws_client_layer::put_frame(in, ws_client_layer::op_close, code, nullptr);
  bytes up;
  EXPECT_EQ(c.decode(in, up), layer_status::closed);
  EXPECT_EQ(up, data);
  EXPECT_NE(c.error().find("1009"), std::string_view::npos) << c.error();
  auto echo = take_output(c);
  ASSERT_EQ(echo.size(), 2u + 4u + 2u);
  EXPECT_EQ(echo[0], 0x80 | ws_client_layer::op_close);
  EXPECT_EQ(echo[6] ^ echo[2], 0x03);
  EXPECT_EQ(echo[7] ^ echo[3], 0xF1);
  EXPECT_EQ(encode(c, data), layer_status::closed);
}

TEST(WsClient, ShutdownSendsANormalClose) {
  auto c = open_client();
  c.shutdown();
  auto out = take_output(c);
  ASSERT_EQ(out.size(), 8u);
  EXPECT_EQ(out[0], 0x88);
  EXPECT_EQ(out[6] ^ out[2], 0x03);
  EXPECT_EQ(out[7] ^ out[3], 0xE8);
}

struct bad_frame {
  const char* name;
  bytes frame;
  const char* why;
};

TEST(WsClient, RefusesWhatAServerMustNotSend) {
  std::vector<bad_frame> cases = {
      {"text", {0x81, 0x01, 'x'}, "text frame"},
      {"masked", {0x82, 0x81, 1, 2, 3, 4, 'x'}, "masked frame"},
      {"reserved bits", {0xC2, 0x01, 'x'}, "reserved bits"},
      {"opcode 3", {0x83, 0x00}, "unknown opcode"},
      {"continuation first", {0x80, 0x01, 'x'}, "continuation"},
      {"long ping", {0x89, 126, 0x00, 0x7E}, "control frame"},
      {"huge", {0x82, 127, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0}, "more than"},
  };
  for (const auto& t : cases) {
    auto c = open_client();
    bytes up;
    EXPECT_EQ(c.decode(t.frame, up), layer_status::failed) << t.name;
    EXPECT_NE(c.error().find(t.why), std::string_view::npos) << t.name << ": " << c.error();
  }
}

TEST(WsClient, RefusesABadUpgradeAnswer) {
  struct bad_answer {
    const char* name;
    std::string (*make)(const std::string& key);
    const char* why;
  };
  std::vector<bad_answer> cases = {
      {"404", [](const std::string&) { return std::string("HTTP/1.1 404 Not Found\r\n\r\n"); },
       "refused"},
      {"wrong accept", [](const std::string&) { return answer("dGhlIHNhbXBsZSBub25jZQ=="); },
       "Sec-WebSocket-Accept"},
      {"no subprotocol", [](const std::string& k) { return answer(k, ""); }, "subprotocol"},
      {"other subprotocol", [](const std::string& k) { return answer(k, "chat"); }, "subprotocol"},
      {"no upgrade header",
       [](const std::string& k) {
         return "HTTP/1.1 101 OK\r\nSec-WebSocket-Accept: " + tls::websocket_accept(k) +
                "\r\nSec-WebSocket-Protocol: mqtt\r\n\r\n";
       },
       "Upgrade"},
      {"endless", [](const std::string&) { return "HTTP/1.1 101 OK\r\n" + std::string(9000, 'x'); },
       "larger than"},
  };
  for (const auto& t : cases) {
    ws_client_layer c({});
    bytes up;
    EXPECT_EQ(c.decode(as_bytes(t.make(c.key())), up), layer_status::failed) << t.name;
    EXPECT_NE(c.error().find(t.why), std::string_view::npos) << t.name << ": " << c.error();
    EXPECT_FALSE(c.established());
  }
}

TEST(WsClient, FramesRightBehindThe101AreDecoded) {
  ws_client_layer c({});
  auto in = as_bytes(answer(c.key()));
  auto data = pattern(9);
  ws_client_layer::put_frame(in, ws_client_layer::op_binary, data, nullptr);
  bytes up;
  ASSERT_EQ(c.decode(in, up), layer_status::ok) << c.error();
  EXPECT_EQ(up, data);
}

}  // namespace
}  // namespace iotb::loadgen
