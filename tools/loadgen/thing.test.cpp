// The thing scenario's Alink post ids, bodies and reply parsing.

#include "tools/loadgen/thing.hpp"

#include <gtest/gtest.h>

namespace iotb::loadgen {
namespace {

TEST(ThingPostId, RoundTripsIncludingExtremes) {
  for (auto id : {post_id{0, 0, 0}, post_id{7, 123456, 987654321012345},
                  post_id{4294967295U, ~std::uint64_t{0}, ~std::uint64_t{0}}}) {
    auto text = encode_post_id(id);
    EXPECT_LE(text.size(), 64u);  // the broker's limit on Alink ids
    auto back = decode_post_id(text);
    ASSERT_TRUE(back) << text;
    EXPECT_EQ(*back, id);
  }
  EXPECT_EQ(encode_post_id({3, 14, 15}), "3.14.15");
}

TEST(ThingPostId, RefusesWhatItDidNotWrite) {
  for (const char* bad : {"", "1", "1.2", "1.2.", ".2.3", "1..3", "1.2.3.4", "1.2.x", "a.2.3",
                          "-1.2.3", "+1.2.3", " 1.2.3", "1.2.3 ", "4294967296.0.0",
                          "1.18446744073709551616.0", "1.2.000000000000000000003"})
    EXPECT_FALSE(decode_post_id(bad)) << bad;
}

TEST(ThingPost, BodyIsCompactAlinkWithValidDefaults) {
  std::string out = "left over";
  write_property_post(out, {2, 105, 99}, {});
  EXPECT_EQ(out, R"({"id":"2.105.99","version":"1.0","params":{"Brightness":4,"LightSwitch":1},)"
                 R"("method":"thing.event.property.post"})");
  write_property_post(out, {0, 100, 1}, R"({"Note":"x"})");
  EXPECT_EQ(out, R"({"id":"0.100.1","version":"1.0","params":{"Note":"x"},)"
                 R"("method":"thing.event.property.post"})");
  write_property_post(out, {0, 100, 1}, {});
  EXPECT_NE(out.find(R"("Brightness":100,"LightSwitch":0)"), std::string::npos);  // max 100
}

TEST(ThingPost, Topics) {
  EXPECT_EQ(property_post_topic("a1Lamp", "lamp-1"),
            "/sys/a1Lamp/lamp-1/thing/event/property/post");
  EXPECT_EQ(property_reply_topic("a1Lamp", "lamp-1"),
            "/sys/a1Lamp/lamp-1/thing/event/property/post_reply");
}

TEST(ThingReply, ReadsTheBrokersReplies) {
  auto r = parse_alink_reply(R"({"id":"5.6.7","code":200,"data":{},"message":"success",)"
                             R"("method":"thing.event.property.post","version":"1.0"})");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->id, (post_id{5, 6, 7}));
  EXPECT_EQ(r->code, 200);
  EXPECT_TRUE(r->data_empty);
  EXPECT_TRUE(r->accepted());

  // Weak mode: 200 with findings in data.
  r = parse_alink_reply(R"({"id":"1.2.3","code":200,"data":{"Bogus":"tsl parse: params not )"
                        R"(exist -> Bogus"},"message":"success"})");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->code, 200);
  EXPECT_FALSE(r->data_empty);
  EXPECT_FALSE(r->accepted());

  // Strict mode: a refusal code.
  r = parse_alink_reply(R"({"id":"1.2.3","code":6306,"data":{},"message":"tsl parse: x"})");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->code, 6306);
  EXPECT_FALSE(r->accepted());
}

TEST(ThingReply, RefusesForeignPayloads) {
  for (const char* bad :
       {"", "{}", R"({"id":"7","code":200,"data":{}})", R"({"id":"1.2.3","data":{}})",
        R"({"id":"1.2.3","code":"200"})", R"({"id":"1.2.3)", "\x01\x02\x03 binary"})
    EXPECT_FALSE(parse_alink_reply(bad)) << bad;
}

}  // namespace
}  // namespace iotb::loadgen
