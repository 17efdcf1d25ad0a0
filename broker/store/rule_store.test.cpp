#include "broker/store/rule_store.hpp"

#include <gtest/gtest.h>

#include "broker/util/temp_dir.hpp"

namespace iotb::store {
namespace {

class RuleStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto e = env::open(tmp_.path(), {std::size_t{64} << 20, false});
    ASSERT_TRUE(e) << e.error().what;
    env_ = *e;
  }
  temp_dir tmp_{"iotb-rule-store"};
  std::shared_ptr<env> env_;
};

TEST_F(RuleStoreTest, PutGetListErase) {
  auto t = env_->write();
  ASSERT_TRUE(t);
  EXPECT_EQ(get_rule(*t, "r1").error().code, errc::not_found);
  rule_record r;
  r.id = "r1";
  r.name = "hot";
  r.sql = R"(SELECT * FROM "/+/+/user/update" WHERE t > 38)";
  r.enabled = false;
  r.actions = R"([{"type":"republish","topic":"alerts/${dn}"}])";
  r.error_action = R"({"type":"file","path":"/tmp/x"})";
  r.created_ms = 5;
  r.updated_ms = 6;
  ASSERT_TRUE(put_rule(*t, r));
  rule_record r2 = r;
  r2.id = "r0";
  r2.enabled = true;
  r2.error_action.clear();
  ASSERT_TRUE(put_rule(*t, r2));
  ASSERT_TRUE(t->commit());

  {
    auto rt = env_->read();
    ASSERT_TRUE(rt);
    auto got = get_rule(*rt, "r1");
    ASSERT_TRUE(got);
    EXPECT_EQ(got->name, "hot");
    EXPECT_EQ(got->sql, r.sql);
    EXPECT_FALSE(got->enabled);
    EXPECT_EQ(got->actions, r.actions);
    EXPECT_EQ(got->error_action, r.error_action);
    EXPECT_EQ(got->created_ms, 5u);
    EXPECT_EQ(got->updated_ms, 6u);
    auto all = list_rules(*rt);
    ASSERT_TRUE(all);
    ASSERT_EQ(all->size(), 2u);
    EXPECT_EQ((*all)[0].id, "r0");  // by id
    EXPECT_TRUE((*all)[0].enabled);
    EXPECT_TRUE((*all)[0].error_action.empty());
  }

  auto w = env_->write();
  ASSERT_TRUE(w);
  EXPECT_TRUE(erase_rule(*w, "r1"));
  EXPECT_FALSE(erase_rule(*w, "r1"));
  ASSERT_TRUE(w->commit());
  auto r3 = env_->read();
  EXPECT_EQ(list_rules(*r3)->size(), 1u);
}

}  // namespace
}  // namespace iotb::store
