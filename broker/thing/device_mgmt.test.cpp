#include "broker/thing/device_mgmt.hpp"

#include <gtest/gtest.h>

#include "broker/tls/digest.hpp"

namespace iotb::thing {
namespace {

TEST(DeviceMgmt, Sha256HexKnownVector) {
  EXPECT_EQ(tls::sha256_hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(DeviceMgmt, ConfigIdIsTheDigestPrefix) {
  auto m = describe_config("abc");
  EXPECT_EQ(m.size, 3u);
  EXPECT_EQ(m.sign, tls::sha256_hex("abc"));
  EXPECT_EQ(m.config_id, m.sign.substr(0, 32));
  EXPECT_EQ(describe_config("abc").config_id, m.config_id);
  EXPECT_NE(describe_config("abd").config_id, m.config_id);
}

TEST(DeviceMgmt, SignedLinkVerifiesAndExpires) {
  auto url = config_file_url("http://127.0.0.1:18083", "k3y", "pk1", "cid", 1000);
  const std::string prefix = "http://127.0.0.1:18083/files/config/pk1/cid?expires=1000&signature=";
  ASSERT_TRUE(url.starts_with(prefix)) << url;
  auto sig = url.substr(prefix.size());
  EXPECT_EQ(sig.size(), 64u);
  EXPECT_TRUE(config_link_valid("k3y", "pk1", "cid", "1000", sig, 999));
  EXPECT_TRUE(config_link_valid("k3y", "pk1", "cid", "1000", sig, 1000));
  EXPECT_FALSE(config_link_valid("k3y", "pk1", "cid", "1000", sig, 1001));  // expired
  EXPECT_FALSE(config_link_valid("other", "pk1", "cid", "1000", sig, 0));   // another key
  EXPECT_FALSE(config_link_valid("k3y", "pk2", "cid", "1000", sig, 0));     // another product
  EXPECT_FALSE(config_link_valid("k3y", "pk1", "cie", "1000", sig, 0));     // another file
  EXPECT_FALSE(config_link_valid("k3y", "pk1", "cid", "1001", sig, 0));     // moved expiry
  EXPECT_FALSE(config_link_valid("k3y", "pk1", "cid", "01000", sig, 0));  // same number, other text
  EXPECT_FALSE(config_link_valid("k3y", "pk1", "cid", "", sig, 0));
  EXPECT_FALSE(config_link_valid("k3y", "pk1", "cid", "1000x", sig, 0));
  EXPECT_FALSE(config_link_valid("k3y", "pk1", "cid", "1000", sig.substr(1), 0));
  EXPECT_FALSE(config_link_valid("k3y", "pk1", "cid", "1000", "", 0));
}

TEST(DeviceMgmt, ConfigMessagesAreCompactPlatformJson) {
  config_meta m{"cid", 12, "ab"};
  auto data = config_data_json(m, "http://h/x?a=1&b=2");
  EXPECT_EQ(
      data,
      R"({"configId":"cid","configSize":12,"sign":"ab","signMethod":"Sha256","url":"http://h/x?a=1&b=2","getType":"file"})");
  EXPECT_EQ(config_push_request("42", data),
            R"({"id":"42","version":"1.0","params":)" + data + R"(,"method":"thing.config.push"})");
  auto ok = config_get_reply("7", data);
  EXPECT_NE(ok.find(R"("code":200)"), std::string::npos) << ok;
  EXPECT_NE(ok.find(R"("data":)" + data), std::string::npos) << ok;
  auto none = config_get_reply("7", std::nullopt);
  EXPECT_NE(none.find(R"("code":400)"), std::string::npos) << none;
  EXPECT_NE(none.find("no configuration file"), std::string::npos) << none;
  EXPECT_EQ(none.find(": "), std::string::npos);
}

TEST(DeviceMgmt, UpgradeWithMd5) {
  auto u = parse_ota_upgrade(
      R"({"version":"2.0.0","url":"https://fw.example/v2.bin","size":1024,"md5":"0123456789abcdef0123456789abcdef","module":"MCU"})");
  ASSERT_TRUE(u) << u.error();
  EXPECT_EQ(u->sign_method, "Md5");
  EXPECT_EQ(u->sign, u->md5);
  EXPECT_EQ(
      ota_upgrade_data(*u),
      R"({"size":1024,"version":"2.0.0","isDiff":0,"url":"https://fw.example/v2.bin","md5":"0123456789abcdef0123456789abcdef","sign":"0123456789abcdef0123456789abcdef","signMethod":"Md5","module":"MCU"})");
  EXPECT_EQ(ota_upgrade_message(5, "{}"),
            R"({"code":"1000","data":{},"id":5,"message":"success"})");
}

TEST(DeviceMgmt, UpgradeWithSha256AndExtData) {
  auto u =
      parse_ota_upgrade(R"({"version":"3","url":"http://x/y","sign":")" + std::string(64, 'a') +
                        R"(","signMethod":"sha256","isDiff":true,"extData":{"k": [1, 2]}})");
  ASSERT_TRUE(u) << u.error();
  EXPECT_EQ(u->sign_method, "SHA256");
  EXPECT_TRUE(u->is_diff);
  EXPECT_EQ(u->ext_data_json, R"({"k":[1,2]})");
  EXPECT_TRUE(u->md5.empty());
}

TEST(DeviceMgmt, UpgradeRefusals) {
  const char* bad[] = {
      "",
      "[]",
      R"({"url":"http://x/y"})",
      R"({"version":"","url":"http://x/y"})",
      R"({"version":"1","url":"ftp://x/y"})",
      R"({"version":"1"})",
      R"({"version":1,"url":"http://x/y"})",
      R"({"version":"1","url":"http://x/y","size":-1})",
      R"({"version":"1","url":"http://x/y","md5":"abc"})",
      R"({"version":"1","url":"http://x/y","sign":"zz","signMethod":"SHA256"})",
      R"({"version":"1","url":"http://x/y","sign":"00","signMethod":"crc"})",
      R"({"version":"1","url":"http://x/y","extData":[1]})",
  };
  for (const char* b : bad)
    EXPECT_FALSE(parse_ota_upgrade(b)) << b;
  auto long_version = R"({"version":")" + std::string(65, 'v') + R"(","url":"http://x/y"})";
  EXPECT_FALSE(parse_ota_upgrade(long_version));
}

TEST(DeviceMgmt, Topics) {
  EXPECT_EQ(ota_upgrade_topic("pk", "dn"), "/ota/device/upgrade/pk/dn");
  EXPECT_EQ(config_push_topic("pk", "dn"), "/sys/pk/dn/thing/config/push");
  EXPECT_EQ(config_file_path("pk", "c1"), "/files/config/pk/c1");
}

}  // namespace
}  // namespace iotb::thing
