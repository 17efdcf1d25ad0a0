#include "broker/config/config.hpp"
#include "broker/config/settings.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

using namespace iotb;

TEST(config, defaults_are_local_mode) {
  auto r = parse_command_line({});
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(r->cfg.local_mode);
  EXPECT_EQ(r->cfg.mqtt.to_string(), "127.0.0.1:1883");
  EXPECT_TRUE(r->cfg.anonymous_allowed(r->cfg.mqtt));
  EXPECT_EQ(r->cfg.max_packet_size, 256u * 1024u);
}

TEST(config, non_loopback_listener_refuses_anonymous_unless_allowed) {
  auto r = parse_command_line({"--mqtt", "0.0.0.0:1883"});
  ASSERT_TRUE(r.has_value());
  EXPECT_FALSE(r->cfg.local_mode);
  EXPECT_FALSE(r->cfg.anonymous_allowed(r->cfg.mqtt));
  r = parse_command_line({"--mqtt", "0.0.0.0:1883", "--allow-anonymous"});
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(r->cfg.anonymous_allowed(r->cfg.mqtt));
  r = parse_command_line({"--allow-anonymous=false"});
  ASSERT_TRUE(r.has_value());
  EXPECT_FALSE(r->cfg.anonymous_allowed(r->cfg.mqtt));
}

TEST(config, endpoints) {
  EXPECT_EQ(parse_endpoint("[::1]:8883")->host, "::1");
  EXPECT_EQ(parse_endpoint("[::1]:8883")->port, 8883);
  EXPECT_TRUE(parse_endpoint("[::1]:8883")->loopback());
  EXPECT_FALSE(parse_endpoint("nohost").has_value());
  EXPECT_FALSE(parse_endpoint("h:70000").has_value());
  EXPECT_FALSE(parse_endpoint(":1883").has_value());
  EXPECT_FALSE(parse_endpoint("127.0.0.1:0")->enabled());
}

TEST(config, file_then_flags) {
  config cfg;
  EXPECT_FALSE(apply_config_text(cfg, "# comment\n\nmax-packet-size = 1000\nlog-level=warn\n"));
  EXPECT_EQ(cfg.max_packet_size, 1000u);
  EXPECT_EQ(cfg.log_level, log::level::warn);
  auto err = apply_config_text(cfg, "mqtt = 127.0.0.1:1\nbogus = 1\n");
  ASSERT_TRUE(err.has_value());
  EXPECT_NE(err->find("line 2"), std::string::npos);
  EXPECT_NE(err->find("bogus"), std::string::npos);

  auto path = testing::TempDir() + "/iotb.conf";
  std::ofstream{path} << "max-inflight = 5\nreceive-maximum = 7\n";
  auto r = parse_command_line({"--receive-maximum", "9", "--config", path});
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->cfg.max_inflight, 5);
  EXPECT_EQ(r->cfg.receive_maximum, 9);  // the flag wins, wherever it appears
  std::remove(path.c_str());
}

TEST(config, bad_values_name_the_key) {
  auto r = parse_command_line({"--receive-maximum", "0"});
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().find("receive-maximum"), std::string::npos);
  EXPECT_FALSE(parse_command_line({"--mqtt"}).has_value());
  EXPECT_FALSE(parse_command_line({"stray"}).has_value());
  EXPECT_FALSE(parse_command_line({"--log-level", "loud"}).has_value());
}

TEST(config, durability_and_quota_settings) {
  config c;
  EXPECT_EQ(c.durability, "sync");  // durable by default
  EXPECT_EQ(c.device_uplink_rate, 30u);
  EXPECT_EQ(c.max_connect_rate, 500u);
  EXPECT_EQ(apply_setting(c, "durability", "batch"), std::nullopt);
  EXPECT_EQ(c.durability, "batch");
  auto err = apply_setting(c, "durability", "sometimes");
  ASSERT_TRUE(err.has_value());
  EXPECT_NE(err->find("sync, batch or none"), std::string::npos);
  EXPECT_EQ(apply_setting(c, "max-connection-bandwidth", "0"), std::nullopt);
  EXPECT_EQ(c.max_connection_bandwidth, 0u);
  EXPECT_EQ(apply_setting(c, "max-queued-bytes", "65536"), std::nullopt);
  EXPECT_EQ(c.max_queued_bytes, 65536u);
  EXPECT_TRUE(apply_setting(c, "store-max-size", "0").has_value());
  EXPECT_EQ(apply_setting(c, "persistence", "off"), std::nullopt);
  EXPECT_FALSE(c.persistence);
}

TEST(config, admin_listener) {
  auto r = parse_command_line({});
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->cfg.admin.to_string(), "127.0.0.1:18083");
  EXPECT_TRUE(r->cfg.admin.enabled());
  r = parse_command_line({"--admin", "127.0.0.1:0"});
  ASSERT_TRUE(r.has_value());
  EXPECT_FALSE(r->cfg.admin.enabled());
  EXPECT_TRUE(r->cfg.local_mode);  // the admin listener does not end local mode
  EXPECT_FALSE(parse_command_line({"--admin", "nohost"}).has_value());
  EXPECT_NE(help_text().find("--admin HOST:PORT"), std::string_view::npos);
}

TEST(config, every_setting_is_a_flag_a_file_key_and_in_help) {
  auto help = help_text();
  const config defaults;
  for (const auto& s : settings()) {
    EXPECT_NE(help.find("--" + std::string{s.key}), std::string::npos) << s.key;
    if (!s.apply || !s.show)
      continue;
    // Each setting accepts its own default, as a flag and as a file key.
    auto value = s.show(defaults);
    if (value.empty())
      continue;
    config a;
    EXPECT_EQ(apply_setting(a, s.key, value), std::nullopt) << s.key << " = " << value;
    config b;
    EXPECT_EQ(apply_config_text(b, std::string{s.key} + " = " + value + "\n"), std::nullopt)
        << s.key;
    std::vector<std::string> argv = {"--" + std::string{s.key}, value, "--data-dir", "/tmp/x"};
    std::vector<std::string_view> args(argv.begin(), argv.end());
    EXPECT_TRUE(parse_command_line(args).has_value()) << s.key;
  }
  EXPECT_NE(apply_setting(*std::make_unique<config>(), "no-such-setting", "1"), std::nullopt);
}

TEST(config, implicit_true_and_listener_flags_come_from_the_table) {
  std::vector<std::string_view> args = {"--allow-anonymous", "--ws", "127.0.0.1:9001"};
  auto r = parse_command_line(args);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->cfg.allow_anonymous, std::optional<bool>(true));
  EXPECT_FALSE(r->cfg.local_mode);
  EXPECT_EQ(r->cfg.ws.port, 9001);
}
