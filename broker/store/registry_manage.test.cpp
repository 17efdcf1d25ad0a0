#include <gtest/gtest.h>

#include "broker/store/registry.hpp"
#include "broker/util/temp_dir.hpp"

namespace iotb::store {
namespace {

class RegistryManageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto e = env::open(tmp_.path(), {std::size_t{256} << 20, false});
    ASSERT_TRUE(e) << e.error().what;
    env_ = *e;
    auto t = env_->write();
    product_spec s;
    s.name = "thermo_1";
    pk_ = create_product(*t, s)->product_key;
    ASSERT_TRUE(t->commit());
  }
  temp_dir tmp_{"iotb-registry-manage"};
  std::shared_ptr<env> env_;
  std::string pk_;
};

TEST_F(RegistryManageTest, RenameAndDeleteProducts) {
  auto t = env_->write();
  auto p = set_product_name(*t, pk_, "renamed_1");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->name, "renamed_1");
  EXPECT_EQ(set_product_name(*t, pk_, "x").error().code, errc::invalid);
  EXPECT_EQ(set_product_name(*t, "nope", "valid_name").error().code, errc::not_found);
  ASSERT_TRUE(create_device(*t, pk_, "dev-0001"));
  EXPECT_EQ(delete_product(*t, pk_).error().code, errc::in_use);
  ASSERT_TRUE(delete_device(*t, pk_, "dev-0001"));
  auto before = last_change(*t);
  ASSERT_TRUE(delete_product(*t, pk_));
  EXPECT_EQ(changes_since(*t, before, 10)->back().kind, change_kind::product_deleted);
  EXPECT_EQ(get_product(*t, pk_).error().code, errc::not_found);
  EXPECT_EQ(delete_product(*t, pk_).error().code, errc::not_found);
}

TEST_F(RegistryManageTest, ListsApps) {
  auto t = env_->write();
  ASSERT_TRUE(create_app(*t, "b", {pk_}, {}));
  ASSERT_TRUE(create_app(*t, "a", {pk_}, {"write"}));
  auto apps = list_apps(*t);
  ASSERT_TRUE(apps);
  ASSERT_EQ(apps->size(), 2u);
  EXPECT_LT((*apps)[0].access_key_id, (*apps)[1].access_key_id);
}

TEST_F(RegistryManageTest, FindDevicesPagesAndFilters) {
  auto t = env_->write();
  for (int i = 0; i < 250; ++i) {
    char name[16];
    std::snprintf(name, sizeof name, "%s-%04d", i % 2 ? "odd" : "even", i);
    ASSERT_TRUE(create_device(*t, pk_, name));
  }
  ASSERT_TRUE(set_disabled(*t, pk_, "odd-0001", true));
  ASSERT_TRUE(mark_online(*t, pk_, "even-0002", "10.0.0.1", 5));
  // Another product's devices never show.
  product_spec s;
  s.name = "other_1";
  auto other = create_product(*t, s);
  ASSERT_TRUE(create_device(*t, other->product_key, "even-9999"));
  ASSERT_TRUE(t->commit());

  auto r = env_->read();
  auto all = find_devices(*r, pk_, {}, 0, 100);
  ASSERT_TRUE(all);
  EXPECT_EQ(all->total, 250u);
  ASSERT_EQ(all->items.size(), 100u);
  EXPECT_EQ(all->items[0].device_name, "even-0000");
  auto last = find_devices(*r, pk_, {}, 200, 100);
  EXPECT_EQ(last->items.size(), 50u);
  EXPECT_EQ(last->items.back().device_name, "odd-0249");

  device_filter odd;
  odd.name_prefix = "odd-";
  auto o = find_devices(*r, pk_, odd, 10, 5);
  EXPECT_EQ(o->total, 125u);
  ASSERT_EQ(o->items.size(), 5u);
  EXPECT_EQ(o->items[0].device_name, "odd-0021");

  device_filter disabled;
  disabled.enabled = false;
  auto d = find_devices(*r, pk_, disabled, 0, 10);
  EXPECT_EQ(d->total, 1u);
  EXPECT_EQ(d->items.at(0).device_name, "odd-0001");
  device_filter online;
  online.state = device_state::online;
  EXPECT_EQ(find_devices(*r, pk_, online, 0, 10)->items.at(0).device_name, "even-0002");
  device_filter enabled_even;
  enabled_even.enabled = true;
  enabled_even.name_prefix = "even";
  EXPECT_EQ(find_devices(*r, pk_, enabled_even, 0, 1)->total, 125u);
  device_filter none;
  none.name_prefix = "zzz";
  EXPECT_EQ(find_devices(*r, pk_, none, 0, 10)->total, 0u);
}

TEST_F(RegistryManageTest, DeviceCountAndKeysetPaging) {
  {
    auto t = env_->write();
    for (int i = 0; i < 30; ++i) {
      char name[16];
      std::snprintf(name, sizeof name, "dev-%04d", i);
      ASSERT_TRUE(create_device(*t, pk_, name));
    }
    ASSERT_TRUE(delete_device(*t, pk_, "dev-0007"));
    ASSERT_TRUE(t->commit());
  }
  {
    auto r = env_->read();
    EXPECT_EQ(stored_device_count(*r, pk_), 29u);
    device_filter after;
    after.after = "dev-0005";
    auto p = find_devices(*r, pk_, after, 0, 3);
    ASSERT_TRUE(p);
    EXPECT_EQ(p->total, 29u);  // the whole product, not what follows
    ASSERT_EQ(p->items.size(), 3u);
    EXPECT_EQ(p->items[0].device_name, "dev-0006");
    EXPECT_EQ(p->items[1].device_name, "dev-0008");  // 7 was deleted
    after.after = "dev-0029";
    EXPECT_TRUE(find_devices(*r, pk_, after, 0, 3)->items.empty());
    // With a filter (walked, not counted): the same page.
    after.after = "dev-0005";
    after.enabled = true;
    auto q = find_devices(*r, pk_, after, 1, 2);
    EXPECT_EQ(q->total, 29u);
    ASSERT_EQ(q->items.size(), 2u);
    EXPECT_EQ(q->items[0].device_name, "dev-0008");
  }
  // A registry from before the counter: the first change counts once.
  {
    auto t = env_->write();
    t->erase(table::meta, "devices/" + pk_);
    EXPECT_FALSE(stored_device_count(*t, pk_));
    EXPECT_EQ(find_devices(*t, pk_, {}, 0, 1)->total, 29u);  // walked
    ASSERT_TRUE(create_device(*t, pk_, "dev-0100"));
    EXPECT_EQ(stored_device_count(*t, pk_), 30u);
    ASSERT_TRUE(delete_device(*t, pk_, "dev-0100"));
    ASSERT_TRUE(delete_device(*t, pk_, "dev-0000"));
    EXPECT_EQ(stored_device_count(*t, pk_), 28u);
    ASSERT_TRUE(t->commit());
  }
}

}  // namespace
}  // namespace iotb::store
