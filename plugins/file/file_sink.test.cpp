// The file sink, loaded from the build tree through the broker's plugin
// loader (broker/plugins/registry.hpp), as the rules engine will load it.

#include <atomic>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include "broker/plugins/registry.hpp"
#include "broker/util/temp_dir.hpp"

namespace iotb::plugins {
namespace {

using ::testing::HasSubstr;

std::vector<std::string> lines_of(const std::string& path) {
  std::ifstream in{path};
  std::vector<std::string> out;
  for (std::string l; std::getline(in, l);)
    out.push_back(l);
  return out;
}

bool exists(const std::string& p) {
  return std::filesystem::exists(p);
}

class FileSink : public ::testing::Test {
 protected:
  void SetUp() override {
    reg_ = plugin_registry::load({IOTB_PLUGIN_BUILD_DIR});
    ASSERT_NE(reg_->find("file"), nullptr) << reg_->to_json();
  }

  /// An instance on `config` with the test's clock and log capture.
  expected<sink_instance, std::string> make(const std::string& config) {
    create_options o;
    o.instance_name = "test";
    o.clock = [this] { return now_.load(); };
    o.log = [this](log::level, std::string_view s) {
      std::lock_guard lock{mu_};
      logs_.emplace_back(s);
    };
    return reg_->create("file", config, std::move(o));
  }

  std::string last_log() {
    std::lock_guard lock{mu_};
    return logs_.empty() ? std::string{} : logs_.back();
  }

  /// Delivers one record per output; expects every one OK.
  void put(sink_instance& s, const std::vector<std::string>& outputs) {
    std::vector<record> batch(outputs.size());
    for (std::size_t i = 0; i < outputs.size(); ++i) {
      batch[i].output = outputs[i];
      batch[i].topic = "/a1/dev1/user/update";
      batch[i].product_key = "a1";
      batch[i].device_name = "dev1";
      batch[i].rule = "r1";
      batch[i].message_id = 18'000'000'000'000'000'000ULL + i;
      batch[i].timestamp_ms = now_.load();
    }
    auto st = s.deliver(batch);
    ASSERT_EQ(st.size(), outputs.size());
    for (const auto& r : st)
      ASSERT_EQ(r.status, delivery_status::ok) << r.error;
  }

  std::string cfg(const std::string& extra) const {
    return R"({"path":")" + path_ + "\"" + (extra.empty() ? "" : "," + extra) + "}";
  }

  temp_dir dir_{"iotb-file-sink"};
  std::string path_ = dir_ / "out.jsonl";
  std::shared_ptr<plugin_registry> reg_;
  std::atomic<std::int64_t> now_{1'700'000'000'000};
  std::mutex mu_;
  std::vector<std::string> logs_;
};

TEST_F(FileSink, DescribesItself) {
  const auto* p = reg_->find("file");
  EXPECT_EQ(p->abi, 1u);
  EXPECT_EQ(p->version, "1.0.0");
  EXPECT_THAT(p->file, HasSubstr("iotb_sink_file.so"));
  rapidjson::Document schema;
  schema.Parse(p->config_schema.c_str());
  ASSERT_TRUE(schema.IsObject()) << "the config schema is JSON";
  EXPECT_TRUE(schema["properties"].HasMember("rotateBytes"));
}

TEST_F(FileSink, WritesOneJsonLinePerRecordAndAppends) {
  {
    auto s = make(cfg(""));
    ASSERT_TRUE(s) << s.error();
    put(*s, {R"({"t":1})", R"({"t":2})"});
    put(*s, {"{\"t\":3,\n\"s\":\"a\\nb\"}"});  // a raw newline between tokens
  }
  EXPECT_THAT(lines_of(path_),
              ::testing::ElementsAre(R"({"t":1})", R"({"t":2})", R"({"t":3, "s":"a\nb"})"));
  auto s = make(cfg(""));  // an existing file is appended to
  ASSERT_TRUE(s) << s.error();
  put(*s, {R"({"t":4})"});
  EXPECT_EQ(lines_of(path_).size(), 4u);
}

TEST_F(FileSink, MetadataWrapsTheOutput) {
  auto s = make(cfg(R"("metadata":true)"));
  ASSERT_TRUE(s) << s.error();
  put(*s, {R"({"temp":38.5})"});
  auto lines = lines_of(path_);
  ASSERT_EQ(lines.size(), 1u);
  rapidjson::Document d;
  d.Parse(lines[0].c_str());
  ASSERT_TRUE(d.IsObject()) << lines[0];
  EXPECT_STREQ(d["topic"].GetString(), "/a1/dev1/user/update");
  EXPECT_STREQ(d["messageId"].GetString(), "18000000000000000000");
  EXPECT_STREQ(d["productKey"].GetString(), "a1");
  EXPECT_STREQ(d["deviceName"].GetString(), "dev1");
  EXPECT_STREQ(d["rule"].GetString(), "r1");
  EXPECT_EQ(d["timestamp"].GetInt64(), 1'700'000'000'000);
  EXPECT_DOUBLE_EQ(d["data"]["temp"].GetDouble(), 38.5);
}

TEST_F(FileSink, RotatesBySizeKeepingN) {
  auto s = make(cfg(R"("rotateBytes":40,"keep":2)"));
  ASSERT_TRUE(s) << s.error();
  // Lines of 16 bytes (with the newline): two fit in 40, the third rotates.
  for (int i = 0; i < 10; ++i)
    put(*s, {R"({"n":)" + std::to_string(100000000 + i) + "}"});
  EXPECT_THAT(lines_of(path_), ::testing::ElementsAre(R"({"n":100000008})", R"({"n":100000009})"));
  EXPECT_THAT(lines_of(path_ + ".1"),
              ::testing::ElementsAre(R"({"n":100000006})", R"({"n":100000007})"));
  EXPECT_THAT(lines_of(path_ + ".2"),
              ::testing::ElementsAre(R"({"n":100000004})", R"({"n":100000005})"));
  EXPECT_FALSE(exists(path_ + ".3"));
  for (const auto& f : {path_, path_ + ".1", path_ + ".2"})
    EXPECT_LE(std::filesystem::file_size(f), 40u);
}

TEST_F(FileSink, RotatesWithinOneBatchAndGivesBigLinesAFileOfTheirOwn) {
  auto s = make(cfg(R"("rotateBytes":10,"keep":5)"));
  ASSERT_TRUE(s) << s.error();
  put(*s, {R"({"a":"long line"})", R"({"b":"long line"})", "1"});
  EXPECT_THAT(lines_of(path_ + ".2"), ::testing::ElementsAre(R"({"a":"long line"})"));
  EXPECT_THAT(lines_of(path_ + ".1"), ::testing::ElementsAre(R"({"b":"long line"})"));
  EXPECT_THAT(lines_of(path_), ::testing::ElementsAre("1"));
}

TEST_F(FileSink, RotatesByTimeOnDeliverAndOnFlush) {
  auto s = make(cfg(R"("rotateSeconds":60,"keep":3)"));
  ASSERT_TRUE(s) << s.error();
  put(*s, {"1"});
  now_ += 59'000;
  put(*s, {"2"});  // same file
  now_ += 1'000;
  put(*s, {"3"});  // 60 s after opening: a new file first
  EXPECT_THAT(lines_of(path_ + ".1"), ::testing::ElementsAre("1", "2"));
  EXPECT_THAT(lines_of(path_), ::testing::ElementsAre("3"));
  now_ += 60'000;
  EXPECT_FALSE(s->flush());  // an idle sink rotates when the host flushes
  EXPECT_THAT(lines_of(path_ + ".2"), ::testing::ElementsAre("1", "2"));
  EXPECT_THAT(lines_of(path_ + ".1"), ::testing::ElementsAre("3"));
  EXPECT_TRUE(lines_of(path_).empty());
  now_ += 600'000;
  EXPECT_FALSE(s->flush());  // an empty file is not rotated
  EXPECT_FALSE(exists(path_ + ".3"));
}

TEST_F(FileSink, KeepZeroDeletesRotatedFiles) {
  auto s = make(cfg(R"("rotateBytes":4,"keep":0)"));
  ASSERT_TRUE(s) << s.error();
  put(*s, {"111", "222", "333"});
  EXPECT_THAT(lines_of(path_), ::testing::ElementsAre("333"));
  EXPECT_FALSE(exists(path_ + ".1"));
}

/// The number of fsyncs the sink reports when it is destroyed.
TEST_F(FileSink, FsyncPolicies) {
  auto syncs_for = [this](const std::string& mode) {
    {
      auto s = make(cfg(R"("fsync":")" + mode + "\""));
      EXPECT_TRUE(s) << s.error();
      put(*s, {"1", "2", "3"});
      put(*s, {"4", "5", "6"});
    }
    return last_log();
  };
  EXPECT_THAT(syncs_for("always"), HasSubstr("6 lines, 6 fsyncs"));
  EXPECT_THAT(syncs_for("batch"), HasSubstr("6 lines, 2 fsyncs"));
  EXPECT_THAT(syncs_for("never"), HasSubstr("6 lines, 0 fsyncs"));
  EXPECT_EQ(lines_of(path_).size(), 18u);
}

TEST_F(FileSink, DefaultFsyncIsBatchAndFlushSyncsOnlyWhatIsDirty) {
  {
    auto s = make(cfg(""));
    ASSERT_TRUE(s) << s.error();
    put(*s, {"1"});
    EXPECT_FALSE(s->flush());
  }
  EXPECT_THAT(last_log(), HasSubstr("1 lines, 1 fsyncs"));
}

TEST_F(FileSink, BadConfigurationsAreRefusedWithTheReason) {
  struct bad_case {
    std::string config;
    std::string why;
  };
  std::vector<bad_case> cases = {
      {"{}", "path: required"},
      {"[]", "must be a JSON object"},
      {R"({"path":""})", "path: expected a non-empty string"},
      {cfg(R"("fsync":"sometimes")"), "fsync: expected"},
      {cfg(R"("rotateBytes":-1)"), "rotateBytes: expected an integer"},
      {cfg(R"("keep":1001)"), "keep: expected an integer in [0, 1000]"},
      {cfg(R"("metadata":"yes")"), "metadata: expected true or false"},
      {cfg(R"("rotate":1)"), "unknown key 'rotate'"},
      {R"({"path":")" + dir_ / "no/such/dir/x.jsonl" + "\"}", "No such file or directory"},
  };
  for (const auto& c : cases) {
    auto s = make(c.config);
    ASSERT_FALSE(s) << c.config;
    EXPECT_THAT(s.error(), HasSubstr(c.why)) << c.config;
    EXPECT_THAT(s.error(), HasSubstr("bad configuration")) << c.config;
  }
}

}  // namespace
}  // namespace iotb::plugins
