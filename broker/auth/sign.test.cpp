#include "broker/auth/sign.hpp"

#include <gtest/gtest.h>

#include <cctype>

namespace iotb::auth {
namespace {

using tls::sign_method;

std::string upper(std::string s) {
  for (auto& c : s)
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

TEST(Sign, SpecVector) {
  // SPEC §2.1 / the device access guide: clientId 12345, deviceName device,
  // productKey pk, timestamp 789, hmacsha1, DeviceSecret "secret".
  auto ext = parse_client_id("12345|securemode=3,signmethod=hmacsha1,timestamp=789|");
  ASSERT_TRUE(ext);
  auto user = parse_username("device&pk");
  ASSERT_TRUE(user);
  auto content =
      device_sign_content(ext->client_id, user->device_name, user->product_key, ext->timestamp);
  EXPECT_EQ(content, "clientId12345deviceNamedeviceproductKeypktimestamp789");
  auto hex = device_password(ext->method, "secret", content);
  EXPECT_EQ(hex, "fafd82a3d602b37fb0fa8b7892f24a477f851a14");
  EXPECT_EQ(upper(hex).substr(0, 36), "FAFD82A3D602B37FB0FA8B7892F24A477F85");
  EXPECT_TRUE(verify_device_password(ext->method, "secret", content, upper(hex)));
  EXPECT_TRUE(verify_device_password(ext->method, "secret", content, hex));
  EXPECT_TRUE(verify_device_password(ext->method, "secret", content,
                                     "FaFd82a3D602b37FB0FA8B7892F24A477F851A14"));
}

TEST(Sign, WrongPassword) {
  auto content = device_sign_content("12345", "device", "pk", std::string("789"));
  auto hex = device_password(sign_method::hmacsha1, "secret", content);
  EXPECT_FALSE(verify_device_password(sign_method::hmacsha1, "Secret", content, hex));
  EXPECT_FALSE(verify_device_password(sign_method::hmacsha256, "secret", content, hex));
  EXPECT_FALSE(verify_device_password(sign_method::hmacmd5, "secret", content, hex));
  EXPECT_FALSE(verify_device_password(sign_method::hmacsha1, "secret",
                                      device_sign_content("12345", "device", "pk", std::nullopt),
                                      hex));
  auto last = hex;
  last.back() = last.back() == '4' ? '5' : '4';
  EXPECT_FALSE(verify_device_password(sign_method::hmacsha1, "secret", content, last));
  EXPECT_FALSE(verify_device_password(sign_method::hmacsha1, "secret", content, ""));
  EXPECT_FALSE(verify_device_password(sign_method::hmacsha1, "secret", content, "secret"));
}

TEST(Sign, Sdk32PasswordUppercaseSha256) {
  // The 3.2 SDK signs clientId = "${pk}.${dn}" with hmacsha256 and sends
  // UPPERCASE hex.
  auto ext = parse_client_id(
      "pk.dn|timestamp=2524608000000,_v=sdk-c-3.2.0,securemode=3,signmethod=hmacsha256,lan=C,"
      "_ss=1,gw=0,ext=0|");
  ASSERT_TRUE(ext);
  auto content = device_sign_content(ext->client_id, "dn", "pk", ext->timestamp);
  EXPECT_EQ(content, "clientIdpk.dndeviceNamednproductKeypktimestamp2524608000000");
  const std::string secret = "0123456789abcdef0123456789abcdef";
  EXPECT_EQ(device_password(ext->method, secret, content),
            "d92b8ec1e3d538c4297658e1356a0ea10ad258352c5f47ea32b1ef31fa8b66b7");
  EXPECT_TRUE(
      verify_device_password(ext->method, secret, content,
                             "D92B8EC1E3D538C4297658E1356A0EA10AD258352C5F47EA32B1EF31FA8B66B7"));
}

TEST(Sign, SortedContent) {
  // The general form sorts by name; the fast paths agree with it.
  EXPECT_EQ(sign_content({{"timestamp", "789"},
                          {"productKey", "pk"},
                          {"clientId", "12345"},
                          {"deviceName", "device"}}),
            device_sign_content("12345", "device", "pk", std::string("789")));
  EXPECT_EQ(
      sign_content({{"random", "123"}, {"productKey", "al123456789"}, {"deviceName", "device1"}}),
      register_sign_content("device1", "al123456789", "123"));
  EXPECT_EQ(sign_content({}), "");
  // The HTTP auth example of the reference: clientId, deviceName,
  // productKey, seq and timestamp, sorted.
  EXPECT_EQ(sign_content({{"seq", "10"},
                          {"timestamp", "1"},
                          {"clientId", "c"},
                          {"productKey", "p"},
                          {"deviceName", "d"}}),
            "clientIdcdeviceNamedproductKeypseq10timestamp1");
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
  EXPECT_FALSE(r->gw);
  EXPECT_EQ(r->sdk_version, "sdk-c-3.2.0");
  EXPECT_EQ(r->lan, "C");
  EXPECT_EQ(r->type, auth_type::none);
  EXPECT_TRUE(r->random.empty());
}

TEST(Sign, Sdk4ClientIdAndRegistrationForms) {
  auto r = parse_client_id(
      "pk.dn|timestamp=2524608000000,_v=sdk-c-4.1.0,securemode=3,signmethod=hmacsha256,lan=C,"
      "_ss=1,gw=0,ext=3,_conn=3f2a9c01d7|");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->client_id, "pk.dn");
  EXPECT_EQ(r->ext, 3);
  EXPECT_TRUE(r->ss);
  EXPECT_EQ(r->method, tls::sign_method::hmacsha256);
  auto mixed = parse_client_id("pk.dn|signmethod=hmacSha256,securemode=3|");
  ASSERT_TRUE(mixed);
  EXPECT_EQ(mixed->method, tls::sign_method::hmacsha256);
  auto reg =
      parse_client_id("dn.pk|random=123,authType=register,securemode=2,signmethod=hmacsha256|");
  ASSERT_TRUE(reg);
  EXPECT_EQ(reg->type, auth_type::register_);
  EXPECT_EQ(reg->random, "123");
  EXPECT_EQ(reg->client_id, "dn.pk");
  auto nwl = parse_client_id("abc|securemode=-2,authType=connwl|");
  ASSERT_TRUE(nwl);
  EXPECT_EQ(nwl->type, auth_type::connwl);
  EXPECT_EQ(nwl->securemode, -2);
  EXPECT_EQ(nwl->method, tls::sign_method::hmacmd5);  // the default
  auto spaced = parse_client_id(
      "c1|securemode=-2,authType=regnwl,random=1,signmethod=hmacsha1,instanceId =iot-x |");
  ASSERT_TRUE(spaced);
  EXPECT_EQ(spaced->type, auth_type::regnwl);
  EXPECT_EQ(spaced->instance_id, "iot-x");
  EXPECT_EQ(spaced->method, tls::sign_method::hmacsha1);
  auto pre = parse_client_id("c1|securemode=2,authType=register,random=99,signmethod=HmacSHA1|");
  ASSERT_TRUE(pre);
  EXPECT_EQ(pre->securemode, 2);
  EXPECT_EQ(pre->random, "99");
}

TEST(Sign, RegistrationContentExample) {
  // The reference's pre-registration example.
  auto content = register_sign_content("device1", "al123456789", "123");
  EXPECT_EQ(content, "deviceNamedevice1productKeyal123456789random123");
  auto pw = device_password(sign_method::hmacsha256, "ps", content);
  EXPECT_EQ(pw, "eee43a93f289cc878cf8d04a5b1d61ca7c33e4cfc3d1af6bd69b1322a64c2012");
  EXPECT_TRUE(verify_device_password(sign_method::hmacsha256, "ps", content, upper(pw)));
}

TEST(Sign, OptionalAndLenientKeys) {
  auto r = parse_client_id("dev|signmethod=hmacsha1|");  // no securemode: allowed
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->securemode);
  EXPECT_FALSE(r->timestamp);
  auto zero = parse_client_id("dev|securemode=0|");  // any integer
  ASSERT_TRUE(zero);
  EXPECT_EQ(zero->securemode, 0);
  auto empty = parse_client_id("dev||");  // an empty extension
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->has_extension);
  EXPECT_EQ(empty->method, tls::sign_method::hmacmd5);
  auto flags = parse_client_id("dev|gw=1,_ss=0,ext=x,unknown=1,novalue|");
  ASSERT_TRUE(flags);
  EXPECT_TRUE(flags->gw);
  EXPECT_FALSE(flags->ss);
  EXPECT_EQ(flags->ext, 0);
  auto last = parse_client_id("dev|signmethod=hmacmd5,signmethod=hmacsha256|");
  ASSERT_TRUE(last);
  EXPECT_EQ(last->method, tls::sign_method::hmacsha256);
  auto trailing = parse_client_id("dev|securemode=3,|");  // a trailing comma is tolerated
  ASSERT_TRUE(trailing);
  EXPECT_EQ(trailing->securemode, 3);
  auto dots = parse_client_id("a.b-c_d:e@f|securemode=3|");
  ASSERT_TRUE(dots);
  EXPECT_EQ(dots->client_id, "a.b-c_d:e@f");
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
                       bad{"pk.dn|signmethod=sha256|", sign_error::unsupported_sign_method},
                       bad{"pk.dn|signmethod=|", sign_error::unsupported_sign_method},
                       bad{"pk.dn|securemode=|", sign_error::bad_securemode},
                       bad{"pk.dn|timestamp=|", sign_error::bad_timestamp},
                       bad{"pk.dn|timestamp=-1|", sign_error::bad_timestamp},
                       bad{"pk.dn| =x|", sign_error::empty_key},
                       bad{"pk.dn|securemode=3|x", sign_error::unterminated_extension},
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
  EXPECT_FALSE(parse_username(""));
  auto two = parse_username("dn&pk&x");  // split at the first '&'
  ASSERT_TRUE(two);
  EXPECT_EQ(two->device_name, "dn");
  EXPECT_EQ(two->product_key, "pk&x");
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
  EXPECT_FALSE(
      valid_product_name("a\xc0\x80"
                         "bc"));                    // overlong UTF-8
  EXPECT_FALSE(valid_product_name("abc\xe6\xb8"));  // truncated sequence
  EXPECT_TRUE(valid_device_name(std::string(32, 'a')));
  EXPECT_TRUE(valid_alias("My_alias"));
  EXPECT_FALSE(valid_alias("my-alias"));
  EXPECT_FALSE(valid_alias("abc"));
  EXPECT_TRUE(valid_alias(std::string(64, 'a')));
  EXPECT_FALSE(valid_alias(std::string(65, 'a')));
  EXPECT_TRUE(valid_product_key("a1B2c3D4e5F"));
  EXPECT_FALSE(valid_product_key("a1B2c3D4e5"));
  EXPECT_FALSE(valid_product_key("a1B2c3D4e5F6"));
  EXPECT_FALSE(valid_product_key("a1B2c3D4e_F"));
}

}  // namespace
}  // namespace iotb::auth
