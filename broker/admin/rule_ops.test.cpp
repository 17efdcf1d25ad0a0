#include "broker/admin/rule_ops.hpp"

#include <gtest/gtest.h>

#include "broker/util/temp_dir.hpp"

namespace iotb::admin::ops {
namespace {

TEST(rule_body, create_needs_name_sql_actions_and_checks_their_shape) {
  rule_limits lim;
  auto b = parse_rule_body(
      R"({"name":"hot","sql":"SELECT * FROM \"/a\"","actions":[{"type":"republish","topic":"x/${a}","qos":1},{"type":"file","path":"/tmp/f"}],"errorAction":{"type":"file","path":"/tmp/e"}})",
      true, lim);
  ASSERT_TRUE(b) << b.error().message;
  ASSERT_TRUE(b->actions);
  ASSERT_EQ(b->actions->size(), 2u);
  EXPECT_EQ((*b->actions)[0].type, "republish");
  EXPECT_EQ((*b->actions)[0].config, R"({"topic":"x/${a}","qos":1})");
  ASSERT_TRUE(b->error_action && *b->error_action);
  EXPECT_EQ((**b->error_action).type, "file");

  auto missing = parse_rule_body(R"({"name":"x","actions":[]})", true, lim);
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("sql"), std::string::npos);
  auto notype = parse_rule_body(R"({"name":"x","sql":"s","actions":[{"topic":"a"}]})", true, lim);
  ASSERT_FALSE(notype);
  EXPECT_NE(notype.error().message.find("actions[0].type"), std::string::npos);
  auto badtype =
      parse_rule_body(R"({"name":"x","sql":"s","actions":[{"type":"Bad Type"}]})", true, lim);
  ASSERT_FALSE(badtype);
  std::string eleven = R"({"name":"x","sql":"s","actions":[)";
  for (int i = 0; i < 11; ++i)
    eleven += std::string(i ? "," : "") + R"({"type":"republish","topic":"t"})";
  eleven += "]}";
  auto many = parse_rule_body(eleven, true, lim);
  ASSERT_FALSE(many);
  EXPECT_NE(many.error().message.find("at most 10"), std::string::npos);
  auto unknown = parse_rule_body(R"({"name":"x","sql":"s","actions":[],"nope":1})", true, lim);
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, api_errc::bad_field);
  // A patch may name any subset; errorAction null removes it.
  auto patch = parse_rule_body(R"({"enabled":false,"errorAction":null})", false, lim);
  ASSERT_TRUE(patch);
  EXPECT_EQ(patch->enabled, false);
  ASSERT_TRUE(patch->error_action);
  EXPECT_FALSE(*patch->error_action);
}

TEST(rule_ops, create_update_delete_with_the_rule_limit) {
  temp_dir tmp{"iotb-rule-ops"};
  auto e = store::env::open(tmp.path(), {std::size_t{64} << 20, false});
  ASSERT_TRUE(e);
  rule_limits lim;
  lim.max_rules = 2;
  auto body = parse_rule_body(
      R"({"name":"r","sql":"SELECT 1 FROM \"a\"","actions":[{"type":"republish","topic":"b"}]})",
      true, lim);
  ASSERT_TRUE(body);
  ASSERT_TRUE(create_rule(**e, "r1", *body, lim, 10));
  EXPECT_EQ(create_rule(**e, "r1", *body, lim, 10).error().code, store::errc::exists);
  ASSERT_TRUE(create_rule(**e, "r2", *body, lim, 10));
  auto third = create_rule(**e, "r3", *body, lim, 10);
  ASSERT_FALSE(third);
  EXPECT_EQ(third.error().code, store::errc::invalid);
  auto patch =
      parse_rule_body(R"({"enabled":false,"errorAction":{"type":"file","path":"p"}})", false, lim);
  ASSERT_TRUE(patch);
  auto up = update_rule(**e, "r1", *patch, 20);
  ASSERT_TRUE(up);
  EXPECT_FALSE(up->enabled);
  EXPECT_EQ(up->updated_ms, 20u);
  EXPECT_EQ(up->created_ms, 10u);
  EXPECT_EQ(stored_actions(*up).size(), 1u);
  ASSERT_TRUE(stored_error_action(*up));
  EXPECT_EQ(stored_error_action(*up)->config, R"({"path":"p"})");
  EXPECT_EQ(update_rule(**e, "nope", *patch, 20).error().code, store::errc::not_found);
  ASSERT_TRUE(delete_rule(**e, "r2"));
  EXPECT_EQ(delete_rule(**e, "r2").error().code, store::errc::not_found);
  EXPECT_EQ(list_rules(**e)->size(), 1u);
}

}  // namespace
}  // namespace iotb::admin::ops
