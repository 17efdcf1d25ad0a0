// Tests of SUBSCRIBE, SUBACK, UNSUBSCRIBE and UNSUBACK.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "broker/mqtt/codec.hpp"
#include "broker/mqtt/codec_test_util.hpp"

using namespace iotb::mqtt;
using namespace iotb::mqtt::test;

// -- SUBSCRIBE / SUBACK ----------------------------------------------------------

TEST(mqtt_subscribe, well_known_bytes) {
  auto in = hex("82 08 00 0A 00 03 61 2F 23 01");
  auto s = decode_as<subscribe>(in, version::v311);
  EXPECT_EQ(s.packet_id, 10);
  ASSERT_EQ(s.filters.size(), 1u);
  EXPECT_EQ(s.filters[0].filter, "a/#");
  EXPECT_EQ(s.filters[0].opts.max_qos, qos::at_least_once);
  EXPECT_EQ(encoded(s, version::v311), in);
  // MQTT 5: options 0x2E = retain handling 2, retain as published, no local, QoS 2.
  in = hex("82 09 00 0A 00 00 03 61 2F 23 2E");
  s = decode_as<subscribe>(in, version::v5);
  EXPECT_EQ(s.filters[0].opts, (subscribe_options{qos::exactly_once, true, true, 2}));
  EXPECT_EQ(encoded(s, version::v5), in);
}

TEST(mqtt_subscribe, round_trips) {
  subscribe s;
  s.packet_id = 1;
  s.filters = {{"a/b", {}},
               {"+/+/#", {qos::at_least_once, false, false, 0}},
               {"$share/grp/x", {qos::exactly_once, false, false, 0}}};
  expect_round_trip(s, version::v311);
  expect_round_trip(s, version::v31);
  s.filters[0].opts = {qos::exactly_once, true, true, 1};
  s.filters[2].opts = {qos::at_most_once, false, true, 2};
  s.props.subscription_identifier = 268435455;
  s.props.user_properties = {{"u", "v"}};
  expect_round_trip(s, version::v5);
}

TEST(mqtt_subscribe, malformed) {
  EXPECT_EQ(error_of(hex("82 06 00 00 00 01 61 00"), version::v311), errc::bad_packet_id);
  EXPECT_EQ(error_of(hex("82 02 00 01"), version::v311), errc::empty_subscription);
  EXPECT_EQ(error_of(hex("82 03 00 01 00"), version::v5), errc::empty_subscription);
  EXPECT_EQ(error_of(hex("82 0A 00 01 00 05 61 2F 23 2F 62 00"), version::v311),
            errc::invalid_filter);  // a/#/b
  EXPECT_EQ(error_of(hex("82 07 00 01 00 02 61 2B 00"), version::v311), errc::invalid_filter);
  EXPECT_EQ(error_of(hex("82 05 00 01 00 00 00"), version::v311), errc::invalid_filter);
  EXPECT_EQ(error_of(hex("82 07 00 01 00 02 C0 AF 00"), version::v311), errc::invalid_utf8);
  EXPECT_EQ(error_of(hex("82 05 00 01 00 01 61"), version::v311), errc::malformed);  // no opts
  EXPECT_EQ(error_of(hex("82 06 00 01 00 05 61 00"), version::v311), errc::malformed);
  EXPECT_EQ(error_of(hex("82 06 00 01 00 01 61 03"), version::v311), errc::invalid_qos);
  EXPECT_EQ(error_of(hex("82 07 00 01 00 00 01 61 03"), version::v5), errc::invalid_qos);
  EXPECT_EQ(error_of(hex("82 06 00 01 00 01 61 04"), version::v311), errc::malformed);
  EXPECT_EQ(error_of(hex("82 06 00 01 00 01 61 80"), version::v311), errc::malformed);
  EXPECT_EQ(error_of(hex("82 07 00 01 00 00 01 61 40"), version::v5), errc::malformed);
  EXPECT_EQ(error_of(hex("82 07 00 01 00 00 01 61 80"), version::v5), errc::malformed);
  EXPECT_EQ(error_of(hex("82 07 00 01 00 00 01 61 30"), version::v5), errc::protocol_error);
  // No local on a shared subscription; fine on an ordinary one.
  auto shared = builder{}.u16(1).u8(0).str("$share/g/a").u8(0x04).packet(0x82);
  EXPECT_EQ(error_of(shared, version::v5), errc::protocol_error);
  auto plain = builder{}.u16(1).u8(0).str("a").u8(0x04).packet(0x82);
  EXPECT_TRUE(decode(plain, version::v5));
  // Properties.
  auto with_props = [](const builder& props) {
    return builder{}.u16(1).props(props).str("a").u8(0).packet(0x82);
  };
  EXPECT_EQ(error_of(with_props(builder{}.u8(0x0B).varint(0)), version::v5), errc::bad_property);
  EXPECT_EQ(error_of(with_props(builder{}.u8(0x0B).varint(1).u8(0x0B).varint(2)), version::v5),
            errc::bad_property);
  EXPECT_EQ(error_of(with_props(builder{}.u8(0x1F).str("r")), version::v5), errc::bad_property);
  auto s = decode_as<subscribe>(with_props(builder{}.u8(0x0B).varint(268435455)), version::v5);
  EXPECT_EQ(s.props.subscription_identifier, 268435455u);
}

TEST(mqtt_suback, v3_code_mapping) {
  suback a{10,
           {reason::success, reason::granted_qos1, reason::granted_qos2, reason::unspecified_error,
            reason::not_authorized, reason::topic_filter_invalid, reason::quota_exceeded,
            reason::wildcard_subscriptions_not_supported},
           {}};
  a.props.reason_string = "dropped in 3.x";
  EXPECT_EQ(encoded(a, version::v311), hex("90 0A 00 0A 00 01 02 80 80 80 80 80"));
  auto back = decode_as<suback>(hex("90 0A 00 0A 00 01 02 80 80 80 80 80"), version::v311);
  EXPECT_EQ(back.codes,
            (std::vector<reason>{reason::success, reason::granted_qos1, reason::granted_qos2,
                                 reason::unspecified_error, reason::unspecified_error,
                                 reason::unspecified_error, reason::unspecified_error,
                                 reason::unspecified_error}));
  EXPECT_EQ(encoded(a, version::v5),
            hex("90 1C 00 0A 11 1F 00 0E 64 72 6F 70 70 65 64 20 69 6E 20 33 2E 78"
                "00 01 02 80 87 8F 97 A2"));
}

TEST(mqtt_suback, round_trips_and_malformed) {
  suback a{5, {reason::granted_qos1, reason::unspecified_error}, {}};
  expect_round_trip(a, version::v311);
  a.codes = {reason::success, reason::shared_subscriptions_not_supported,
             reason::subscription_identifiers_not_supported};
  a.props.user_properties = {{"a", ""}};
  expect_round_trip(a, version::v5);
  EXPECT_EQ(error_of(hex("90 03 00 0A 03"), version::v311), errc::protocol_error);
  EXPECT_EQ(error_of(hex("90 03 00 0A 87"), version::v311), errc::protocol_error);
  EXPECT_EQ(error_of(hex("90 04 00 0A 00 03"), version::v5), errc::protocol_error);
  EXPECT_EQ(error_of(hex("90 02 00 0A"), version::v311), errc::malformed);
  EXPECT_EQ(error_of(hex("90 03 00 0A 00"), version::v5), errc::malformed);
  EXPECT_EQ(error_of(hex("90 03 00 00 00"), version::v311), errc::bad_packet_id);
}

// -- UNSUBSCRIBE / UNSUBACK -----------------------------------------------------

TEST(mqtt_unsubscribe, well_known_bytes_and_round_trips) {
  auto in = hex("A2 07 00 0B 00 03 61 2F 62");
  auto u = decode_as<unsubscribe>(in, version::v311);
  EXPECT_EQ(u.packet_id, 11);
  EXPECT_EQ(u.filters, (std::vector<std::string>{"a/b"}));
  EXPECT_EQ(encoded(u, version::v311), in);
  u.filters = {"a/b", "#", "$share/g/+"};
  expect_round_trip(u, version::v311);
  u.props.user_properties = {{"x", "y"}};
  expect_round_trip(u, version::v5);
}

TEST(mqtt_unsubscribe, malformed) {
  EXPECT_EQ(error_of(hex("A2 05 00 00 00 01 61"), version::v311), errc::bad_packet_id);
  EXPECT_EQ(error_of(hex("A2 02 00 01"), version::v311), errc::empty_subscription);
  EXPECT_EQ(error_of(hex("A2 03 00 01 00"), version::v5), errc::empty_subscription);
  EXPECT_EQ(error_of(hex("A2 06 00 01 00 02 23 2B"), version::v311), errc::invalid_filter);
  EXPECT_EQ(error_of(hex("A2 05 00 01 00 01 FF"), version::v311), errc::invalid_utf8);
  EXPECT_EQ(error_of(hex("A2 06 00 01 00 01 61 00"), version::v311), errc::malformed);
  EXPECT_EQ(error_of(hex("A2 08 00 01 02 0B 01 00 01 61"), version::v5), errc::bad_property);
}

TEST(mqtt_unsuback, versions) {
  EXPECT_EQ(decode_as<unsuback>(hex("B0 02 00 0B"), version::v311).packet_id, 11);
  unsuback u{11, {reason::success, reason::no_subscription_existed}, {}};
  EXPECT_EQ(encoded(u, version::v311), hex("B0 02 00 0B"));  // no payload in 3.x
  EXPECT_EQ(encoded(u, version::v5), hex("B0 05 00 0B 00 00 11"));
  expect_round_trip(unsuback{11, {}, {}}, version::v311);
  expect_round_trip(u, version::v5);
  u.props.reason_string = "r";
  u.props.user_properties = {{"1", "2"}};
  expect_round_trip(u, version::v5);
  EXPECT_EQ(error_of(hex("B0 03 00 0B 00"), version::v311), errc::malformed);
  EXPECT_EQ(error_of(hex("B0 03 00 0B 00"), version::v5), errc::malformed);  // no codes
  EXPECT_EQ(error_of(hex("B0 04 00 0B 00 01"), version::v5), errc::protocol_error);
  EXPECT_EQ(error_of(hex("B0 02 00 00"), version::v311), errc::bad_packet_id);
}
