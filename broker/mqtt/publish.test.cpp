// Tests of PUBLISH decoding and of both PUBLISH encoders.

#include <gtest/gtest.h>

#include <string>

#include "broker/mqtt/codec.hpp"
#include "broker/mqtt/codec_test_util.hpp"

using namespace iotb::mqtt;
using namespace iotb::mqtt::test;

namespace {

/// A v5 PUBLISH QoS 0 to topic `topic` with the given property block.
buffer v5_publish(std::string_view topic, const builder& props, std::string_view payload = "p") {
  return builder{}.str(topic).props(props).raw(payload).packet(0x30);
}

}  // namespace

TEST(mqtt_publish, well_known_bytes) {
  auto in = hex("32 09 00 03 61 2F 62 00 01 68 69");
  auto p = decode_as<publish>(in, version::v311);
  EXPECT_EQ(p.topic, "a/b");
  EXPECT_EQ(p.q, qos::at_least_once);
  EXPECT_EQ(p.packet_id, 1);
  EXPECT_EQ(p.payload, "hi");
  EXPECT_FALSE(p.dup);
  EXPECT_FALSE(p.retain);
  EXPECT_EQ(encoded(p, version::v311), in);

  in = hex("30 05 00 01 74 00 78");
  p = decode_as<publish>(in, version::v5);
  EXPECT_EQ(p.topic, "t");
  EXPECT_EQ(p.q, qos::at_most_once);
  EXPECT_EQ(p.payload, "x");
  EXPECT_TRUE(p.props.empty());
  EXPECT_EQ(encoded(p, version::v5), in);

  // DUP, QoS 2, retain; empty payload.
  in = hex("3D 06 00 02 61 62 12 34");
  p = decode_as<publish>(in, version::v311);
  EXPECT_TRUE(p.dup);
  EXPECT_TRUE(p.retain);
  EXPECT_EQ(p.q, qos::exactly_once);
  EXPECT_EQ(p.packet_id, 0x1234);
  EXPECT_EQ(p.payload, "");
  EXPECT_EQ(encoded(p, version::v311), in);
}

TEST(mqtt_publish, round_trips) {
  for (auto v : {version::v31, version::v311, version::v5}) {
    for (auto q : {qos::at_most_once, qos::at_least_once, qos::exactly_once}) {
      publish p;
      p.topic = "sensors/t\xC3\xA9mp";
      p.payload = std::string("\0\x01\xFF payload", 11);
      p.q = q;
      p.packet_id = q == qos::at_most_once ? 0 : 65535;
      p.dup = q != qos::at_most_once;
      p.retain = true;
      expect_round_trip(p, v);
      p.payload = std::string(200000, 'z');  // 3-byte remaining length
      expect_round_trip(p, v);
    }
  }
}

TEST(mqtt_publish, round_trips_v5_properties) {
  publish p;
  p.topic = "a";
  p.q = qos::at_least_once;
  p.packet_id = 7;
  p.payload = "{}";
  p.props.payload_format_indicator = 1;
  p.props.message_expiry_interval = 60;
  p.props.topic_alias = 3;
  p.props.response_topic = "resp/x";
  p.props.correlation_data = std::string("\0\1", 2);
  p.props.content_type = "application/json";
  p.props.subscription_identifiers = {1, 268435455, 128};
  p.props.user_properties = {{"k", "v"}, {"k", "w"}};
  expect_round_trip(p, version::v5);
  // Alias only: empty topic.
  p.topic.clear();
  expect_round_trip(p, version::v5);
}

TEST(mqtt_publish, v3_encoder_drops_properties) {
  publish p;
  p.topic = "t";
  p.payload = "x";
  p.props.message_expiry_interval = 5;
  EXPECT_EQ(encoded(p, version::v311), hex("30 04 00 01 74 78"));
}

TEST(mqtt_publish, rejects_bad_qos_and_dup) {
  EXPECT_EQ(error_of(hex("36 07 00 01 74 00 01 78 78"), version::v311), errc::invalid_qos);
  EXPECT_EQ(error_of(hex("38 04 00 01 74 78"), version::v311), errc::invalid_qos);
  EXPECT_EQ(error_of(hex("39 04 00 01 74 78"), version::v5), errc::invalid_qos);
}

TEST(mqtt_publish, rejects_bad_topics) {
  EXPECT_EQ(error_of(hex("30 04 00 01 23 78"), version::v311), errc::invalid_topic);  // "#"
  EXPECT_EQ(error_of(hex("30 06 00 03 61 2F 2B 78"), version::v311), errc::invalid_topic);
  EXPECT_EQ(error_of(hex("30 03 00 00 78"), version::v311), errc::invalid_topic);   // empty
  EXPECT_EQ(error_of(hex("30 04 00 00 00 78"), version::v5), errc::invalid_topic);  // no alias
  EXPECT_EQ(error_of(hex("30 05 00 02 C3 28 78"), version::v311), errc::invalid_utf8);
  EXPECT_EQ(error_of(hex("30 05 00 02 61 00 78"), version::v311), errc::invalid_utf8);
  EXPECT_EQ(error_of(hex("30 05 00 02 C0 AF 78"), version::v311), errc::invalid_utf8);
  EXPECT_EQ(error_of(hex("30 05 00 03 ED A0 80"), version::v311), errc::invalid_utf8);
  // Empty topic with alias is fine in MQTT 5 only.
  auto p = decode_as<publish>(v5_publish("", builder{}.u8(0x23).u16(9)), version::v5);
  EXPECT_EQ(p.topic, "");
  EXPECT_EQ(p.props.topic_alias, 9);
}

TEST(mqtt_publish, rejects_bad_packet_ids_and_lengths) {
  EXPECT_EQ(error_of(hex("32 06 00 01 74 00 00 78"), version::v311), errc::bad_packet_id);
  EXPECT_EQ(error_of(hex("34 05 00 01 74 00 00"), version::v311), errc::bad_packet_id);
  EXPECT_EQ(error_of(hex("32 04 00 01 74 00"), version::v311), errc::malformed);  // id cut
  EXPECT_EQ(error_of(hex("30 04 00 05 74 78"), version::v311), errc::malformed);  // topic > body
  EXPECT_EQ(error_of(hex("30 01 00"), version::v311), errc::malformed);
  EXPECT_EQ(error_of(hex("30 00"), version::v311), errc::malformed);
  EXPECT_EQ(error_of(hex("30 03 00 01 74"), version::v5), errc::malformed);  // no prop length
}

TEST(mqtt_publish, property_rules) {
  auto err = [](const builder& props) { return error_of(v5_publish("t", props), version::v5); };
  EXPECT_EQ(err(builder{}.u8(0x23).u16(0)), errc::topic_alias_invalid);
  EXPECT_EQ(err(builder{}.u8(0x01).u8(2)), errc::bad_property);
  EXPECT_EQ(err(builder{}.u8(0x02).u32(1).u8(0x02).u32(2)), errc::bad_property);
  EXPECT_EQ(err(builder{}.u8(0x23).u16(1).u8(0x23).u16(1)), errc::bad_property);
  EXPECT_EQ(err(builder{}.u8(0x0B).u8(0)), errc::bad_property);
  EXPECT_EQ(err(builder{}.u8(0x18).u32(1)), errc::bad_property);  // will delay
  EXPECT_EQ(err(builder{}.u8(0x11).u32(1)), errc::bad_property);  // session expiry
  EXPECT_EQ(err(builder{}.u8(0x7F).u8(0)), errc::bad_property);   // unknown id
  EXPECT_EQ(err(builder{}.u8(0x00)), errc::bad_property);
  EXPECT_EQ(err(builder{}.u8(0x08).str("a/#")), errc::invalid_topic);
  EXPECT_EQ(err(builder{}.u8(0x08).str("")), errc::invalid_topic);
  EXPECT_EQ(err(builder{}.u8(0x03).str("\xC3")), errc::invalid_utf8);
  EXPECT_EQ(err(builder{}.u8(0x26).str("k").str("\xFF")), errc::invalid_utf8);
  EXPECT_EQ(err(builder{}.u8(0x26).str("k")), errc::malformed);  // value missing
  EXPECT_EQ(err(builder{}.u8(0x02).u16(1)), errc::malformed);    // value cut
  EXPECT_EQ(err(builder{}.u8(0x0B).raw("\x80\x80\x80\x80\x01")), errc::malformed);
  // Property length beyond the packet.
  EXPECT_EQ(error_of(hex("30 05 00 01 74 05 02"), version::v5), errc::malformed);
  // A property identifier encoded in two bytes (non-minimal, accepted as
  // the variable byte integer it is).
  EXPECT_TRUE(
      decode(v5_publish("t", builder{}.raw(std::string_view("\x82\x00", 2)).u32(1)), version::v5));

  // Several subscription identifiers and user properties are fine.
  auto p = decode_as<publish>(v5_publish("t", builder{}
                                                  .u8(0x0B)
                                                  .varint(5)
                                                  .u8(0x0B)
                                                  .varint(300)
                                                  .u8(0x26)
                                                  .str("a")
                                                  .str("b")
                                                  .u8(0x26)
                                                  .str("a")
                                                  .str("b")),
                              version::v5);
  EXPECT_EQ(p.props.subscription_identifiers, (std::vector<std::uint32_t>{5, 300}));
  EXPECT_EQ(p.props.user_properties.size(), 2u);
}

TEST(mqtt_publish, payload_is_not_validated_as_utf8) {
  auto p = decode_as<publish>(v5_publish("t", builder{}.u8(0x01).u8(1), "\xFF\xFE"), version::v5);
  EXPECT_EQ(p.props.payload_format_indicator, 1);
  EXPECT_EQ(p.payload, "\xFF\xFE");
}

// -- publish_view ---------------------------------------------------------------

TEST(mqtt_publish_view, with_and_without_payload) {
  publish_properties props;
  props.content_type = "text/plain";
  props.user_properties = {{"a", "b"}};
  for (auto v : {version::v311, version::v5}) {
    for (std::size_t size : {0u, 5u, 127u, 128u, 16384u, 2100000u}) {
      std::string payload(size, 'p');
      publish_view view;
      view.topic = "a/b";
      view.payload = payload;
      view.q = qos::at_least_once;
      view.packet_id = 42;
      view.props = &props;
      buffer full;
      auto n_full = encode(view, v, full, true);
      EXPECT_EQ(n_full, full.size());
      EXPECT_EQ(encoded_size(view, v), full.size());
      buffer head{0xAA};  // encoders append
      auto n_head = encode(view, v, head, false);
      EXPECT_EQ(n_head + 1, head.size());
      EXPECT_EQ(n_head + payload.size(), full.size());
      head.insert(head.end(), payload.begin(), payload.end());
      EXPECT_EQ(buffer(head.begin() + 1, head.end()), full);
      auto p = decode_as<publish>(full, v);
      EXPECT_EQ(p.payload.size(), size);
      EXPECT_EQ(p.packet_id, 42);
    }
  }
}

TEST(mqtt_publish_view, overrides_alias_sub_ids_and_expiry) {
  publish_properties props;
  props.message_expiry_interval = 100;
  props.topic_alias = 7;                    // replaced by view.topic_alias
  props.subscription_identifiers = {1, 2};  // replaced by view.sub_ids
  props.will_delay_interval = 9;            // never in PUBLISH
  props.payload_format_indicator = 1;
  const std::uint32_t ids[] = {3, 200000};
  publish_view view;
  view.topic = "";
  view.payload = "x";
  view.props = &props;
  view.topic_alias = 5;
  view.sub_ids = ids;
  view.sub_id_count = 2;
  view.expiry_override = 40;
  buffer out;
  encode(view, version::v5, out);
  EXPECT_EQ(encoded_size(view, version::v5), out.size());
  auto p = decode_as<publish>(out, version::v5);
  EXPECT_EQ(p.topic, "");
  EXPECT_EQ(p.props.topic_alias, 5);
  EXPECT_EQ(p.props.subscription_identifiers, (std::vector<std::uint32_t>{3, 200000}));
  EXPECT_EQ(p.props.message_expiry_interval, 40u);
  EXPECT_FALSE(p.props.will_delay_interval);
  EXPECT_EQ(p.props.payload_format_indicator, 1);

  // Literal bytes: topic "" alias 5, expiry override without props.
  publish_view bare;
  bare.topic = "t";
  bare.payload = "x";
  bare.expiry_override = 1;
  bare.topic_alias = 2;
  out.clear();
  encode(bare, version::v5, out);
  EXPECT_EQ(out, hex("30 0D 00 01 74 08 02 00 00 00 01 23 00 02 78"));
  // No alias, no sub ids, no override: the props' own expiry; no alias from props.
  view.topic = "t";
  view.topic_alias = 0;
  view.sub_ids = nullptr;
  view.sub_id_count = 0;
  view.expiry_override.reset();
  out.clear();
  encode(view, version::v5, out);
  p = decode_as<publish>(out, version::v5);
  EXPECT_EQ(p.props.message_expiry_interval, 100u);
  EXPECT_FALSE(p.props.topic_alias);
  EXPECT_TRUE(p.props.subscription_identifiers.empty());
  // MQTT 3.1.1 writes no properties at all.
  out.clear();
  encode(view, version::v311, out);
  EXPECT_EQ(out, hex("30 04 00 01 74 78"));
  EXPECT_EQ(encoded_size(view, version::v311), 6u);
}

TEST(mqtt_publish_view, null_props_and_qos0_has_no_packet_id) {
  publish_view view;
  view.topic = "ab";
  view.payload = "";
  view.packet_id = 99;  // ignored for QoS 0
  buffer out;
  encode(view, version::v5, out);
  EXPECT_EQ(out, hex("30 05 00 02 61 62 00"));
  view.q = qos::exactly_once;
  view.retain = true;
  view.dup = true;
  out.clear();
  encode(view, version::v311, out);
  EXPECT_EQ(out, hex("3D 06 00 02 61 62 00 63"));
}
