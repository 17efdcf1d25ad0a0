#include "broker/store/thing_store.hpp"

#include <gtest/gtest.h>

#include "broker/util/temp_dir.hpp"

namespace iotb::store {
namespace {

class ThingStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto e = env::open(tmp_.path(), {std::size_t{64} << 20, false});
    ASSERT_TRUE(e) << e.error().what;
    env_ = *e;
  }
  static property_record value(std::string id, std::string v, std::uint64_t t, std::uint64_t mid) {
    property_record r;
    r.identifier = std::move(id);
    r.value = std::move(v);
    r.time_ms = t;
    r.message_id = mid;
    return r;
  }
  temp_dir tmp_{"iotb-thing-store"};
  std::shared_ptr<env> env_;
};

TEST_F(ThingStoreTest, ModelAndCheckMode) {
  auto t = env_->write();
  ASSERT_TRUE(t);
  EXPECT_EQ(get_thing_model(*t, "pk1").error().code, errc::not_found);
  ASSERT_TRUE(set_check_mode(*t, "pk1", thing::check_mode::strict, 5));
  auto m = get_thing_model(*t, "pk1");
  ASSERT_TRUE(m);
  EXPECT_TRUE(m->tsl.empty());
  EXPECT_EQ(m->mode, thing::check_mode::strict);
  ASSERT_TRUE(put_thing_model(*t, "pk1", {R"({"properties":[]})", m->mode, 9}));
  m = get_thing_model(*t, "pk1");
  EXPECT_EQ(m->tsl, R"({"properties":[]})");
  EXPECT_EQ(m->mode, thing::check_mode::strict);
  EXPECT_EQ(m->updated_ms, 9u);
  erase_thing_model(*t, "pk1");
  EXPECT_FALSE(get_thing_model(*t, "pk1"));
}

TEST_F(ThingStoreTest, LatestKeepsTheNewestAndHistoryKeepsAll) {
  auto t = env_->write();
  ASSERT_TRUE(t);
  ASSERT_TRUE(put_properties(*t, "pk", "dev",
                             {value("temp", "20", 100, 1), value("hum", "40", 100, 1)}, true));
  ASSERT_TRUE(put_properties(*t, "pk", "dev", {value("temp", "21", 200, 2)}, true));
  // A history post of an older value: history only.
  ASSERT_TRUE(put_properties(*t, "pk", "dev", {value("temp", "19", 50, 3)}, true));
  // Another device whose name extends this one's: kept apart.
  ASSERT_TRUE(put_properties(*t, "pk", "dev2", {value("temp", "99", 150, 4)}, true));
  auto latest = latest_properties(*t, "pk", "dev");
  ASSERT_TRUE(latest);
  ASSERT_EQ(latest->size(), 2u);
  EXPECT_EQ((*latest)[0].identifier, "hum");
  EXPECT_EQ((*latest)[1].identifier, "temp");
  EXPECT_EQ((*latest)[1].value, "21");
  EXPECT_EQ((*latest)[1].message_id, 2u);
  auto h = property_history(*t, "pk", "dev", "temp", 0, ~0ull, 100);
  ASSERT_TRUE(h);
  ASSERT_EQ(h->size(), 3u);
  EXPECT_EQ((*h)[0].value, "19");
  EXPECT_EQ((*h)[2].value, "21");
  h = property_history(*t, "pk", "dev", "temp", 60, 150, 100);
  ASSERT_EQ(h->size(), 1u);
  EXPECT_EQ((*h)[0].time_ms, 100u);
  h = property_history(*t, "pk", "dev", "temp", 0, ~0ull, 2);
  EXPECT_EQ(h->size(), 2u);
  // "te" is a prefix of "temp": no mix-up.
  EXPECT_TRUE(property_history(*t, "pk", "dev", "te", 0, ~0ull, 100)->empty());
}

TEST_F(ThingStoreTest, EventsByTimeAndIdentifier) {
  auto t = env_->write();
  ASSERT_TRUE(t);
  ASSERT_TRUE(append_event(*t, "pk", "dev", {"alarm", "alert", R"({"level":3})", 10, 1}));
  ASSERT_TRUE(append_event(*t, "pk", "dev", {"boot", "info", "{}", 20, 2}));
  ASSERT_TRUE(append_event(*t, "pk", "dev", {"alarm", "alert", R"({"level":1})", 30, 3}));
  auto all = list_events(*t, "pk", "dev", "", 0, ~0ull, 10);
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[1].identifier, "boot");
  auto alarms = list_events(*t, "pk", "dev", "alarm", 15, ~0ull, 10);
  ASSERT_EQ(alarms->size(), 1u);
  EXPECT_EQ((*alarms)[0].params, R"({"level":1})");
}

TEST_F(ThingStoreTest, DesiredVersionsAndDelete) {
  auto t = env_->write();
  ASSERT_TRUE(t);
  auto d = put_desired(*t, "pk", "dev", {value("power", "1", 5, 7)});
  ASSERT_TRUE(d);
  EXPECT_EQ((*d)[0].version, 1u);
  d = put_desired(*t, "pk", "dev", {value("power", "0", 6, 8), value("mode", "2", 6, 8)});
  EXPECT_EQ((*d)[0].version, 2u);
  EXPECT_EQ((*d)[1].version, 1u);
  auto got = get_desired(*t, "pk", "dev", {"power", "absent"});
  ASSERT_EQ(got->size(), 1u);
  EXPECT_EQ((*got)[0].value, "0");
  EXPECT_FALSE(delete_desired(*t, "pk", "dev", "power", 1));  // stale version
  EXPECT_TRUE(delete_desired(*t, "pk", "dev", "power", 2));
  EXPECT_EQ(get_desired(*t, "pk", "dev", {})->size(), 1u);
}

TEST_F(ThingStoreTest, PurgeDropsOnlyOldRecordsAndResumes) {
  auto t = env_->write();
  ASSERT_TRUE(t);
  for (std::uint64_t i = 1; i <= 10; ++i) {
    ASSERT_TRUE(put_properties(*t, "pk", "a", {value("x", "1", i * 10, i)}, true));
    ASSERT_TRUE(put_properties(*t, "pk", "a", {value("y", "1", i * 10, i)}, true));
    ASSERT_TRUE(put_properties(*t, "pk", "b", {value("x", "1", i * 10, i)}, true));
  }
  // Before 55: 5 of each group (3 groups), in passes of 4.
  std::size_t total = 0;
  std::string resume;
  int passes = 0;
  do {
    auto r = purge_before(*t, table::history, 55, 4, resume);
    ASSERT_TRUE(r) << r.error().what;
    total += r->deleted;
    resume = r->resume;
    ++passes;
  } while (!resume.empty() && passes < 20);
  EXPECT_EQ(total, 15u);
  EXPECT_EQ(passes, 4);
  auto h = property_history(*t, "pk", "a", "y", 0, ~0ull, 100);
  ASSERT_EQ(h->size(), 5u);
  EXPECT_EQ((*h)[0].time_ms, 60u);
  // Latest values are never purged.
  EXPECT_EQ(latest_properties(*t, "pk", "b")->size(), 1u);
}

TEST_F(ThingStoreTest, EraseDeviceDataAndShadowOta) {
  auto t = env_->write();
  ASSERT_TRUE(t);
  ASSERT_TRUE(put_properties(*t, "pk", "dev", {value("x", "1", 1, 1)}, true));
  ASSERT_TRUE(put_properties(*t, "pk", "dev2", {value("x", "1", 1, 1)}, true));
  ASSERT_TRUE(append_event(*t, "pk", "dev", {"e", "", "{}", 1, 1}));
  ASSERT_TRUE(put_shadow(*t, "pk", "dev", R"({"state":{}})"));
  ASSERT_TRUE(put_ota(*t, "pk", "dev", {"1.2.0", "default", 50, "half", 3, 4}));
  EXPECT_EQ(get_ota(*t, "pk", "dev")->version, "1.2.0");
  EXPECT_EQ(*get_shadow(*t, "pk", "dev"), R"({"state":{}})");
  ASSERT_TRUE(erase_thing_data(*t, "pk", "dev"));
  EXPECT_TRUE(latest_properties(*t, "pk", "dev")->empty());
  EXPECT_TRUE(list_events(*t, "pk", "dev", "", 0, ~0ull, 9)->empty());
  EXPECT_EQ(get_shadow(*t, "pk", "dev").error().code, errc::not_found);
  EXPECT_EQ(get_ota(*t, "pk", "dev").error().code, errc::not_found);
  EXPECT_EQ(latest_properties(*t, "pk", "dev2")->size(), 1u);
}

TEST_F(ThingStoreTest, CorruptRecordsAreErrors) {
  auto t = env_->write();
  ASSERT_TRUE(t);
  std::uint8_t junk[] = {1, 2, 3};
  ASSERT_TRUE(t->put(table::thing_models, "pk", junk));
  EXPECT_EQ(get_thing_model(*t, "pk").error().code, errc::corrupt);
  ASSERT_TRUE(t->put(table::properties, std::string("pk/dev\0x", 8), junk));
  EXPECT_EQ(latest_properties(*t, "pk", "dev").error().code, errc::corrupt);
  ASSERT_TRUE(t->put(table::shadows, "pk/dev", junk));
  EXPECT_EQ(get_shadow(*t, "pk", "dev").error().code, errc::corrupt);
}

}  // namespace
}  // namespace iotb::store
