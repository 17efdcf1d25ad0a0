#include "broker/net/ws_layer.hpp"

#include <gtest/gtest.h>

#include <string>

namespace iotb::net {
namespace {

using bytes = std::vector<std::uint8_t>;

const char* upgrade_request =
    "GET /mqtt HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
    "Sec-WebSocket-Protocol: mqtt\r\n\r\n";

bytes as_bytes(std::string_view s) {
  return {s.begin(), s.end()};
}

std::string output_text(ws_layer& l) {
  auto out = l.output();
  std::string s(out.begin(), out.end());
  l.consume_output(out.size());
  return s;
}

/// A masked client frame.
bytes client_frame(std::uint8_t first, const bytes& payload, bool mask = true) {
  bytes f{first};
  std::uint8_t m = mask ? 0x80 : 0;
  if (payload.size() < 126) {
    f.push_back(static_cast<std::uint8_t>(m | payload.size()));
  } else if (payload.size() <= 0xFFFF) {
    f.push_back(m | 126);
    f.push_back(static_cast<std::uint8_t>(payload.size() >> 8));
    f.push_back(static_cast<std::uint8_t>(payload.size()));
  } else {
    f.push_back(m | 127);
    for (int k = 7; k >= 0; --k)
      f.push_back(static_cast<std::uint8_t>(std::uint64_t{payload.size()} >> (8 * k)));
  }
  std::uint8_t key[4] = {0x11, 0x22, 0x33, 0x44};
  if (mask)
    f.insert(f.end(), key, key + 4);
  for (std::size_t i = 0; i < payload.size(); ++i)
    f.push_back(mask ? payload[i] ^ key[i & 3] : payload[i]);
  return f;
}

ws_layer upgraded() {
  ws_layer l({});
  bytes up;
  EXPECT_EQ(l.decode(as_bytes(upgrade_request), up), layer_status::ok);
  (void)output_text(l);
  return l;
}

TEST(WsLayer, UpgradeAnswersWithTheAcceptKeyAndSubprotocol) {
  ws_layer l({});
  bytes up;
  // The request arrives in two pieces, split inside the final CRLFCRLF.
  std::string req = upgrade_request;
  auto cut = req.size() - 2;
  EXPECT_EQ(l.decode(as_bytes(req.substr(0, cut)), up), layer_status::ok);
  EXPECT_FALSE(l.established());
  EXPECT_EQ(l.decode(as_bytes(req.substr(cut)), up), layer_status::ok);
  ASSERT_TRUE(l.established());
  auto resp = output_text(l);
  EXPECT_TRUE(resp.starts_with("HTTP/1.1 101 Switching Protocols\r\n"));
  // RFC 6455 §1.3's example key and accept value.
  EXPECT_NE(resp.find("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"), std::string::npos);
  EXPECT_NE(resp.find("Sec-WebSocket-Protocol: mqtt\r\n"), std::string::npos);
  EXPECT_TRUE(up.empty());
}

TEST(WsLayer, BadUpgradesGetAnHttpErrorAndFail) {
  struct bad_case {
    std::string from, to;
    const char* status;
  };
  const bad_case cases[] = {
      {"GET /mqtt", "GET /other", "404"},
      {"GET /mqtt", "POST /mqtt", "405"},
      {"Sec-WebSocket-Version: 13", "Sec-WebSocket-Version: 8", "426"},
      {"Sec-WebSocket-Protocol: mqtt", "Sec-WebSocket-Protocol: chat", "400"},
      {"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Key: short", "400"},
      {"Upgrade: websocket", "Upgrade: h2c", "400"},
  };
  for (const auto& c : cases) {
    std::string req = upgrade_request;
    req.replace(req.find(c.from), c.from.size(), c.to);
    ws_layer l({});
    bytes up;
    EXPECT_EQ(l.decode(as_bytes(req), up), layer_status::failed) << c.to;
    EXPECT_TRUE(output_text(l).starts_with(std::string("HTTP/1.1 ") + c.status)) << c.to;
    EXPECT_FALSE(l.error().empty());
  }
}

TEST(WsLayer, OversizeUpgradeRequestIsRefused) {
  ws_layer l({});
  bytes up;
  std::string req = "GET /mqtt HTTP/1.1\r\nX-Junk: " + std::string(9000, 'a');
  EXPECT_EQ(l.decode(as_bytes(req), up), layer_status::failed);
  EXPECT_TRUE(output_text(l).starts_with("HTTP/1.1 431"));
}

TEST(WsLayer, BinaryFramesCarryAByteStreamAcrossFragmentsAndReads) {
  auto l = upgraded();
  bytes msg1{1, 2, 3, 4, 5}, msg2(300, 7);
  auto stream = client_frame(0x82, msg1);          // unfragmented binary
  auto part1 = client_frame(0x02, {9, 9});         // FIN=0 binary
  auto part2 = client_frame(0x80, msg2);           // FIN=1 continuation
  auto ping = client_frame(0x89, as_bytes("hi"));  // a ping between fragments is allowed
  stream.insert(stream.end(), part1.begin(), part1.end());
  stream.insert(stream.end(), ping.begin(), ping.end());
  stream.insert(stream.end(), part2.begin(), part2.end());
  bytes up;
  for (auto b : stream)  // one byte per read
    ASSERT_EQ(l.decode(std::span(&b, 1), up), layer_status::ok) << l.error();
  bytes expect = msg1;
  expect.insert(expect.end(), {9, 9});
  expect.insert(expect.end(), msg2.begin(), msg2.end());
  EXPECT_EQ(up, expect);
  EXPECT_EQ(output_text(l), std::string("\x8a\x02hi"));  // the pong
}

TEST(WsLayer, EncodeMakesOneUnmaskedBinaryFrame) {
  auto l = upgraded();
  std::string a = "abc", b(200, 'x');
  iovec iov[2] = {{a.data(), a.size()}, {b.data(), b.size()}};
  ASSERT_EQ(l.encode(iov, 2), layer_status::ok);
  auto out = output_text(l);
  ASSERT_EQ(out.size(), 4 + 203u);
  EXPECT_EQ(static_cast<std::uint8_t>(out[0]), 0x82);
  EXPECT_EQ(static_cast<std::uint8_t>(out[1]), 126);
  EXPECT_EQ((static_cast<std::uint8_t>(out[2]) << 8) | static_cast<std::uint8_t>(out[3]), 203);
  EXPECT_EQ(out.substr(4, 3), "abc");
}

struct frame_error_case {
  bytes frame;
  std::uint16_t code;
};

TEST(WsLayer, ProtocolViolationsCloseWithTheRightCode) {
  const frame_error_case cases[] = {
      {client_frame(0x81, as_bytes("text")), ws_layer::close_unsupported_data},
      {client_frame(0x82, {1, 2}, false), ws_layer::close_protocol_error},  // unmasked
      {client_frame(0xC2, {1}), ws_layer::close_protocol_error},            // RSV1
      {client_frame(0x80, {1}), ws_layer::close_protocol_error},            // continuation first
      {client_frame(0x83, {1}), ws_layer::close_protocol_error},            // opcode 3
      {client_frame(0x09, {1}), ws_layer::close_protocol_error},            // fragmented ping
      {client_frame(0x82, bytes(2000, 1)), ws_layer::close_too_big},
  };
  for (const auto& c : cases) {
    ws_layer::options o;
    o.max_frame = 1024;
    ws_layer l(o);
    bytes up;
    ASSERT_EQ(l.decode(as_bytes(upgrade_request), up), layer_status::ok);
    (void)output_text(l);
    EXPECT_EQ(l.decode(c.frame, up), layer_status::failed) << l.error();
    auto out = output_text(l);
    ASSERT_GE(out.size(), 4u);
    EXPECT_EQ(static_cast<std::uint8_t>(out[0]), 0x88);
    EXPECT_EQ((static_cast<std::uint8_t>(out[2]) << 8) | static_cast<std::uint8_t>(out[3]), c.code)
        << l.error();
    // Nothing more is decoded or encoded after the end.
    EXPECT_EQ(l.decode(client_frame(0x82, {1}), up), layer_status::closed);
    iovec v{up.data(), up.size()};
    EXPECT_EQ(l.encode(&v, 1), layer_status::closed);
  }
}

TEST(WsLayer, PeerCloseIsAnsweredAndEndsTheStream) {
  auto l = upgraded();
  bytes up;
  auto data = client_frame(0x82, {1, 2});
  auto close = client_frame(0x88, {0x03, 0xE8});
  data.insert(data.end(), close.begin(), close.end());
  EXPECT_EQ(l.decode(data, up), layer_status::closed);
  EXPECT_EQ(up, (bytes{1, 2}));  // data before the close still goes up
  EXPECT_EQ(output_text(l), std::string("\x88\x02\x03\xe8"));
  l.shutdown();  // already closed: nothing more to send
  EXPECT_TRUE(l.output().empty());
}

TEST(WsLayer, ShutdownSendsANormalClose) {
  auto l = upgraded();
  l.shutdown();
  EXPECT_EQ(output_text(l), std::string("\x88\x02\x03\xe8"));
}

}  // namespace
}  // namespace iotb::net
