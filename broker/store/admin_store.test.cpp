#include "broker/store/admin_store.hpp"

#include <gtest/gtest.h>

#include "broker/util/temp_dir.hpp"

namespace iotb::store {
namespace {

class AdminStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto e = env::open(tmp_.path(), {std::size_t{64} << 20, false});
    ASSERT_TRUE(e) << e.error().what;
    env_ = *e;
  }
  temp_dir tmp_{"iotb-admin-store"};
  std::shared_ptr<env> env_;
};

TEST_F(AdminStoreTest, UsersAddGetListDelete) {
  auto t = env_->write();
  ASSERT_TRUE(t);
  EXPECT_EQ(count_admin_users(*t), 0u);
  auto a = add_admin_user(*t, "alice", admin_role::admin, "pbkdf2-sha256$1$x$y");
  ASSERT_TRUE(a) << a.error().what;
  EXPECT_GT(a->created_ms, 0u);
  ASSERT_TRUE(add_admin_user(*t, "bob", admin_role::viewer, "h"));
  auto dup = add_admin_user(*t, "alice", admin_role::viewer, "h");
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().code, errc::exists);
  EXPECT_EQ(add_admin_user(*t, "bad name", admin_role::admin, "h").error().code, errc::invalid);
  EXPECT_EQ(add_admin_user(*t, "", admin_role::admin, "h").error().code, errc::invalid);
  EXPECT_EQ(add_admin_user(*t, "carol", admin_role::admin, "").error().code, errc::invalid);
  ASSERT_TRUE(t->commit());

  {
    auto r = env_->read();
    EXPECT_EQ(count_admin_users(*r), 2u);
    auto got = get_admin_user(*r, "bob");
    ASSERT_TRUE(got);
    EXPECT_EQ(got->role, admin_role::viewer);
    EXPECT_EQ(got->password_hash, "h");
    auto all = list_admin_users(*r);
    ASSERT_TRUE(all);
    ASSERT_EQ(all->size(), 2u);
    EXPECT_EQ((*all)[0].name, "alice");
    EXPECT_EQ(get_admin_user(*r, "nobody").error().code, errc::not_found);
  }

  auto w = env_->write();
  auto p = set_admin_password(*w, "bob", "h2");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->password_hash, "h2");
  EXPECT_EQ(set_admin_password(*w, "nobody", "h").error().code, errc::not_found);
  ASSERT_TRUE(delete_admin_user(*w, "alice"));
  EXPECT_EQ(delete_admin_user(*w, "alice").error().code, errc::not_found);
  ASSERT_TRUE(w->commit());
  EXPECT_EQ(count_admin_users(*env_->read()), 1u);
}

TEST_F(AdminStoreTest, RolesParse) {
  EXPECT_EQ(parse_admin_role("admin"), admin_role::admin);
  EXPECT_EQ(parse_admin_role("viewer"), admin_role::viewer);
  EXPECT_FALSE(parse_admin_role("root"));
  EXPECT_STREQ(to_string(admin_role::viewer), "viewer");
}

TEST_F(AdminStoreTest, AuditPagesNewestFirst) {
  auto t = env_->write();
  for (int i = 1; i <= 25; ++i) {
    audit_record r;
    r.who = "user:alice";
    r.action = "POST /api/v1/products";
    r.target = "pk" + std::to_string(i);
    r.address = "127.0.0.1";
    r.result = 201;
    auto seq = append_audit(*t, r);
    ASSERT_TRUE(seq);
    EXPECT_EQ(*seq, static_cast<std::uint64_t>(i));
  }
  ASSERT_TRUE(t->commit());
  auto r = env_->read();
  std::size_t total = 0;
  auto page = read_audit(*r, 0, 10, total);
  ASSERT_TRUE(page);
  EXPECT_EQ(total, 25u);
  ASSERT_EQ(page->size(), 10u);
  EXPECT_EQ((*page)[0].seq, 25u);
  EXPECT_EQ((*page)[0].target, "pk25");
  EXPECT_EQ((*page)[0].result, 201);
  EXPECT_GT((*page)[0].time_ms, 0u);
  auto last = read_audit(*r, 20, 10, total);
  ASSERT_EQ(last->size(), 5u);
  EXPECT_EQ(last->back().seq, 1u);
  EXPECT_TRUE(read_audit(*r, 30, 10, total)->empty());
}

TEST_F(AdminStoreTest, CorruptRecordsAreReported) {
  auto t = env_->write();
  std::uint8_t junk[] = {1, 2, 3};
  ASSERT_TRUE(t->put(table::admin_users, "mallory", junk));
  char key[8];
  put_be64(1, key);
  ASSERT_TRUE(t->put(table::audit, {key, 8}, junk));
  ASSERT_TRUE(t->commit());
  auto r = env_->read();
  EXPECT_EQ(get_admin_user(*r, "mallory").error().code, errc::corrupt);
  EXPECT_EQ(list_admin_users(*r).error().code, errc::corrupt);
  std::size_t total = 0;
  EXPECT_EQ(read_audit(*r, 0, 10, total).error().code, errc::corrupt);
}

}  // namespace
}  // namespace iotb::store
