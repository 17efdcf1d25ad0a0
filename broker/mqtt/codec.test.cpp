// Tests of the fixed header, framing, and the packets other than CONNECT,
// CONNACK, PUBLISH and the (UN)SUBSCRIBE family (see connect.test.cpp,
// publish.test.cpp and subscribe.test.cpp).

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "broker/mqtt/codec.hpp"
#include "broker/mqtt/codec_test_util.hpp"

using namespace iotb::mqtt;
using namespace iotb::mqtt::test;

// -- fixed header and framing --------------------------------------------------

TEST(mqtt_fixed_header, remaining_length_forms) {
  auto h = decode_fixed_header(hex("C0 00"));
  ASSERT_TRUE(h);
  EXPECT_EQ(h->type, packet_type::pingreq);
  EXPECT_EQ(h->flags, 0);
  EXPECT_EQ(h->remaining_length, 0u);
  EXPECT_EQ(h->size, 2);
  h = decode_fixed_header(hex("3B 7F"));
  ASSERT_TRUE(h);
  EXPECT_EQ(h->type, packet_type::publish);
  EXPECT_EQ(h->flags, 0x0B);
  EXPECT_EQ(h->remaining_length, 127u);
  h = decode_fixed_header(hex("30 80 01"));
  ASSERT_TRUE(h);
  EXPECT_EQ(h->remaining_length, 128u);
  EXPECT_EQ(h->size, 3);
  h = decode_fixed_header(hex("30 FF 7F"));
  ASSERT_TRUE(h);
  EXPECT_EQ(h->remaining_length, 16383u);
  h = decode_fixed_header(hex("30 80 80 01"));
  ASSERT_TRUE(h);
  EXPECT_EQ(h->remaining_length, 16384u);
  EXPECT_EQ(h->size, 4);
  h = decode_fixed_header(hex("30 FF FF FF 7F"));
  ASSERT_TRUE(h);
  EXPECT_EQ(h->remaining_length, max_remaining_length);
  EXPECT_EQ(h->size, 5);
  // Non-minimal encodings are accepted.
  h = decode_fixed_header(hex("C0 80 80 80 00"));
  ASSERT_TRUE(h);
  EXPECT_EQ(h->remaining_length, 0u);
  EXPECT_EQ(h->size, 5);
  auto f = next_frame(hex("C0 80 00"), 1024);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->total, 3u);
  EXPECT_TRUE(decode_packet(f->header, f->body, version::v311));
}

TEST(mqtt_fixed_header, incomplete_and_invalid) {
  EXPECT_EQ(decode_fixed_header({}).error().code, errc::need_more);
  EXPECT_EQ(decode_fixed_header(hex("30")).error().code, errc::need_more);
  EXPECT_EQ(decode_fixed_header(hex("30 80")).error().code, errc::need_more);
  EXPECT_EQ(decode_fixed_header(hex("30 80 80 80")).error().code, errc::need_more);
  // A fifth length byte is an error as soon as the fourth says it follows.
  EXPECT_EQ(decode_fixed_header(hex("30 80 80 80 80")).error().code, errc::bad_remaining_length);
  EXPECT_EQ(decode_fixed_header(hex("30 FF FF FF FF 7F")).error().code, errc::bad_remaining_length);
  EXPECT_EQ(next_frame(hex("30 80 80 80 80 01"), 1024).error().code, errc::bad_remaining_length);
  EXPECT_EQ(decode_fixed_header(hex("00 00")).error().code, errc::bad_packet_type);
  EXPECT_EQ(decode_fixed_header(hex("0F")).error().code, errc::bad_packet_type);
}

TEST(mqtt_fixed_header, packet_too_large_from_header_alone) {
  // A 2 MiB PUBLISH announced by a 4-byte header; the body is absent.
  auto in = hex("30 80 80 80 01");
  EXPECT_EQ(decode_fixed_header(in, 1 << 20).error().code, errc::packet_too_large);
  EXPECT_EQ(next_frame(in, 1 << 20).error().code, errc::packet_too_large);
  // The limit counts the fixed header: 2 + 126 fits in 128, 2 + 127 does not.
  EXPECT_TRUE(decode_fixed_header(hex("30 7E"), 128));
  EXPECT_EQ(decode_fixed_header(hex("30 7F"), 128).error().code, errc::packet_too_large);
  EXPECT_EQ(next_frame(hex("30 7F"), 128).error().code, errc::packet_too_large);
  EXPECT_EQ(next_frame(hex("30 7E"), 128).error().code, errc::need_more);
  // The largest packet passes the default limit.
  EXPECT_TRUE(decode_fixed_header(hex("30 FF FF FF 7F")));
}

TEST(mqtt_framing, frames_and_need_more) {
  auto in = hex("C0 00 D0 00 32 09 00 03 61 2F 62 00 01 68 69");
  auto f = next_frame(in, 1024);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->header.type, packet_type::pingreq);
  EXPECT_EQ(f->total, 2u);
  EXPECT_TRUE(f->body.empty());
  f = next_frame(bytes{in}.subspan(4), 1024);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->header.type, packet_type::publish);
  EXPECT_EQ(f->body.size(), 9u);
  EXPECT_EQ(f->body.data(), in.data() + 6);
  EXPECT_EQ(f->total, 11u);
  for (std::size_t n = 4; n < in.size(); ++n)
    EXPECT_EQ(next_frame(bytes{in}.subspan(4, n - 4), 1024).error().code, errc::need_more);
  // decode_packet insists on a body of exactly the remaining length.
  EXPECT_EQ(decode_packet(f->header, f->body.subspan(1), version::v311).error().code,
            errc::malformed);
}

namespace {

/// A varied sequence of MQTT 5 packets.
std::vector<packet> sample_packets() {
  std::vector<packet> out;
  connect c;
  c.ver = version::v5;
  c.client_id = "stream";
  c.props.receive_maximum = 5;
  out.emplace_back(c);
  out.emplace_back(connack{true, reason::success, {}});
  publish p;
  p.topic = "a/b";
  p.q = qos::at_least_once;
  p.packet_id = 1;
  p.payload = std::string(300, 'x');
  p.props.user_properties = {{"k", "v"}};
  out.emplace_back(p);
  out.emplace_back(pub_ack{packet_type::puback, 1, reason::success, {}});
  out.emplace_back(pingreq{});
  subscribe s;
  s.packet_id = 2;
  s.filters = {{"x/#", {qos::exactly_once, true, true, 2}}, {"$share/g/y", {}}};
  s.props.subscription_identifier = 77;
  out.emplace_back(s);
  out.emplace_back(suback{2, {reason::granted_qos2, reason::not_authorized}, {}});
  p.payload = std::string(20000, 'y');
  p.packet_id = 3;
  p.q = qos::exactly_once;
  out.emplace_back(p);
  out.emplace_back(pub_ack{packet_type::pubrec, 3, reason::success, {}});
  out.emplace_back(pub_ack{packet_type::pubrel, 3, reason::success, {}});
  out.emplace_back(pub_ack{packet_type::pubcomp, 3, reason::packet_identifier_not_found, {}});
  out.emplace_back(unsubscribe{4, {"x/#"}, {}});
  out.emplace_back(unsuback{4, {reason::success}, {}});
  out.emplace_back(pingresp{});
  out.emplace_back(auth{reason::continue_authentication, {}});
  out.emplace_back(disconnect{});
  return out;
}

/// Feeds `in` in chunks of sizes drawn by `next_size` through next_frame
/// like a connection would, returning the decoded packets.
template <class NextSize>
std::vector<packet> feed(const buffer& in, NextSize next_size) {
  std::vector<packet> got;
  buffer pending;
  std::size_t pos = 0;
  while (pos < in.size()) {
    auto n = std::min(next_size(), in.size() - pos);
    pending.insert(pending.end(), in.begin() + static_cast<std::ptrdiff_t>(pos),
                   in.begin() + static_cast<std::ptrdiff_t>(pos + n));
    pos += n;
    std::size_t off = 0;
    for (;;) {
      auto f = next_frame(bytes{pending}.subspan(off), 1 << 20);
      if (!f) {
        EXPECT_EQ(f.error().code, errc::need_more) << f.error().what;
        break;
      }
      auto p = decode_packet(f->header, f->body, version::v5);
      EXPECT_TRUE(p) << (p ? "" : p.error().what);
      if (p)
        got.push_back(std::move(*p));
      off += f->total;
    }
    pending.erase(pending.begin(), pending.begin() + static_cast<std::ptrdiff_t>(off));
  }
  EXPECT_TRUE(pending.empty());
  return got;
}

}  // namespace

TEST(mqtt_framing, split_stream_byte_by_byte) {
  auto packets = sample_packets();
  buffer stream;
  for (const auto& p : packets)
    encode(p, version::v5, stream);
  auto got = feed(stream, [] { return std::size_t{1}; });
  EXPECT_TRUE(got == packets);
}

TEST(mqtt_framing, split_stream_random_chunks) {
  auto packets = sample_packets();
  buffer stream;
  for (const auto& p : packets)
    encode(p, version::v5, stream);
  std::mt19937 rng{12345};
  for (int round = 0; round < 50; ++round) {
    std::uniform_int_distribution<std::size_t> dist{1, round < 25 ? 7u : 5000u};
    auto got = feed(stream, [&] { return dist(rng); });
    ASSERT_TRUE(got == packets) << "round " << round;
  }
  // All at once.
  EXPECT_TRUE(feed(stream, [&] { return stream.size(); }) == packets);
}

// -- fixed header flags per type -----------------------------------------------

TEST(mqtt_flags, reserved_flags_are_checked) {
  EXPECT_EQ(error_of(hex("42 02 00 01"), version::v311), errc::bad_flags);  // PUBACK
  EXPECT_EQ(error_of(hex("51 02 00 01"), version::v311), errc::bad_flags);  // PUBREC
  EXPECT_EQ(error_of(hex("60 02 00 01"), version::v311), errc::bad_flags);  // PUBREL
  EXPECT_EQ(error_of(hex("63 02 00 01"), version::v311), errc::bad_flags);
  EXPECT_EQ(error_of(hex("78 02 00 01"), version::v311), errc::bad_flags);  // PUBCOMP
  EXPECT_EQ(error_of(hex("80 06 00 01 00 01 61 00"), version::v311), errc::bad_flags);
  EXPECT_EQ(error_of(hex("83 06 00 01 00 01 61 00"), version::v311), errc::bad_flags);
  EXPECT_EQ(error_of(hex("92 03 00 01 00"), version::v311), errc::bad_flags);  // SUBACK
  EXPECT_EQ(error_of(hex("A0 05 00 01 00 01 61"), version::v311), errc::bad_flags);
  EXPECT_EQ(error_of(hex("B2 02 00 01"), version::v311), errc::bad_flags);  // UNSUBACK
  EXPECT_EQ(error_of(hex("C1 00"), version::v311), errc::bad_flags);
  EXPECT_EQ(error_of(hex("D8 00"), version::v311), errc::bad_flags);
  EXPECT_EQ(error_of(hex("E2 00"), version::v311), errc::bad_flags);
  EXPECT_EQ(error_of(hex("F1 00"), version::v5), errc::bad_flags);
}

TEST(mqtt_flags, auth_needs_mqtt5) {
  EXPECT_EQ(error_of(hex("F0 00"), version::v311), errc::bad_packet_type);
  EXPECT_EQ(error_of(hex("F0 00"), version::v31), errc::bad_packet_type);
  EXPECT_TRUE(decode(hex("F0 00"), version::v5));
}

// -- PUBACK, PUBREC, PUBREL, PUBCOMP -------------------------------------------

TEST(mqtt_pub_ack, well_known_bytes) {
  struct row {
    const char* bytes;
    packet_type type;
  };
  for (auto r :
       {row{"40 02 00 07", packet_type::puback}, row{"50 02 00 07", packet_type::pubrec},
        row{"62 02 00 07", packet_type::pubrel}, row{"70 02 00 07", packet_type::pubcomp}}) {
    for (auto v : {version::v311, version::v5}) {
      auto a = decode_as<pub_ack>(hex(r.bytes), v);
      EXPECT_EQ(a.type, r.type);
      EXPECT_EQ(a.packet_id, 7);
      EXPECT_EQ(a.code, reason::success);
      EXPECT_EQ(encoded(a, v), hex(r.bytes));
    }
  }
  auto a = decode_as<pub_ack>(hex("40 03 00 07 10"), version::v5);
  EXPECT_EQ(a.code, reason::no_matching_subscribers);
  EXPECT_EQ(encoded(a, version::v5), hex("40 03 00 07 10"));
  a = decode_as<pub_ack>(hex("40 04 00 07 10 00"), version::v5);
  EXPECT_EQ(a.code, reason::no_matching_subscribers);
  EXPECT_EQ(encoded(a, version::v5), hex("40 03 00 07 10"));  // canonical short form
  a = decode_as<pub_ack>(hex("40 04 00 07 00 00"), version::v5);
  EXPECT_EQ(encoded(a, version::v5), hex("40 02 00 07"));
  a = pub_ack{packet_type::puback, 7, reason::success, {}};
  a.props.reason_string = "x";
  EXPECT_EQ(encoded(a, version::v5), hex("40 08 00 07 00 04 1F 00 01 78"));
  EXPECT_EQ(encoded(a, version::v311), hex("40 02 00 07"));
  a.code = reason::not_authorized;
  EXPECT_EQ(encoded(a, version::v311), hex("40 02 00 07"));
}

TEST(mqtt_pub_ack, round_trips) {
  for (auto t :
       {packet_type::puback, packet_type::pubrec, packet_type::pubrel, packet_type::pubcomp}) {
    pub_ack a{t, 65535, reason::success, {}};
    expect_round_trip(a, version::v311);
    expect_round_trip(a, version::v5);
    a.code = t == packet_type::pubrel || t == packet_type::pubcomp
                 ? reason::packet_identifier_not_found
                 : reason::quota_exceeded;
    expect_round_trip(a, version::v5);
    a.props.reason_string = "why";
    a.props.user_properties = {{"a", "b"}, {"c", "d"}};
    expect_round_trip(a, version::v5);
    a.code = reason::success;
    expect_round_trip(a, version::v5);
  }
}

TEST(mqtt_pub_ack, malformed) {
  EXPECT_EQ(error_of(hex("40 02 00 00"), version::v311), errc::bad_packet_id);
  EXPECT_EQ(error_of(hex("62 02 00 00"), version::v5), errc::bad_packet_id);
  EXPECT_EQ(error_of(hex("40 01 00"), version::v311), errc::malformed);
  EXPECT_EQ(error_of(hex("40 00"), version::v5), errc::malformed);
  EXPECT_EQ(error_of(hex("40 03 00 07 00"), version::v311), errc::malformed);     // 3.x: 2 bytes
  EXPECT_EQ(error_of(hex("62 03 00 07 10"), version::v5), errc::protocol_error);  // PUBREL 0x10
  EXPECT_EQ(error_of(hex("40 03 00 07 92"), version::v5), errc::protocol_error);  // PUBACK 0x92
  EXPECT_EQ(error_of(hex("40 03 00 07 05"), version::v5), errc::protocol_error);
  EXPECT_EQ(error_of(hex("40 09 00 07 00 05 11 00 00 00 01"), version::v5), errc::bad_property);
  EXPECT_EQ(error_of(hex("40 05 00 07 00 03 1F"), version::v5), errc::malformed);
  EXPECT_EQ(error_of(hex("40 05 00 07 00 00 00"), version::v5), errc::malformed);  // trailing
  EXPECT_EQ(error_of(hex("40 0A 00 07 00 06 1F 00 01 78 26 00"), version::v5), errc::malformed);
  EXPECT_EQ(error_of(hex("40 0E 00 07 00 0A 1F 00 01 78 1F 00 01 79 00 00"), version::v5),
            errc::bad_property);  // reason string twice
}

// -- PINGREQ / PINGRESP / DISCONNECT / AUTH --------------------------------------

TEST(mqtt_ping, bytes) {
  EXPECT_EQ(encoded(pingreq{}, version::v311), hex("C0 00"));
  EXPECT_EQ(encoded(pingresp{}, version::v5), hex("D0 00"));
  decode_as<pingreq>(hex("C0 00"), version::v311);
  decode_as<pingresp>(hex("D0 00"), version::v5);
  EXPECT_EQ(error_of(hex("C0 01 00"), version::v311), errc::malformed);
  EXPECT_EQ(error_of(hex("D0 01 00"), version::v5), errc::malformed);
}

TEST(mqtt_disconnect, versions) {
  EXPECT_EQ(encoded(disconnect{}, version::v311), hex("E0 00"));
  EXPECT_EQ(encoded(disconnect{}, version::v5), hex("E0 00"));
  disconnect d{reason::session_taken_over, {}};
  EXPECT_EQ(encoded(d, version::v311), hex("E0 00"));
  EXPECT_EQ(encoded(d, version::v5), hex("E0 01 8E"));
  d.props.reason_string = "x";
  EXPECT_EQ(encoded(d, version::v5), hex("E0 06 8E 04 1F 00 01 78"));
  EXPECT_EQ(encoded(d, version::v311), hex("E0 00"));
  decode_as<disconnect>(hex("E0 00"), version::v311);
  EXPECT_EQ(decode_as<disconnect>(hex("E0 00"), version::v5).code, reason::success);
  EXPECT_EQ(decode_as<disconnect>(hex("E0 01 04"), version::v5).code, reason::disconnect_with_will);
  EXPECT_EQ(decode_as<disconnect>(hex("E0 02 00 00"), version::v5), disconnect{});
  expect_round_trip(d, version::v5);
  d.code = reason::success;
  d.props.session_expiry_interval = 0;
  d.props.server_reference = "srv";
  d.props.user_properties = {{"a", "b"}};
  expect_round_trip(d, version::v5);
  expect_round_trip(disconnect{}, version::v311);
  EXPECT_EQ(error_of(hex("E0 01 00"), version::v311), errc::malformed);
  EXPECT_EQ(error_of(hex("E0 01 01"), version::v5), errc::protocol_error);
  EXPECT_EQ(error_of(hex("E0 05 00 03 15 00 00"), version::v5), errc::bad_property);
  EXPECT_EQ(error_of(hex("E0 03 00 00 00"), version::v5), errc::malformed);
}

TEST(mqtt_auth, round_trips_and_rules) {
  EXPECT_EQ(encoded(auth{}, version::v5), hex("F0 00"));
  auth a{reason::continue_authentication, {}};
  a.props.authentication_method = "SCRAM";
  EXPECT_EQ(encoded(a, version::v5), hex("F0 0A 18 08 15 00 05 53 43 52 41 4D"));
  EXPECT_EQ(decode_as<auth>(hex("F0 0A 18 08 15 00 05 53 43 52 41 4D"), version::v5), a);
  a.props.authentication_data = std::string("\0\1\2", 3);
  a.props.reason_string = "more";
  a.props.user_properties = {{"k", "v"}};
  expect_round_trip(a, version::v5);
  expect_round_trip(auth{reason::re_authenticate, {}}, version::v5);
  EXPECT_EQ(decode_as<auth>(hex("F0 01 19"), version::v5).code, reason::re_authenticate);
  EXPECT_EQ(error_of(hex("F0 01 80"), version::v5), errc::protocol_error);
  EXPECT_EQ(error_of(hex("F0 06 18 04 16 00 01 78"), version::v5), errc::protocol_error);
  EXPECT_EQ(error_of(hex("F0 07 18 05 11 00 00 00 01"), version::v5), errc::bad_property);
  EXPECT_EQ(error_of(hex("F0 03 18 00 00"), version::v5), errc::malformed);
}

// -- properties: every kind in the `properties` shape ---------------------------

TEST(mqtt_properties, connack_range_and_duplicate_checks) {
  auto connack_with = [](const builder& props) {
    return builder{}.u8(0).u8(0).props(props).packet(0x20);
  };
  EXPECT_TRUE(decode(connack_with(builder{}.u8(0x24).u8(1).u8(0x2A).u8(0)), version::v5));
  EXPECT_EQ(error_of(connack_with(builder{}.u8(0x28).u8(2)), version::v5), errc::bad_property);
  EXPECT_EQ(error_of(connack_with(builder{}.u8(0x29).u8(7)), version::v5), errc::bad_property);
  EXPECT_EQ(error_of(connack_with(builder{}.u8(0x2A).u8(2)), version::v5), errc::bad_property);
  EXPECT_EQ(error_of(connack_with(builder{}.u8(0x21).u16(0)), version::v5), errc::bad_property);
  EXPECT_EQ(error_of(connack_with(builder{}.u8(0x27).u32(0)), version::v5), errc::bad_property);
  EXPECT_EQ(error_of(connack_with(builder{}.u8(0x13).u16(1).u8(0x13).u16(1)), version::v5),
            errc::bad_property);
  EXPECT_EQ(error_of(connack_with(builder{}.u8(0x12).str("\xC3")), version::v5),
            errc::invalid_utf8);
  EXPECT_EQ(error_of(connack_with(builder{}.u8(0x0B).varint(1)), version::v5), errc::bad_property);
  EXPECT_EQ(error_of(connack_with(builder{}.u8(0x01).u8(0)), version::v5), errc::bad_property);
  // A 5-byte property length.
  EXPECT_EQ(error_of(hex("20 07 00 00 80 80 80 80 01"), version::v5), errc::malformed);
}

// -- error helpers --------------------------------------------------------------

TEST(mqtt_errors, names_and_reasons) {
  for (int i = 1; i <= static_cast<int>(errc::protocol_error); ++i) {
    auto e = static_cast<errc>(i);
    EXPECT_NE(to_string(e), "unknown") << i;
  }
  EXPECT_EQ(to_reason(errc::malformed), reason::malformed_packet);
  EXPECT_EQ(to_reason(errc::packet_too_large), reason::packet_too_large);
  EXPECT_EQ(to_reason(errc::unsupported_version), reason::unsupported_protocol_version);
  EXPECT_EQ(to_reason(errc::invalid_topic), reason::topic_name_invalid);
  EXPECT_EQ(to_reason(errc::invalid_filter), reason::topic_filter_invalid);
  EXPECT_EQ(to_reason(errc::topic_alias_invalid), reason::topic_alias_invalid);
  EXPECT_EQ(to_reason(errc::protocol_error), reason::protocol_error);
  EXPECT_EQ(to_string(packet_type::publish), "PUBLISH");
  EXPECT_EQ(to_string(static_cast<packet_type>(0)), "RESERVED");
  EXPECT_EQ(to_string(reason::not_authorized), "not authorized");
  EXPECT_EQ(to_string(static_cast<reason>(0x03)), "unknown reason code");
}

TEST(mqtt_errors, every_error_explains_itself) {
  const char* inputs[] = {"30 03 00 00 78", "82 02 00 01",       "40 02 00 00",         "C1 00",
                          "F0 00",          "38 04 00 01 74 78", "30 05 00 02 C3 28 78"};
  for (auto* in : inputs) {
    auto p = decode(hex(in), version::v311);
    ASSERT_FALSE(p) << in;
    ASSERT_NE(p.error().what, nullptr);
    EXPECT_GT(std::string_view{p.error().what}.size(), 5u) << in;
  }
}
