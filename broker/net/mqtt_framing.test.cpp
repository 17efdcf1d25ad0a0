#include "broker/net/mqtt_framing.hpp"

#include <gtest/gtest.h>

namespace iotb::net {
namespace {

mqtt::buffer connect_bytes(mqtt::version v = mqtt::version::v311, std::size_t will_size = 0) {
  mqtt::connect c;
  c.ver = v;
  c.client_id = "c1";
  c.keep_alive = 30;
  if (will_size != 0)
    c.will_msg = mqtt::will{"w", std::string(will_size, 'x'), mqtt::qos::at_most_once, false, {}};
  mqtt::buffer out;
  mqtt::encode(c, out);
  return out;
}

mqtt::buffer publish_bytes(std::string topic, std::string payload) {
  mqtt::publish p;
  p.topic = std::move(topic);
  p.payload = std::move(payload);
  mqtt::buffer out;
  mqtt::encode(p, mqtt::version::v311, out);
  return out;
}

TEST(MqttFraming, ConnectPausesUntilResumedAndKeepsWhatFollows) {
  mqtt_framing f(1024, 512);
  auto bytes = connect_bytes();
  auto pub = publish_bytes("a/b", "hello");
  bytes.insert(bytes.end(), pub.begin(), pub.end());
  framing_output out;
  f.feed(bytes, out);
  ASSERT_TRUE(out.connect && out.connect->connect);
  EXPECT_EQ(out.connect->connect->client_id, "c1");
  EXPECT_TRUE(out.batch.empty());
  EXPECT_TRUE(f.paused());
  EXPECT_EQ(f.buffered(), pub.size());
  f.resume();
  out.clear();
  f.feed({}, out);
  ASSERT_EQ(out.batch.size(), 1u);
  EXPECT_EQ(std::get<mqtt::publish>(out.batch[0]).payload, "hello");
  EXPECT_EQ(f.buffered(), 0u);
}

TEST(MqttFraming, PacketsSplitAnywhereAndSeveralPerChunk) {
  mqtt::buffer stream = connect_bytes();
  auto connect_size = stream.size();
  for (int i = 0; i < 5; ++i) {
    auto p = publish_bytes("t/" + std::to_string(i), std::string(100 + i, 'p'));
    stream.insert(stream.end(), p.begin(), p.end());
  }
  // Every chunk size from one byte up: the same packets come out.
  for (std::size_t chunk = 1; chunk < 64; chunk += 7) {
    mqtt_framing f(4096, 512);
    std::vector<mqtt::packet> got;
    bool connected = false;
    for (std::size_t off = 0; off < stream.size(); off += chunk) {
      framing_output out;
      f.feed(std::span(stream).subspan(off, std::min(chunk, stream.size() - off)), out);
      if (out.connect) {
        ASSERT_TRUE(out.connect->connect);
        connected = true;
        f.resume();
        out.clear();
        f.feed({}, out);
      }
      ASSERT_FALSE(out.error);
      for (auto& p : out.batch)
        got.push_back(std::move(p));
    }
    EXPECT_TRUE(connected);
    ASSERT_EQ(got.size(), 5u) << "chunk " << chunk << " connect " << connect_size;
    EXPECT_EQ(std::get<mqtt::publish>(got[4]).topic, "t/4");
  }
}

TEST(MqttFraming, OversizeConnectIsRefusedFromTheFixedHeader) {
  mqtt_framing f(256 * 1024, 1024);
  auto bytes = connect_bytes(mqtt::version::v5, 4000);
  framing_output out;
  // Only the fixed header: the size is known before any body is buffered.
  f.feed(std::span(bytes).subspan(0, 5), out);
  ASSERT_TRUE(out.connect);
  EXPECT_FALSE(out.connect->connect);
  EXPECT_EQ(out.connect->error.code, mqtt::errc::packet_too_large);
  EXPECT_LE(f.buffered(), 5u);
}

TEST(MqttFraming, FirstPacketMustBeConnect) {
  mqtt_framing f(1024, 512);
  auto pub = publish_bytes("a", "b");
  framing_output out;
  f.feed(pub, out);
  ASSERT_TRUE(out.connect);
  EXPECT_TRUE(out.connect->not_connect);
  // Input after the refusal is ignored.
  out.clear();
  f.feed(pub, out);
  EXPECT_FALSE(out.connect);
  EXPECT_TRUE(out.batch.empty());
}

TEST(MqttFraming, BadConnectReportsTheProtocolLevel) {
  mqtt_framing f(1024, 512);
  auto bytes = connect_bytes(mqtt::version::v5);
  bytes[2 + 6 + 1] |= 0x01;  // the reserved CONNECT flag (after header, name, level)
  framing_output out;
  f.feed(bytes, out);
  ASSERT_TRUE(out.connect);
  EXPECT_FALSE(out.connect->connect);
  EXPECT_EQ(out.connect->level, 5);
}

TEST(MqttFraming, PacketsBeforeABrokenOneAreDelivered) {
  mqtt_framing f(1024, 512);
  framing_output out;
  f.feed(connect_bytes(), out);
  f.resume();
  auto good = publish_bytes("ok", "1");
  auto bad = mqtt::buffer{0x00, 0x00};  // packet type 0
  good.insert(good.end(), bad.begin(), bad.end());
  out.clear();
  f.feed(good, out);
  EXPECT_EQ(out.batch.size(), 1u);
  ASSERT_TRUE(out.error);
}

TEST(MqttFraming, PacketAboveTheMaximumIsAnError) {
  mqtt_framing f(64, 64);
  framing_output out;
  f.feed(connect_bytes(), out);
  f.resume();
  out.clear();
  f.feed(publish_bytes("t", std::string(100, 'x')), out);
  ASSERT_TRUE(out.error);
  EXPECT_EQ(out.error->code, mqtt::errc::packet_too_large);
}

}  // namespace
}  // namespace iotb::net
