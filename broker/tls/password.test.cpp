#include "broker/tls/password.hpp"

#include <gtest/gtest.h>

#include <cstdio>

namespace iotb::tls {
namespace {

std::string hex(const std::vector<std::uint8_t>& v) {
  std::string out;
  char buf[3];
  for (auto b : v) {
    std::snprintf(buf, sizeof buf, "%02x", b);
    out += buf;
  }
  return out;
}

TEST(Password, Pbkdf2KnownAnswers) {
  // RFC 7914 §11 (PBKDF2-HMAC-SHA256, P="passwd", S="salt", c=1, dkLen=64).
  EXPECT_EQ(hex(pbkdf2_sha256("passwd", "salt", 1, 64)),
            "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc"
            "49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783");
  // The widely published SHA-256 analogues of the RFC 6070 vectors.
  EXPECT_EQ(hex(pbkdf2_sha256("password", "salt", 1, 32)),
            "120fb6cffcf8b32c43e7225256c4f837a86548c92ccc35480805987cb70be17b");
  EXPECT_EQ(hex(pbkdf2_sha256("password", "salt", 4096, 32)),
            "c5e478d59288c841aa530db6845c4c8d962893a001ce4e11a4963873aa98134a");
}

TEST(Password, HashIsSelfDescribingAndSalted) {
  auto a = hash_password("s3cret!");
  auto b = hash_password("s3cret!");
  ASSERT_TRUE(a);
  ASSERT_TRUE(b);
  EXPECT_TRUE(a->starts_with("pbkdf2-sha256$100000$"));
  EXPECT_NE(*a, *b);  // fresh salt each time
  EXPECT_EQ(a->find("s3cret"), std::string::npos);
  EXPECT_TRUE(verify_password("s3cret!", *a));
  EXPECT_TRUE(verify_password("s3cret!", *b));
  EXPECT_FALSE(verify_password("s3cret", *a));
  EXPECT_FALSE(verify_password("", *a));
}

TEST(Password, RoundsAreChecked) {
  EXPECT_FALSE(hash_password("x", 0));
  EXPECT_FALSE(hash_password("x", password_max_rounds + 1));
  auto h = hash_password("x", 1000);
  ASSERT_TRUE(h);
  EXPECT_TRUE(h->starts_with("pbkdf2-sha256$1000$"));
  EXPECT_TRUE(verify_password("x", *h));
}

TEST(Password, VerifiesAHandMadeString) {
  // Salt "salt" (c2FsdA==), 1 round: the known answer above.
  std::string known(
      "\x12\x0f\xb6\xcf\xfc\xf8\xb3\x2c\x43\xe7\x22\x52\x56\xc4\xf8\x37\xa8\x65\x48\xc9\x2c"
      "\xcc\x35\x48\x08\x05\x98\x7c\xb7\x0b\xe1\x7b",
      32);
  auto stored = "pbkdf2-sha256$1$c2FsdA==$" + base64_encode(known);
  EXPECT_TRUE(verify_password("password", stored));
  EXPECT_FALSE(verify_password("Password", stored));
}

TEST(Password, MalformedStoredStringsNeverMatch) {
  for (auto s :
       {"", "$", "pbkdf2-sha256", "pbkdf2-sha256$$$", "pbkdf2-sha256$0$c2FsdA==$AAAA",
        "pbkdf2-sha256$x$c2FsdA==$AAAA", "pbkdf2-sha256$1$c2FsdA==$", "pbkdf2-sha256$1$!!!$AAAA",
        "pbkdf2-sha256$1$c2FsdA==$AAAA$extra", "pbkdf2-sha256$99999999999$c2FsdA==$AAAA",
        "md5$1$c2FsdA==$AAAA", "pbkdf2-sha256$-1$c2FsdA==$AAAA"})
    EXPECT_FALSE(verify_password("password", s)) << s;
}

TEST(Password, SecretsEqual) {
  EXPECT_TRUE(secrets_equal("abc", "abc"));
  EXPECT_FALSE(secrets_equal("abc", "abd"));
  EXPECT_FALSE(secrets_equal("abc", "ab"));
  EXPECT_TRUE(secrets_equal("", ""));
}

TEST(Password, Base64RoundTrip) {
  for (const std::string& s :
       std::vector<std::string>{"", "a", "ab", "abc", "abcd", std::string("\0\xff\x10", 3)}) {
    auto d = base64_decode(base64_encode(s));
    ASSERT_TRUE(d);
    EXPECT_EQ(*d, s);
  }
  EXPECT_EQ(base64_encode("salt"), "c2FsdA==");
  EXPECT_FALSE(base64_decode("c2Fsd"));
}

}  // namespace
}  // namespace iotb::tls
