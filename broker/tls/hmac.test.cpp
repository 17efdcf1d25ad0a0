#include "broker/tls/hmac.hpp"

#include <gtest/gtest.h>

namespace iotb::tls {
namespace {

// RFC 2202 (MD5, SHA-1) and RFC 4231 (SHA-256), test case 2.
TEST(Hmac, RfcVectors) {
  const char* key = "Jefe";
  const char* data = "what do ya want for nothing?";
  EXPECT_EQ(hmac_hex(sign_method::hmacmd5, key, data), "750c783e6ab0b503eaa86e310a5db738");
  EXPECT_EQ(hmac_hex(sign_method::hmacsha1, key, data),
            "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79");
  EXPECT_EQ(hmac_hex(sign_method::hmacsha256, key, data),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(Hmac, VerifyRejectsWrongLengthAndNonHex) {
  auto good = hmac_hex(sign_method::hmacsha256, "k", "d");
  EXPECT_TRUE(hmac_verify(sign_method::hmacsha256, "k", "d", good));
  EXPECT_FALSE(hmac_verify(sign_method::hmacsha256, "k", "d", good.substr(1)));
  EXPECT_FALSE(hmac_verify(sign_method::hmacsha256, "k", "d", good + "0"));
  EXPECT_FALSE(hmac_verify(sign_method::hmacsha256, "k", "d", ""));
  auto nonhex = good;
  nonhex[0] = 'g';
  EXPECT_FALSE(hmac_verify(sign_method::hmacsha256, "k", "d", nonhex));
}

TEST(Hmac, MethodNames) {
  EXPECT_EQ(parse_sign_method("hmacmd5"), sign_method::hmacmd5);
  EXPECT_EQ(parse_sign_method("HmacSHA1"), sign_method::hmacsha1);
  EXPECT_EQ(parse_sign_method("hmacSha256"), sign_method::hmacsha256);
  EXPECT_FALSE(parse_sign_method("hmacsha512"));
  EXPECT_FALSE(parse_sign_method(""));
  EXPECT_EQ(to_string(sign_method::hmacsha1), "hmacsha1");
}

}  // namespace
}  // namespace iotb::tls
