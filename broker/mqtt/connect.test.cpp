// Tests of CONNECT and CONNACK decoding and encoding.

#include <gtest/gtest.h>

#include "broker/mqtt/codec.hpp"
#include "broker/mqtt/codec_test_util.hpp"

using namespace iotb::mqtt;
using namespace iotb::mqtt::test;

namespace {

/// The variable header of a CONNECT up to (excluding) the connect flags.
builder connect_head(version v) {
  builder b;
  if (v == version::v31)
    b.str("MQIsdp").u8(3);
  else
    b.str("MQTT").u8(static_cast<std::uint8_t>(v));
  return b;
}

/// A complete CONNECT with the given flags, no properties, client id "c"
/// and `tail` appended after the client id.
buffer connect_with_flags(version v, std::uint8_t flags, const builder& tail = {}) {
  auto b = connect_head(v);
  b.u8(flags).u16(60);
  if (v == version::v5)
    b.u8(0);  // property length
  b.str("c").raw(tail.bytes());
  return b.packet(0x10);
}

}  // namespace

// -- well-known bytes ---------------------------------------------------------

TEST(mqtt_connect, decodes_v311_spec_example) {
  // Variable header from MQTT 3.1.1 section 3.1.2.10 (flags 0xCE: user name,
  // password, will QoS 1, will, clean session; keep alive 10).
  auto in =
      hex("10 20 00 04 4D 51 54 54 04 CE 00 0A"
          "00 03 61 62 63"  // client id "abc"
          "00 03 77 2F 74"  // will topic "w/t"
          "00 03 62 79 65"  // will message "bye"
          "00 01 75"        // user name "u"
          "00 02 70 77");   // password "pw"
  auto c = decode_as<connect>(in, version::v311);
  EXPECT_EQ(c.ver, version::v311);
  EXPECT_TRUE(c.clean_start);
  EXPECT_EQ(c.keep_alive, 10);
  EXPECT_EQ(c.client_id, "abc");
  ASSERT_TRUE(c.will_msg);
  EXPECT_EQ(c.will_msg->topic, "w/t");
  EXPECT_EQ(c.will_msg->payload, "bye");
  EXPECT_EQ(c.will_msg->q, qos::at_least_once);
  EXPECT_FALSE(c.will_msg->retain);
  EXPECT_EQ(c.username, "u");
  EXPECT_EQ(c.password, "pw");
  EXPECT_EQ(encoded(c, version::v311), in);
}

TEST(mqtt_connect, decodes_v5_spec_example) {
  // MQTT 5.0 section 3.1.2.11 example: flags 0xC2, keep alive 10, session
  // expiry interval 10.
  auto in =
      hex("10 19 00 04 4D 51 54 54 05 C2 00 0A 05 11 00 00 00 0A"
          "00 01 63 00 01 75 00 01 70");
  auto c = decode_as<connect>(in, version::v311);  // the version comes from the packet
  EXPECT_EQ(c.ver, version::v5);
  EXPECT_TRUE(c.clean_start);
  EXPECT_EQ(c.keep_alive, 10);
  EXPECT_EQ(c.props.session_expiry_interval, 10u);
  EXPECT_EQ(c.client_id, "c");
  EXPECT_EQ(c.username, "u");
  EXPECT_EQ(c.password, "p");
  EXPECT_FALSE(c.will_msg);
  EXPECT_EQ(encoded(c, version::v5), in);
}

TEST(mqtt_connect, decodes_v31_mqisdp) {
  auto in = hex("10 10 00 06 4D 51 49 73 64 70 03 02 00 3C 00 02 69 64");
  auto c = decode_as<connect>(in, version::v311);
  EXPECT_EQ(c.ver, version::v31);
  EXPECT_TRUE(c.clean_start);
  EXPECT_EQ(c.keep_alive, 60);
  EXPECT_EQ(c.client_id, "id");
  EXPECT_EQ(encoded(c, version::v31), in);
}

// -- round trips --------------------------------------------------------------

TEST(mqtt_connect, round_trips_every_version) {
  for (auto v : {version::v31, version::v311, version::v5}) {
    connect c;
    c.ver = v;
    c.clean_start = false;
    c.keep_alive = 65535;
    c.client_id = "client-\xC3\xA9";
    expect_round_trip(c, v);
    c.username = "user";
    expect_round_trip(c, v);
    c.password = std::string("p\0w\xFF", 4);
    expect_round_trip(c, v);
    will w;
    w.topic = "dead/letter";
    w.payload = std::string("\0\1\2", 3);
    w.q = qos::exactly_once;
    w.retain = true;
    c.will_msg = w;
    expect_round_trip(c, v);
    c.will_msg->q = qos::at_most_once;
    c.will_msg->retain = false;
    c.will_msg->payload.clear();
    c.client_id.clear();
    expect_round_trip(c, v);
  }
}

TEST(mqtt_connect, round_trips_v5_properties) {
  connect c;
  c.ver = version::v5;
  c.client_id = "x";
  c.props.session_expiry_interval = 0xFFFFFFFF;
  c.props.receive_maximum = 20;
  c.props.maximum_packet_size = 1 << 20;
  c.props.topic_alias_maximum = 10;
  c.props.request_response_information = 1;
  c.props.request_problem_information = 0;
  c.props.user_properties = {{"a", "1"}, {"a", "2"}, {"", ""}};
  c.props.authentication_method = "SCRAM-SHA-1";
  c.props.authentication_data = std::string("\0\xFF", 2);
  will w;
  w.topic = "t";
  w.payload = "gone";
  w.q = qos::at_least_once;
  w.props.payload_format_indicator = 1;
  w.props.message_expiry_interval = 3600;
  w.props.content_type = "text/plain";
  w.props.response_topic = "reply/here";
  w.props.correlation_data = std::string("\x01\x00", 2);
  w.props.will_delay_interval = 30;
  w.props.user_properties = {{"k", "v"}};
  c.will_msg = w;
  expect_round_trip(c, version::v5);
}

TEST(mqtt_connect, v3_encoder_drops_properties) {
  connect c;
  c.ver = version::v311;
  c.client_id = "x";
  c.props.session_expiry_interval = 5;
  auto bytes = encoded(c, version::v311);
  EXPECT_EQ(bytes, hex("10 0D 00 04 4D 51 54 54 04 02 00 00 00 01 78"));
}

// -- malformed ----------------------------------------------------------------

TEST(mqtt_connect, rejects_unknown_protocols) {
  auto make = [](std::string_view name, std::uint8_t level) {
    return builder{}.str(name).u8(level).u8(0x02).u16(0).str("c").packet(0x10);
  };
  EXPECT_EQ(error_of(make("MQTT", 3), version::v311), errc::unsupported_version);
  EXPECT_EQ(error_of(make("MQTT", 6), version::v311), errc::unsupported_version);
  EXPECT_EQ(error_of(make("MQIsdp", 4), version::v311), errc::unsupported_version);
  EXPECT_EQ(error_of(make("MQTX", 4), version::v311), errc::unsupported_version);
  EXPECT_EQ(error_of(make("mqtt", 4), version::v311), errc::unsupported_version);
  EXPECT_EQ(error_of(make("", 4), version::v311), errc::unsupported_version);
  EXPECT_TRUE(decode(make("MQTT", 4), version::v311));
  EXPECT_TRUE(decode(make("MQIsdp", 3), version::v311));
}

TEST(mqtt_connect, rejects_bad_fixed_header_flags) {
  auto in = connect_with_flags(version::v311, 0x02);
  in[0] = 0x11;
  EXPECT_EQ(error_of(in, version::v311), errc::bad_flags);
}

TEST(mqtt_connect, rejects_reserved_flag) {
  EXPECT_EQ(error_of(connect_with_flags(version::v311, 0x03), version::v311), errc::protocol_error);
  EXPECT_EQ(error_of(connect_with_flags(version::v5, 0x01), version::v5), errc::protocol_error);
}

TEST(mqtt_connect, rejects_inconsistent_will_flags) {
  // Will QoS 1 without the will flag.
  EXPECT_EQ(error_of(connect_with_flags(version::v311, 0x0A), version::v311), errc::protocol_error);
  // Will retain without the will flag.
  EXPECT_EQ(error_of(connect_with_flags(version::v311, 0x22), version::v311), errc::protocol_error);
  // Will QoS 3.
  auto will_tail = builder{}.str("w").str("m");
  EXPECT_EQ(error_of(connect_with_flags(version::v311, 0x1E, will_tail), version::v311),
            errc::invalid_qos);
  // The same will with QoS 2 is fine.
  EXPECT_TRUE(decode(connect_with_flags(version::v311, 0x16, will_tail), version::v311));
}

TEST(mqtt_connect, password_without_user_name) {
  auto tail = builder{}.str("pw");
  EXPECT_EQ(error_of(connect_with_flags(version::v311, 0x42, tail), version::v311),
            errc::protocol_error);
  EXPECT_EQ(error_of(connect_with_flags(version::v31, 0x42, tail), version::v31),
            errc::protocol_error);
  // Allowed in MQTT 5.
  auto c = decode_as<connect>(connect_with_flags(version::v5, 0x42, tail), version::v5);
  EXPECT_FALSE(c.username);
  EXPECT_EQ(c.password, "pw");
}

TEST(mqtt_connect, rejects_invalid_strings) {
  auto bad_id = builder{}.str("MQTT").u8(4).u8(0x02).u16(0).str("\xC0\xAF").packet(0x10);
  EXPECT_EQ(error_of(bad_id, version::v311), errc::invalid_utf8);
  auto bad_user = connect_with_flags(version::v311, 0x82, builder{}.str("\xED\xA0\x80"));
  EXPECT_EQ(error_of(bad_user, version::v311), errc::invalid_utf8);
  auto wild_will = connect_with_flags(version::v311, 0x06, builder{}.str("a/#").str("m"));
  EXPECT_EQ(error_of(wild_will, version::v311), errc::invalid_topic);
  auto empty_will = connect_with_flags(version::v311, 0x06, builder{}.str("").str("m"));
  EXPECT_EQ(error_of(empty_will, version::v311), errc::invalid_topic);
  auto bad_will = connect_with_flags(version::v311, 0x06, builder{}.str("\xFF").str("m"));
  EXPECT_EQ(error_of(bad_will, version::v311), errc::invalid_utf8);
}

TEST(mqtt_connect, rejects_truncation_and_trailing_bytes) {
  // The client id claims 5 bytes, 1 follows.
  auto in = builder{}.str("MQTT").u8(4).u8(0x02).u16(0).u16(5).u8('c').packet(0x10);
  EXPECT_EQ(error_of(in, version::v311), errc::malformed);
  // The user name flag is set but nothing follows.
  EXPECT_EQ(error_of(connect_with_flags(version::v311, 0x82), version::v311), errc::malformed);
  // A byte after the payload.
  EXPECT_EQ(error_of(connect_with_flags(version::v311, 0x02, builder{}.u8(0)), version::v311),
            errc::malformed);
  // Cut inside the variable header.
  EXPECT_EQ(error_of(builder{}.str("MQTT").u8(4).u8(0x02).packet(0x10), version::v311),
            errc::malformed);
  EXPECT_EQ(error_of(builder{}.u16(4).raw("MQ").packet(0x10), version::v311), errc::malformed);
  EXPECT_EQ(error_of(hex("10 00"), version::v311), errc::malformed);
}

TEST(mqtt_connect, v5_property_rules) {
  auto make = [](const builder& props, const builder& tail = {}, std::uint8_t flags = 0x02) {
    return builder{}
        .str("MQTT")
        .u8(5)
        .u8(flags)
        .u16(0)
        .props(props)
        .str("c")
        .raw(tail.bytes())
        .packet(0x10);
  };
  // Accepted.
  EXPECT_TRUE(decode(make(builder{}.u8(0x21).u16(1)), version::v5));
  // Receive maximum 0, maximum packet size 0, request flags > 1.
  EXPECT_EQ(error_of(make(builder{}.u8(0x21).u16(0)), version::v5), errc::bad_property);
  EXPECT_EQ(error_of(make(builder{}.u8(0x27).u32(0)), version::v5), errc::bad_property);
  EXPECT_EQ(error_of(make(builder{}.u8(0x17).u8(2)), version::v5), errc::bad_property);
  EXPECT_EQ(error_of(make(builder{}.u8(0x19).u8(2)), version::v5), errc::bad_property);
  // Duplicate session expiry interval.
  EXPECT_EQ(error_of(make(builder{}.u8(0x11).u32(1).u8(0x11).u32(2)), version::v5),
            errc::bad_property);
  // Properties not allowed in CONNECT: topic alias, reason string, will delay.
  EXPECT_EQ(error_of(make(builder{}.u8(0x23).u16(1)), version::v5), errc::bad_property);
  EXPECT_EQ(error_of(make(builder{}.u8(0x1F).str("x")), version::v5), errc::bad_property);
  EXPECT_EQ(error_of(make(builder{}.u8(0x18).u32(1)), version::v5), errc::bad_property);
  // Authentication data without method.
  EXPECT_EQ(error_of(make(builder{}.u8(0x16).str("d")), version::v5), errc::protocol_error);
  EXPECT_TRUE(decode(make(builder{}.u8(0x15).str("m").u8(0x16).str("d")), version::v5));
  // Will properties: will delay is allowed, topic alias and session expiry
  // are not.
  auto will_tail = [](const builder& props) { return builder{}.props(props).str("w").str("m"); };
  auto ok = make({}, will_tail(builder{}.u8(0x18).u32(5).u8(0x01).u8(1)), 0x06);
  auto c = decode_as<connect>(ok, version::v5);
  ASSERT_TRUE(c.will_msg);
  EXPECT_EQ(c.will_msg->props.will_delay_interval, 5u);
  EXPECT_EQ(c.will_msg->props.payload_format_indicator, 1);
  EXPECT_EQ(error_of(make({}, will_tail(builder{}.u8(0x23).u16(1)), 0x06), version::v5),
            errc::bad_property);
  EXPECT_EQ(error_of(make({}, will_tail(builder{}.u8(0x11).u32(1)), 0x06), version::v5),
            errc::bad_property);
  EXPECT_EQ(error_of(make({}, will_tail(builder{}.u8(0x0B).u8(1)), 0x06), version::v5),
            errc::bad_property);
  EXPECT_EQ(error_of(make({}, will_tail(builder{}.u8(0x08).str("a/+")), 0x06), version::v5),
            errc::invalid_topic);
  // Property length longer than the packet.
  auto too_long = builder{}.str("MQTT").u8(5).u8(0x02).u16(0).u8(10).u8(0x11).packet(0x10);
  EXPECT_EQ(error_of(too_long, version::v5), errc::malformed);
}

// -- CONNACK ------------------------------------------------------------------

TEST(mqtt_connack, well_known_bytes) {
  EXPECT_EQ(encoded(connack{}, version::v311), hex("20 02 00 00"));
  EXPECT_EQ(encoded(connack{true, reason::success, {}}, version::v311), hex("20 02 01 00"));
  EXPECT_EQ(encoded(connack{}, version::v5), hex("20 03 00 00 00"));
  auto c = decode_as<connack>(hex("20 02 01 00"), version::v311);
  EXPECT_TRUE(c.session_present);
  EXPECT_EQ(c.code, reason::success);
  c = decode_as<connack>(hex("20 03 00 87 00"), version::v5);
  EXPECT_EQ(c.code, reason::not_authorized);
}

TEST(mqtt_connack, v3_code_mapping) {
  struct row {
    reason r;
    std::uint8_t v3;
  };
  const row rows[] = {
      {reason::success, 0},
      {reason::unsupported_protocol_version, 1},
      {reason::client_identifier_not_valid, 2},
      {reason::server_unavailable, 3},
      {reason::server_busy, 3},
      {reason::bad_user_name_or_password, 4},
      {reason::not_authorized, 5},
      {reason::banned, 5},
      {reason::unspecified_error, 5},
      {reason::malformed_packet, 5},
      {reason::protocol_error, 5},
      {reason::bad_authentication_method, 5},
      {reason::quota_exceeded, 5},
  };
  for (const auto& r : rows) {
    EXPECT_EQ(static_cast<std::uint8_t>(to_v3_connack(r.r)), r.v3) << to_string(r.r);
    auto bytes = encoded(connack{false, r.r, {}}, version::v311);
    EXPECT_EQ(bytes, (buffer{0x20, 0x02, 0x00, r.v3})) << to_string(r.r);
  }
  // Decoding maps back to the canonical reason.
  EXPECT_EQ(decode_as<connack>(hex("20 02 00 01"), version::v311).code,
            reason::unsupported_protocol_version);
  EXPECT_EQ(decode_as<connack>(hex("20 02 00 02"), version::v311).code,
            reason::client_identifier_not_valid);
  EXPECT_EQ(decode_as<connack>(hex("20 02 00 03"), version::v311).code, reason::server_unavailable);
  EXPECT_EQ(decode_as<connack>(hex("20 02 00 04"), version::v311).code,
            reason::bad_user_name_or_password);
  EXPECT_EQ(decode_as<connack>(hex("20 02 00 05"), version::v311).code, reason::not_authorized);
}

TEST(mqtt_connack, round_trips) {
  connack c;
  expect_round_trip(c, version::v311);
  expect_round_trip(c, version::v5);
  c.session_present = true;
  c.code = reason::not_authorized;
  expect_round_trip(c, version::v311);
  c.code = reason::server_moved;
  c.props.session_expiry_interval = 1;
  c.props.assigned_client_identifier = "auto-1";
  c.props.server_keep_alive = 30;
  c.props.authentication_method = "m";
  c.props.authentication_data = "d";
  c.props.response_information = "ri";
  c.props.server_reference = "other:1883";
  c.props.reason_string = "moved";
  c.props.receive_maximum = 100;
  c.props.topic_alias_maximum = 64;
  c.props.maximum_qos = 1;
  c.props.retain_available = 0;
  c.props.maximum_packet_size = 262144;
  c.props.wildcard_subscription_available = 1;
  c.props.subscription_identifier_available = 1;
  c.props.shared_subscription_available = 0;
  c.props.user_properties = {{"x", "y"}};
  expect_round_trip(c, version::v5);
}

TEST(mqtt_connack, malformed) {
  EXPECT_EQ(error_of(hex("21 02 00 00"), version::v311), errc::bad_flags);
  EXPECT_EQ(error_of(hex("20 02 02 00"), version::v311), errc::malformed);
  EXPECT_EQ(error_of(hex("20 02 00 06"), version::v311), errc::protocol_error);
  EXPECT_EQ(error_of(hex("20 03 00 00 00"), version::v311), errc::malformed);
  EXPECT_EQ(error_of(hex("20 01 00"), version::v311), errc::malformed);
  EXPECT_EQ(error_of(hex("20 03 00 10 00"), version::v5), errc::protocol_error);
  EXPECT_EQ(error_of(hex("20 02 00 00"), version::v5), errc::malformed);  // no property length
  EXPECT_EQ(error_of(hex("20 05 00 00 02 24 02"), version::v5), errc::bad_property);  // max QoS 2
  EXPECT_EQ(error_of(hex("20 05 00 00 02 25 02"), version::v5), errc::bad_property);
  EXPECT_EQ(error_of(hex("20 05 00 00 02 17 01"), version::v5), errc::bad_property);  // not allowed
}
