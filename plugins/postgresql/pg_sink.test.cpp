// The PostgreSQL sink loaded from the build tree through the broker's
// plugin loader (broker/plugins/registry.hpp), without a server: how
// `create` treats configurations, and that a server that is not there makes
// RETRY with libpq's text rather than a failed `create`. The behaviour
// against a real server (TLS, batches, bad rows, restarts) is
// tests/integration/test_sink_postgresql.py's.

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include "broker/plugins/registry.hpp"

namespace iotb::plugins {
namespace {

using ::testing::HasSubstr;

/// A loopback port nobody listens on (bound, then closed).
int closed_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  int port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0)
    port = ntohs(a.sin_port);
  ::close(fd);
  return port;
}

class PgSink : public ::testing::Test {
 protected:
  void SetUp() override {
    reg_ = plugin_registry::load({IOTB_PLUGIN_BUILD_DIR});
    if (reg_->find("postgres") == nullptr)
      GTEST_SKIP() << "iotb_sink_postgresql.so not built (no libpq at configure time)";
  }

  expected<sink_instance, std::string> make(const std::string& config) {
    create_options o;
    o.instance_name = "test";
    o.log = [](log::level, std::string_view) {};
    return reg_->create("postgres", config, std::move(o));
  }

  std::string conninfo_ = "host=127.0.0.1 port=" + std::to_string(closed_port()) +
                          " dbname=iot user=iot sslmode=require";
  std::string cfg(const std::string& extra = {}) const {
    return R"({"conninfo":")" + conninfo_ + R"(","table":"readings","columns":{"t":"temp"})" +
           extra + "}";
  }

  std::shared_ptr<plugin_registry> reg_;
};

TEST_F(PgSink, DescribesItself) {
  const auto* p = reg_->find("postgres");
  EXPECT_EQ(p->abi, 1u);
  EXPECT_THAT(p->file, HasSubstr("iotb_sink_postgresql.so"));
  rapidjson::Document schema;
  schema.Parse(p->config_schema.c_str());
  ASSERT_TRUE(schema.IsObject()) << "the config schema is JSON";
  EXPECT_TRUE(schema["properties"].HasMember("conninfo"));
}

TEST_F(PgSink, BadConfigurationsAreRefusedWithTheReason) {
  struct bad_case {
    std::string config;
    std::string why;
  };
  std::vector<bad_case> cases = {
      {"{}", "required"},
      {R"({"conninfo":"host=x","columns":{"a":"a"}})", "table: required"},
      {R"({"conninfo":"host=x","table":"t"})", "columns: required"},
      {cfg(R"(,"batch":5)"), "unknown key 'batch'"},
      {R"({"conninfo":"host=x nosuchoption=1","table":"t","columns":{"a":"a"}})",
       "conninfo: invalid connection option \"nosuchoption\""},
      {R"({"conninfo":"host='unterminated","table":"t","columns":{"a":"a"}})", "conninfo: "},
  };
  for (const auto& c : cases) {
    auto s = make(c.config);
    ASSERT_FALSE(s) << c.config;
    EXPECT_THAT(s.error(), HasSubstr(c.why)) << c.config;
    EXPECT_THAT(s.error(), HasSubstr("bad configuration")) << c.config;
  }
}

TEST_F(PgSink, AServerThatIsDownMakesRetryNotAFailedCreate) {
  auto s = make(cfg(R"(,"connectTimeoutSeconds":2)"));
  ASSERT_TRUE(s) << s.error();  // connecting waits for the first batch
  std::vector<record> batch(3);
  for (auto& r : batch)
    r.output = R"({"temp":1})";
  for (int round = 0; round < 2; ++round) {  // the second within the reconnect pause
    auto st = s->deliver(batch);
    ASSERT_EQ(st.size(), 3u);
    for (const auto& r : st) {
      EXPECT_EQ(r.status, delivery_status::retry);
      EXPECT_THAT(r.error, HasSubstr("cannot connect"));
      EXPECT_THAT(r.error, HasSubstr("127.0.0.1"));  // libpq's own text
    }
  }
  EXPECT_FALSE(s->flush());
}

}  // namespace
}  // namespace iotb::plugins
