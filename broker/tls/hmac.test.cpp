#include "broker/tls/hmac.hpp"

#include <gtest/gtest.h>

#include <cctype>

namespace iotb::tls {
namespace {

std::string upper(std::string s) {
  for (auto& c : s)
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

struct vector {
  sign_method m;
  std::string key;
  std::string data;
  const char* mac;
};

// RFC 2202 (HMAC-MD5, HMAC-SHA1) and RFC 4231 (HMAC-SHA256): test cases 1
// (short binary key), 2 ("Jefe") and 6 (key longer than the block size).
std::vector<vector> rfc_vectors() {
  const std::string big = "Test Using Larger Than Block-Size Key - Hash Key First";
  return {
      {sign_method::hmacmd5, std::string(16, '\x0b'), "Hi There",
       "9294727a3638bb1c13f48ef8158bfc9d"},
      {sign_method::hmacmd5, "Jefe", "what do ya want for nothing?",
       "750c783e6ab0b503eaa86e310a5db738"},
      {sign_method::hmacmd5, std::string(80, '\xaa'), big, "6b1ab7fe4bd7bf8f0b62e6ce61b9d0cd"},
      {sign_method::hmacsha1, std::string(20, '\x0b'), "Hi There",
       "b617318655057264e28bc0b6fb378c8ef146be00"},
      {sign_method::hmacsha1, "Jefe", "what do ya want for nothing?",
       "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"},
      {sign_method::hmacsha1, std::string(80, '\xaa'), big,
       "aa4ae5e15272d00e95705637ce8a3b55ed402112"},
      {sign_method::hmacsha256, std::string(20, '\x0b'), "Hi There",
       "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
      {sign_method::hmacsha256, "Jefe", "what do ya want for nothing?",
       "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
      {sign_method::hmacsha256, std::string(131, '\xaa'), big,
       "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"},
  };
}

TEST(Hmac, RfcVectors) {
  for (const auto& v : rfc_vectors()) {
    SCOPED_TRACE(std::string(to_string(v.m)) + " " + v.data);
    EXPECT_EQ(hmac_hex(v.m, v.key, v.data), v.mac);
    EXPECT_EQ(hmac_hex(v.m, v.key, v.data).size(), 2 * digest_size(v.m));
    EXPECT_TRUE(hmac_verify(v.m, v.key, v.data, v.mac));
    EXPECT_TRUE(hmac_verify(v.m, v.key, v.data, upper(v.mac)));
  }
}

TEST(Hmac, VerifyRejectsWrongMacs) {
  for (const auto& v : rfc_vectors()) {
    SCOPED_TRACE(to_string(v.m));
    std::string mac = v.mac;
    for (std::size_t i : {std::size_t{0}, mac.size() / 2, mac.size() - 1}) {
      auto flipped = mac;
      flipped[i] = flipped[i] == '0' ? '1' : '0';
      EXPECT_FALSE(hmac_verify(v.m, v.key, v.data, flipped)) << i;
    }
    EXPECT_FALSE(hmac_verify(v.m, v.key + "x", v.data, mac));
    EXPECT_FALSE(hmac_verify(v.m, v.key, v.data + "x", mac));
  }
}

TEST(Hmac, VerifyRejectsWrongLengthAndNonHex) {
  auto good = hmac_hex(sign_method::hmacsha256, "k", "d");
  EXPECT_TRUE(hmac_verify(sign_method::hmacsha256, "k", "d", good));
  EXPECT_FALSE(hmac_verify(sign_method::hmacsha256, "k", "d", good.substr(1)));
  EXPECT_FALSE(hmac_verify(sign_method::hmacsha256, "k", "d", good + "0"));
  EXPECT_FALSE(hmac_verify(sign_method::hmacsha256, "k", "d", ""));
  for (char junk : {'g', 'G', ' ', '\x10', '\xff', '@', '`', '/', ':'}) {
    auto nonhex = good;
    nonhex[0] = junk;
    EXPECT_FALSE(hmac_verify(sign_method::hmacsha256, "k", "d", nonhex)) << int(junk);
  }
  // An MD5-length password is not accepted for SHA-256, even as a prefix.
  EXPECT_FALSE(hmac_verify(sign_method::hmacsha256, "k", "d", good.substr(0, 32)));
}

TEST(Hmac, EmptyKeyAndData) {
  // RFC-independent: HMAC is defined for an empty key and message.
  auto mac = hmac_hex(sign_method::hmacsha1, "", "");
  EXPECT_EQ(mac, "fbdb1d1b18aa6c08324b7d64b71fb76370690e1d");
  EXPECT_TRUE(hmac_verify(sign_method::hmacsha1, "", "", mac));
}

TEST(Hmac, HexEqualCt) {
  EXPECT_TRUE(hex_equal_ct("00ff7a", "00FF7A"));
  EXPECT_TRUE(hex_equal_ct("abcdef0123456789", "ABCDEF0123456789"));
  EXPECT_TRUE(hex_equal_ct("ABCDEF", "abcdef"));
  EXPECT_FALSE(hex_equal_ct("00ff7a", "00ff7b"));
  EXPECT_FALSE(hex_equal_ct("00ff7a", "00ff7"));
  EXPECT_FALSE(hex_equal_ct("00ff7a", "00ff7a0"));
  EXPECT_FALSE(hex_equal_ct("", ""));
  EXPECT_FALSE(hex_equal_ct("0", "0"));          // odd length: not hex bytes
  EXPECT_FALSE(hex_equal_ct("0g", "0g"));        // equal but not hex
  EXPECT_FALSE(hex_equal_ct("00", "\x10\x10"));  // '\x10' | 0x20 == '0'
  EXPECT_FALSE(hex_equal_ct("0a", "0*"));        // '*' | 0x20 == '*', not 'a'
}

TEST(Hmac, MethodNames) {
  EXPECT_EQ(parse_sign_method("hmacmd5"), sign_method::hmacmd5);
  EXPECT_EQ(parse_sign_method("HmacSHA1"), sign_method::hmacsha1);
  EXPECT_EQ(parse_sign_method("hmacSha256"), sign_method::hmacsha256);
  EXPECT_EQ(parse_sign_method("HMACMD5"), sign_method::hmacmd5);
  EXPECT_FALSE(parse_sign_method("hmacsha512"));
  EXPECT_FALSE(parse_sign_method("sha256"));
  EXPECT_FALSE(parse_sign_method("hmacsha256 "));
  EXPECT_FALSE(parse_sign_method(""));
  for (auto m : {sign_method::hmacmd5, sign_method::hmacsha1, sign_method::hmacsha256})
    EXPECT_EQ(parse_sign_method(to_string(m)), m);
  EXPECT_EQ(to_string(sign_method::hmacsha1), "hmacsha1");
  EXPECT_EQ(digest_size(sign_method::hmacmd5), 16u);
  EXPECT_EQ(digest_size(sign_method::hmacsha1), 20u);
  EXPECT_EQ(digest_size(sign_method::hmacsha256), 32u);
}

}  // namespace
}  // namespace iotb::tls
