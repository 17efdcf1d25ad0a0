#include "broker/tls/cert.hpp"

#include "broker/tls/openssl.hpp"
#include "broker/util/temp_dir.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

namespace iotb::tls {
namespace {

namespace fs = std::filesystem;

/// A default development pair made once, in a temporary directory.
class CertTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_.emplace("iotb-cert");
    auto ok = make_self_signed(path("cert.pem"), path("key.pem"), {});
    ASSERT_TRUE(ok) << ok.error();
  }
  static void TearDownTestSuite() { dir_.reset(); }

  static std::string path(const char* name) { return *dir_ / name; }

  static bssl::UniquePtr<X509> load_cert(const std::string& file) {
    bssl::UniquePtr<BIO> bio(BIO_new_file(file.c_str(), "r"));
    return bssl::UniquePtr<X509>(bio ? PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)
                                     : nullptr);
  }
  static bssl::UniquePtr<EVP_PKEY> load_key(const std::string& file) {
    bssl::UniquePtr<BIO> bio(BIO_new_file(file.c_str(), "r"));
    return bssl::UniquePtr<EVP_PKEY>(
        bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  }
  static std::string serial_hex(X509* x) {
    bssl::UniquePtr<BIGNUM> bn(ASN1_INTEGER_to_BN(X509_get_serialNumber(x), nullptr));
    char* hex = BN_bn2hex(bn.get());
    std::string s(hex);
    OPENSSL_free(hex);
    return s;
  }
  /// Days from now until `t` (rounded down).
  static int days_until(const ASN1_TIME* t) {
    int days = 0, secs = 0;
    bssl::UniquePtr<ASN1_TIME> now(ASN1_TIME_set(nullptr, std::time(nullptr)));
    EXPECT_TRUE(ASN1_TIME_diff(&days, &secs, now.get(), t));
    return days;
  }
  static bool private_mode(const std::string& file) {
    auto p = fs::status(file).permissions();
    return (p & (fs::perms::group_all | fs::perms::others_all)) == fs::perms::none;
  }

  static std::optional<temp_dir> dir_;
};
std::optional<temp_dir> CertTest::dir_;

TEST_F(CertTest, WritesAnRsaCaCertificateForLocalhost) {
  auto x = load_cert(path("cert.pem"));
  auto key = load_key(path("key.pem"));
  ASSERT_TRUE(x);
  ASSERT_TRUE(key);
  EXPECT_EQ(X509_get_version(x.get()), X509_VERSION_3);
  EXPECT_EQ(EVP_PKEY_id(key.get()), EVP_PKEY_RSA);
  EXPECT_EQ(EVP_PKEY_bits(key.get()), 2048);
  EXPECT_EQ(X509_check_private_key(x.get(), key.get()), 1);
  EXPECT_EQ(X509_get_signature_nid(x.get()), NID_sha256WithRSAEncryption);
  EXPECT_EQ(X509_verify(x.get(), key.get()), 1);  // self-signed
  EXPECT_EQ(X509_check_ca(x.get()), 1);           // basicConstraints CA:TRUE
  EXPECT_EQ(X509_check_host(x.get(), "localhost", 9, 0, nullptr), 1);
  EXPECT_EQ(X509_check_ip_asc(x.get(), "127.0.0.1", 0), 1);
  EXPECT_EQ(X509_check_ip_asc(x.get(), "::1", 0), 1);
  EXPECT_NE(X509_check_host(x.get(), "example.com", 11, 0, nullptr), 1);
  char cn[64] = {};
  X509_NAME_get_text_by_NID(X509_get_subject_name(x.get()), NID_commonName, cn, sizeof cn);
  EXPECT_STREQ(cn, "localhost");
  EXPECT_EQ(X509_NAME_cmp(X509_get_subject_name(x.get()), X509_get_issuer_name(x.get())), 0);
  int days = days_until(X509_get0_notAfter(x.get()));
  EXPECT_TRUE(days == 824 || days == 825) << days;
  EXPECT_LT(days_until(X509_get0_notBefore(x.get())), 1);
  auto serial = serial_hex(x.get());
  EXPECT_GE(serial.size(), 30u) << serial;  // 127 random bits
  EXPECT_NE(serial[0], '-');
  EXPECT_TRUE(private_mode(path("key.pem")));
}

TEST_F(CertTest, CustomNamesAndAPrivateKeyFileThatExisted) {
  auto cert = path("custom.pem"), key = path("custom-key.pem");
  std::ofstream(key) << "old\n";
  fs::permissions(key, fs::perms::all);  // 0777 before
  dev_cert_options o;
  o.common_name = "broker.example";
  o.dns_names = {"broker.example", "*.devices.example"};
  o.ip_addresses = {"10.0.0.5", "fd00::5"};
  o.days = 30;
  auto ok = make_self_signed(cert, key, o);
  ASSERT_TRUE(ok) << ok.error();
  EXPECT_TRUE(private_mode(key));
  auto x = load_cert(cert);
  ASSERT_TRUE(x);
  EXPECT_EQ(X509_check_host(x.get(), "broker.example", 14, 0, nullptr), 1);
  EXPECT_EQ(X509_check_host(x.get(), "a.devices.example", 17, 0, nullptr), 1);
  EXPECT_NE(X509_check_host(x.get(), "localhost", 9, 0, nullptr), 1);
  EXPECT_EQ(X509_check_ip_asc(x.get(), "10.0.0.5", 0), 1);
  EXPECT_EQ(X509_check_ip_asc(x.get(), "fd00::5", 0), 1);
  EXPECT_NE(X509_check_ip_asc(x.get(), "127.0.0.1", 0), 1);
  int days = days_until(X509_get0_notAfter(x.get()));
  EXPECT_TRUE(days == 29 || days == 30) << days;
  auto first = load_cert(path("cert.pem"));
  ASSERT_TRUE(first);
  EXPECT_NE(serial_hex(x.get()), serial_hex(first.get()));
  auto k = load_key(key);
  ASSERT_TRUE(k);
  EXPECT_EQ(X509_check_private_key(x.get(), k.get()), 1);
}

TEST_F(CertTest, InvalidOptionsAreRejectedBeforeWriting) {
  auto error_of = [](const dev_cert_options& o) {
    auto r = make_self_signed(path("bad.pem"), path("bad-key.pem"), o);
    return r ? std::string("(no error)") : r.error();
  };
  dev_cert_options o;
  o.ip_addresses = {"300.1.1.1"};
  EXPECT_NE(error_of(o).find("invalid IP address '300.1.1.1'"), std::string::npos);
  o = {};
  o.dns_names = {"bad name"};
  EXPECT_NE(error_of(o).find("invalid DNS name"), std::string::npos);
  o = {};
  o.days = 0;
  EXPECT_NE(error_of(o).find("days"), std::string::npos);
  o = {};
  o.rsa_bits = 1024;
  EXPECT_NE(error_of(o).find("RSA key size"), std::string::npos);
  o = {};
  o.common_name.clear();
  EXPECT_NE(error_of(o).find("common name"), std::string::npos);
  EXPECT_FALSE(fs::exists(path("bad.pem")));
  EXPECT_FALSE(fs::exists(path("bad-key.pem")));
}

TEST_F(CertTest, UnwritablePathIsAClearError) {
  auto key = path("missing-dir/key.pem");
  auto r = make_self_signed(path("c.pem"), key, {});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find(key), std::string::npos) << r.error();
  EXPECT_NE(r.error().find("No such file or directory"), std::string::npos) << r.error();
}

}  // namespace
}  // namespace iotb::tls
