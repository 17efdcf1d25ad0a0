#include "broker/plugins/registry.hpp"

#include <fstream>
#include <mutex>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include "broker/util/temp_dir.hpp"

// The broker's BoringSSL (linked into this binary) claims OpenSSL 1.1.1.
extern "C" unsigned long OpenSSL_version_num();  // NOLINT: BoringSSL's, no header here

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define IOTB_TEST_NO_DEEPBIND 1
#endif

namespace iotb::plugins {
namespace {

using ::testing::HasSubstr;

/// Log lines a plugin wrote through the host callback.
struct log_capture {
  std::mutex mu;
  std::vector<std::string> lines;
  std::function<void(log::level, std::string_view)> fn() {
    return [this](log::level, std::string_view s) {
      std::lock_guard lock{mu};
      lines.emplace_back(s);
    };
  }
  bool has(std::string_view needle) {
    std::lock_guard lock{mu};
    for (const auto& l : lines)
      if (l.find(needle) != std::string::npos)
        return true;
    return false;
  }
};

const load_error* error_for(const plugin_registry& r, std::string_view file_part) {
  for (const auto& e : r.errors())
    if (e.file.find(file_part) != std::string::npos)
      return &e;
  return nullptr;
}

class PluginLoader : public ::testing::Test {
 protected:
  void SetUp() override {
    // A text file named like a plugin, beside the test plugins' directory.
    std::ofstream{junk_ / "x.so"} << "this is not an ELF object\n";
    reg_ = plugin_registry::load({IOTB_TEST_PLUGIN_DIR, junk_.path(), junk_ / "missing"});
  }
  temp_dir junk_{"iotb-plugins"};
  std::shared_ptr<plugin_registry> reg_;
};

TEST_F(PluginLoader, LoadsGoodPluginsAndNamesWhyOthersFailed) {
  std::vector<std::string> names;
  for (const auto& p : reg_->plugins())
    names.push_back(p.name);
  EXPECT_THAT(names, ::testing::UnorderedElementsAre("create_fails", "scripted"));
  const auto* scripted = reg_->find("scripted");
  ASSERT_NE(scripted, nullptr);
  EXPECT_EQ(scripted->abi, 1u);
  EXPECT_EQ(scripted->version, "0.0.1");
  EXPECT_THAT(scripted->file, HasSubstr("iotb_test_scripted.so"));
  EXPECT_EQ(reg_->find("nope"), nullptr);

  ASSERT_EQ(reg_->errors().size(), 4u);
  const auto* abi = error_for(*reg_, "iotb_test_abi99.so");
  ASSERT_NE(abi, nullptr);
  EXPECT_THAT(abi->error, HasSubstr("no common ABI version"));
  EXPECT_THAT(abi->error, HasSubstr("speaks 99, the broker offers 1"));
  const auto* no_entry = error_for(*reg_, "iotb_test_no_entry.so");
  ASSERT_NE(no_entry, nullptr);
  EXPECT_THAT(no_entry->error, HasSubstr("not an iotbroker sink plugin"));
  EXPECT_THAT(no_entry->error, HasSubstr("iotb_sink_plugin_entry"));  // dlerror() text
  const auto* junk = error_for(*reg_, "x.so");
  ASSERT_NE(junk, nullptr);
  EXPECT_THAT(junk->error, HasSubstr("dlopen failed"));
  EXPECT_THAT(junk->error, HasSubstr("x.so"));  // dlerror() names the file
  const auto* dup = error_for(*reg_, "iotb_test_scripted_dup.so");
  ASSERT_NE(dup, nullptr);
  EXPECT_THAT(dup->error, HasSubstr("a plugin named 'scripted' is already loaded"));
}

TEST_F(PluginLoader, JsonListsPluginsAndErrors) {
  rapidjson::Document d;
  d.Parse(reg_->to_json().c_str());
  ASSERT_TRUE(d.IsObject());
  ASSERT_TRUE(d["items"].IsArray());
  ASSERT_EQ(d["items"].Size(), 2u);
  const auto& item = d["items"][0];
  for (const char* k : {"name", "version", "description", "file"})
    EXPECT_TRUE(item[k].IsString()) << k;
  EXPECT_EQ(item["abi"].GetUint(), 1u);
  ASSERT_EQ(d["errors"].Size(), 4u);
  EXPECT_TRUE(d["errors"][0]["file"].IsString());
  EXPECT_TRUE(d["errors"][0]["error"].IsString());
}

TEST_F(PluginLoader, CreateFailureCarriesThePluginsText) {
  log_capture logs;
  create_options o;
  o.instance_name = "rule 1 action 1";
  o.log = logs.fn();
  auto bad = reg_->create("create_fails", "{}", o);
  ASSERT_FALSE(bad);
  EXPECT_THAT(bad.error(), HasSubstr("refused by design"));
  EXPECT_THAT(bad.error(), HasSubstr("bad configuration"));
  EXPECT_THAT(bad.error(), HasSubstr("rule 1 action 1"));
  EXPECT_TRUE(logs.has("create_fails[rule 1 action 1]: create called"));

  auto later = reg_->create("create_fails", R"({"transient":true})");
  ASSERT_FALSE(later);
  EXPECT_THAT(later.error(), HasSubstr("temporary failure"));

  auto none = reg_->create("abi99", "{}");
  ASSERT_FALSE(none);
  EXPECT_THAT(none.error(), HasSubstr("no sink plugin named 'abi99'"));

  // The C++ wrapper turns the constructor's exception into the error text.
  auto word = reg_->create("scripted", R"({"statuses":["maybe"]})");
  ASSERT_FALSE(word);
  EXPECT_THAT(word.error(), HasSubstr("unknown word 'maybe'"));
  auto notjson = reg_->create("scripted", "[1,");
  ASSERT_FALSE(notjson);
  EXPECT_THAT(notjson.error(), HasSubstr("not a JSON object"));
}

std::vector<record> records(std::size_t n, const std::vector<std::string>& outputs) {
  std::vector<record> v(n);
  for (std::size_t i = 0; i < n; ++i) {
    v[i].output = outputs[i % outputs.size()];
    v[i].topic = "/pk/dn/user/update";
    v[i].product_key = "pk";
    v[i].device_name = "dn";
    v[i].message_id = 100 + i;
    v[i].timestamp_ms = 1'700'000'000'000;
  }
  return v;
}

TEST_F(PluginLoader, StatusPerRecord) {
  auto s = reg_->create("scripted",
                        R"({"statuses":["ok","retry:250","drop","throttle:1000","retry","bad"]})");
  ASSERT_TRUE(s) << s.error();
  EXPECT_EQ(s->plugin().name, "scripted");
  std::vector<std::string> out = {R"({"t":1})"};
  auto batch = records(7, out);
  auto st = s->deliver(batch);
  ASSERT_EQ(st.size(), 7u);
  EXPECT_EQ(st[0].status, delivery_status::ok);
  EXPECT_TRUE(st[0].error.empty());
  EXPECT_EQ(st[1].status, delivery_status::retry);
  EXPECT_EQ(st[1].delay, std::chrono::milliseconds{250});
  EXPECT_EQ(st[1].error, "scripted retry of message 101 on /pk/dn/user/update");
  EXPECT_EQ(st[2].status, delivery_status::drop);
  EXPECT_EQ(st[2].error, "scripted drop of message 102 on /pk/dn/user/update");
  EXPECT_EQ(st[3].status, delivery_status::throttle);
  EXPECT_EQ(st[3].delay, std::chrono::milliseconds{1000});
  EXPECT_EQ(st[4].status, delivery_status::retry);
  EXPECT_EQ(st[4].delay, std::chrono::milliseconds{0});
  // An out-of-range status is a breach of the contract: retried, explained.
  EXPECT_EQ(st[5].status, delivery_status::retry);
  EXPECT_THAT(st[5].error, HasSubstr("unknown status 42"));
  EXPECT_EQ(st[6].status, delivery_status::ok);
  EXPECT_TRUE(s->deliver({}).empty());
  EXPECT_FALSE(s->flush());
}

TEST_F(PluginLoader, ThrowingDeliverAndFlushBecomeErrors) {
  auto s = reg_->create("scripted", R"({"throw":true,"flushFails":true})");
  ASSERT_TRUE(s) << s.error();
  auto batch = records(3, {"{}"});
  auto st = s->deliver(batch);
  ASSERT_EQ(st.size(), 3u);
  for (const auto& r : st) {
    EXPECT_EQ(r.status, delivery_status::retry);
    EXPECT_EQ(r.error, "scripted exception");
  }
  auto f = s->flush();
  ASSERT_TRUE(f);
  EXPECT_EQ(*f, "scripted flush failure");
  // The destructor's flush fails too: logged, and destroy still runs.
}

TEST_F(PluginLoader, HostClockAndLogReachThePlugin) {
  log_capture logs;
  create_options o;
  o.instance_name = "t1";
  o.clock = [] { return std::int64_t{12345}; };
  o.log = logs.fn();
  auto s = reg_->create("scripted", "{}", o);
  ASSERT_TRUE(s) << s.error();
  EXPECT_TRUE(logs.has("scripted[t1]: created at 12345"));
}

TEST_F(PluginLoader, InstancesOutliveTheRegistryAndMove) {
  auto s = reg_->create("scripted", "{}");
  ASSERT_TRUE(s);
  sink_instance moved = std::move(*s);
  reg_.reset();  // the library stays loaded while an instance lives
  auto batch = records(2, {"{}"});
  auto st = moved.deliver(batch);
  ASSERT_EQ(st.size(), 2u);
  EXPECT_EQ(st[1].status, delivery_status::ok);
}

TEST(PluginLoaderDirs, MissingAndEmptyDirectoriesLoadNothing) {
  temp_dir empty{"iotb-plugins-empty"};
  auto reg = plugin_registry::load({empty.path(), empty / "absent"});
  EXPECT_TRUE(reg->plugins().empty());
  EXPECT_TRUE(reg->errors().empty());
  EXPECT_EQ(reg->to_json(), R"({"items":[],"errors":[]})");
}

TEST(PluginLoaderDirs, OneFileNamedTwiceLoadsOnce) {
  auto once = plugin_registry::load({IOTB_PLUGIN_BUILD_DIR});
  auto reg = plugin_registry::load({IOTB_PLUGIN_BUILD_DIR, IOTB_PLUGIN_BUILD_DIR});
  ASSERT_GE(once->plugins().size(), 1u);  // file, and postgresql when libpq was found
  ASSERT_EQ(reg->plugins().size(), once->plugins().size());
  EXPECT_NE(reg->find("file"), nullptr);
  EXPECT_NE(reg->find("http"), nullptr);
  EXPECT_TRUE(reg->errors().empty());
}

TEST(PluginIsolation, APluginsOpenSslCallsReachItsOwnOpenSsl3) {
  auto reg = plugin_registry::load({IOTB_TLS_PROBE_DIR});
  if (reg->plugins().empty())
    GTEST_SKIP() << "no tls_probe plugin: libcrypto.so.3 was not found at configure time";
  const auto& d = reg->plugins()[0].description;
  EXPECT_LT(OpenSSL_version_num(), 0x30000000UL) << "the host's libcrypto is BoringSSL";
#ifdef IOTB_TEST_NO_DEEPBIND
  // Without RTLD_DEEPBIND the global, unversioned BoringSSL symbols win:
  // the hazard SPEC §9 names, and why sanitizer builds warn at load.
  EXPECT_THAT(d, HasSubstr("OpenSSL_version_num=0x1")) << d;
#else
  EXPECT_THAT(d, HasSubstr("OpenSSL_version_num=0x3")) << d;
#endif
}

}  // namespace
}  // namespace iotb::plugins
