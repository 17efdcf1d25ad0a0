#include "broker/auth/sign.hpp"

#include <gtest/gtest.h>

namespace iotb::auth {
namespace {

TEST(Sign, SpecVector) {
  auto content = device_sign_content("12345", "device", "pk", std::string("789"));
  EXPECT_EQ(content, "clientId12345deviceNamedeviceproductKeypktimestamp789");
  auto hex = tls::hmac_hex(tls::sign_method::hmacsha1, "secret", content);
  std::string upper;
  for (char c : hex)
    upper.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  EXPECT_EQ(upper.substr(0, 36), "FAFD82A3D602B37FB0FA8B7892F24A477F85");
  EXPECT_TRUE(tls::hmac_verify(tls::sign_method::hmacsha1, "secret", content, upper));
  EXPECT_TRUE(tls::hmac_verify(tls::sign_method::hmacsha1, "secret", content, hex));
  EXPECT_FALSE(tls::hmac_verify(tls::sign_method::hmacsha1, "Secret", content, hex));
  EXPECT_FALSE(tls::hmac_verify(tls::sign_method::hmacsha256, "secret", content, hex));
}

TEST(Sign, ContentWithoutTimestamp) {
  EXPECT_EQ(device_sign_content("pk.dn", "dn", "pk", std::nullopt),
            "clientIdpk.dndeviceNamednproductKeypk");
  EXPECT_EQ(register_sign_content("device1", "al123456789", "123"),
            "deviceNamedevice1productKeyal123456789random123");
}

TEST(Sign, Sdk32ClientId) {
  auto r = parse_client_id(
      "pk.dn|timestamp=2524608000000,_v=sdk-c-3.2.0,securemode=3,signmethod=hmacsha256,lan=C,"
      "_ss=1,gw=0,ext=0|");
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->has_extension);
  EXPECT_EQ(r->client_id, "pk.dn");
  EXPECT_EQ(r->timestamp, "2524608000000");
  EXPECT_EQ(r->securemode, 3);
  EXPECT_EQ(r->method, tls::sign_method::hmacsha256);
  EXPECT_TRUE(r->ss);
  EXPECT_EQ(r->ext, 0);
  EXPECT_EQ(r->type, auth_type::none);
}

TEST(Sign, Sdk4ClientIdAndRegistrationForms) {
  auto r = parse_client_id("pk.dn|timestamp=1,securemode=3,signmethod=hmacSha256,ext=3,_conn=x9|");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->ext, 3);
  EXPECT_EQ(r->method, tls::sign_method::hmacsha256);
  auto reg = parse_client_id("dn.pk|random=123,authType=register,securemode=2,signmethod=hmacsha256|");
  ASSERT_TRUE(reg);
  EXPECT_EQ(reg->type, auth_type::register_);
  EXPECT_EQ(reg->random, "123");
  EXPECT_EQ(reg->client_id, "dn.pk");
  auto nwl = parse_client_id("abc|securemode=-2,authType=connwl|");
  ASSERT_TRUE(nwl);
  EXPECT_EQ(nwl->type, auth_type::connwl);
  EXPECT_EQ(nwl->securemode, -2);
  EXPECT_EQ(nwl->method, tls::sign_method::hmacmd5);  // the default
  auto spaced = parse_client_id("c1|securemode=-2,authType=regnwl,random=1,signmethod=hmacsha1,instanceId =x|");
  ASSERT_TRUE(spaced);
  EXPECT_EQ(spaced->type, auth_type::regnwl);
}

TEST(Sign, PlainClientIds) {
  auto r = parse_client_id("mosquitto-sub-123");
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->has_extension);
  EXPECT_EQ(r->client_id, "mosquitto-sub-123");
  auto empty = parse_client_id("");
  ASSERT_TRUE(empty);
  EXPECT_FALSE(empty->has_extension);
}

TEST(Sign, MalformedExtensions) {
  struct bad {
    const char* id;
    sign_error e;
  };
  for (auto [id, e] : {bad{"pk.dn|securemode=3", sign_error::unterminated_extension},
                       bad{"pk.dn|", sign_error::unterminated_extension},
                       bad{"pk.dn|a=1|b=2|", sign_error::unterminated_extension},
                       bad{"pk.dn|=3|", sign_error::empty_key},
                       bad{"pk.dn|securemode=3,,signmethod=hmacmd5|", sign_error::empty_key},
                       bad{"|securemode=3|", sign_error::bad_client_id},
                       bad{"pk.dn|signmethod=hmacsha512|", sign_error::unsupported_sign_method},
                       bad{"pk.dn|securemode=x|", sign_error::bad_securemode},
                       bad{"pk.dn|timestamp=12a|", sign_error::bad_timestamp},
                       bad{"pk.dn|authType=magic|", sign_error::unknown_auth_type}}) {
    auto r = parse_client_id(id);
    ASSERT_FALSE(r) << id;
    EXPECT_EQ(r.error(), e) << id;
    EXPECT_STRNE(to_string(r.error()), "");
  }
  std::string long_id(65, 'a');
  EXPECT_FALSE(parse_client_id(long_id + "|securemode=3|"));
  EXPECT_TRUE(parse_client_id(std::string(64, 'a') + "|securemode=3|"));
}

TEST(Sign, Usernames) {
  auto u = parse_username("dev-1.x:y@z&a1B2c3D4e5F");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->device_name, "dev-1.x:y@z");
  EXPECT_EQ(u->product_key, "a1B2c3D4e5F");
  EXPECT_FALSE(parse_username("nodelimiter"));
  EXPECT_FALSE(parse_username("&pk"));
  EXPECT_FALSE(parse_username("dn&"));
}

TEST(Sign, NameRules) {
  EXPECT_TRUE(valid_product_name("thermo_1"));
  EXPECT_TRUE(valid_product_name("a(b)-c@d"));
  EXPECT_TRUE(valid_product_name("温度传感器"));  // 5 CJK letters
  EXPECT_FALSE(valid_product_name("abc"));
  EXPECT_FALSE(valid_product_name(std::string(31, 'a')));
  EXPECT_FALSE(valid_product_name("has space"));
  EXPECT_FALSE(valid_product_name("bad\xff\xfe"));
  EXPECT_TRUE(valid_device_name("dev-0001"));
  EXPECT_TRUE(valid_device_name("a.b:c@d_e"));
  EXPECT_FALSE(valid_device_name("abc"));
  EXPECT_FALSE(valid_device_name(std::string(33, 'a')));
  EXPECT_FALSE(valid_device_name("a/bcd"));
  EXPECT_FALSE(valid_device_name("a&bcd"));
  EXPECT_TRUE(valid_alias("My_alias"));
  EXPECT_FALSE(valid_alias("my-alias"));
}

}  // namespace
}  // namespace iotb::auth
