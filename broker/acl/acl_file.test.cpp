#include "broker/acl/acl_file.hpp"

#include "broker/acl/policy.hpp"

#include <gtest/gtest.h>

using namespace iotb::acl;

namespace {

acl_file parse(std::string_view text) {
  auto f = parse_acl_file(text);
  EXPECT_TRUE(f) << (f ? "" : f.error().what());
  return f ? std::move(*f) : acl_file{};
}

}  // namespace

TEST(acl_file, filter_matching) {
  EXPECT_TRUE(filter_matches("a/+/c", "a/b/c"));
  EXPECT_TRUE(filter_matches("a/#", "a"));
  EXPECT_TRUE(filter_matches("#", "x/y"));
  EXPECT_FALSE(filter_matches("#", "$SYS/x"));
  EXPECT_FALSE(filter_matches("+/x", "$SYS/x"));
  EXPECT_TRUE(filter_matches("$SYS/#", "$SYS/x"));
  EXPECT_FALSE(filter_matches("a/+", "a/b/c"));
  EXPECT_TRUE(filter_covers("a/#", "a/+/c"));
  EXPECT_FALSE(filter_covers("a/+", "a/#"));
  EXPECT_TRUE(filter_covers("+/+", "a/+"));
  EXPECT_FALSE(filter_covers("#", "$SYS/#"));
  EXPECT_TRUE(filters_overlap("#", "test/nosubscribe"));
  EXPECT_TRUE(filters_overlap("+/+", "test/nosubscribe"));
  EXPECT_TRUE(filters_overlap("a/+/c", "a/b/#"));
  EXPECT_FALSE(filters_overlap("a/+", "b/#"));
  EXPECT_FALSE(filters_overlap("+/x", "$SYS/x"));
}

TEST(acl_file, parses_users_anonymous_and_patterns) {
  auto f = parse(R"(# comment
topic read public/#
  topic   anon/x

user alice
topic readwrite alice/#
topic deny alice/secret
user bob smith
topic write  spaced topic/x
pattern read devices/%c/#
pattern write users/%u/out
)");
  ASSERT_EQ(f.anonymous.size(), 2u);
  EXPECT_EQ(f.anonymous[0].what, access::read);
  EXPECT_EQ(f.anonymous[1].what, access::readwrite);
  EXPECT_EQ(f.anonymous[1].filter, "anon/x");
  ASSERT_EQ(f.users.count("alice"), 1u);
  EXPECT_EQ(f.users["alice"].size(), 2u);
  ASSERT_EQ(f.users.count("bob smith"), 1u);
  EXPECT_EQ(f.users["bob smith"][0].filter, "spaced topic/x");
  EXPECT_EQ(f.patterns.size(), 2u);
}

TEST(acl_file, errors_name_the_line) {
  struct {
    const char* text;
    std::size_t line;
    acl_file_errc code;
  } cases[] = {
      {"topic read a\nfoo bar\n", 2, acl_file_errc::unknown_keyword},
      {"\n\nuser\n", 3, acl_file_errc::missing_user},
      {"topic\n", 1, acl_file_errc::missing_filter},
      {"topic rw a/b\n", 1, acl_file_errc::bad_access},
      {"topic read a/#/b\n", 1, acl_file_errc::bad_filter},
      {"pattern read a+/b\n", 1, acl_file_errc::bad_filter},
  };
  for (auto& c : cases) {
    auto f = parse_acl_file(c.text);
    ASSERT_FALSE(f) << c.text;
    EXPECT_EQ(f.error().line, c.line) << c.text;
    EXPECT_EQ(f.error().code, c.code) << c.text;
    EXPECT_NE(f.error().what().find("line " + std::to_string(c.line)), std::string::npos);
  }
  EXPECT_TRUE(parse_acl_file(""));
  EXPECT_TRUE(parse_acl_file("# only a comment"));
  EXPECT_TRUE(parse_acl_file("topic read"));  // Mosquitto: the topic "read"
}

TEST(acl_file, nothing_is_allowed_unless_granted) {
  auto f = parse("user alice\ntopic read a/#\n");
  auto anon = f.rules_for(std::nullopt, "c");
  EXPECT_FALSE(anon.can_publish("a/b"));
  EXPECT_EQ(anon.can_subscribe("a/#"), sub_verdict::deny);
  auto unknown = f.rules_for("mallory", "c");
  EXPECT_FALSE(unknown.can_read("a/b"));
  auto alice = f.rules_for("alice", "c");
  EXPECT_TRUE(alice.can_read("a/b"));
  EXPECT_FALSE(alice.can_publish("a/b"));  // read only
  EXPECT_EQ(alice.can_subscribe("a/b/+"), sub_verdict::allow);
}

TEST(acl_file, deny_wins_and_partial_overlaps_are_checked_per_delivery) {
  auto f = parse("topic readwrite #\ntopic deny test/nosubscribe\n");
  auto r = f.rules_for(std::nullopt, "any");
  EXPECT_EQ(r.can_subscribe("test/nosubscribe"), sub_verdict::deny);
  EXPECT_EQ(r.can_subscribe("test/+"), sub_verdict::allow_checked);
  EXPECT_EQ(r.can_subscribe("#"), sub_verdict::allow_checked);
  EXPECT_EQ(r.can_subscribe("TopicA/#"), sub_verdict::allow);
  EXPECT_FALSE(r.can_read("test/nosubscribe"));
  EXPECT_FALSE(r.can_publish("test/nosubscribe"));
  EXPECT_TRUE(r.can_read("test/other"));
  EXPECT_TRUE(r.can_publish("TopicA"));
  // A deny line wins wherever it is in the file.
  auto g = parse("topic deny x/1\ntopic readwrite x/#\n");
  EXPECT_FALSE(g.rules_for(std::nullopt, "c").can_publish("x/1"));
  EXPECT_TRUE(g.rules_for(std::nullopt, "c").can_publish("x/2"));
  // A grant narrower than the filter: allowed, each delivery checked.
  auto h = parse("topic read a/+\n");
  EXPECT_EQ(h.rules_for(std::nullopt, "c").can_subscribe("a/#"), sub_verdict::allow_checked);
  EXPECT_FALSE(h.rules_for(std::nullopt, "c").can_read("a/b/c"));
}

TEST(acl_file, patterns_substitute_client_id_and_username) {
  auto f = parse("pattern readwrite devices/%c/#\npattern read users/%u/in\n");
  auto anon = f.rules_for(std::nullopt, "dev1");
  EXPECT_TRUE(anon.can_publish("devices/dev1/x"));
  EXPECT_FALSE(anon.can_publish("devices/dev2/x"));
  EXPECT_FALSE(anon.can_read("users//in"));  // %u lines skip clients without a username
  auto bob = f.rules_for("bob", "dev2");
  EXPECT_TRUE(bob.can_read("users/bob/in"));
  EXPECT_TRUE(bob.can_read("devices/dev2/y"));
  EXPECT_FALSE(bob.can_publish("users/bob/in"));
  // Wildcards in a client id or username would widen a pattern: no access.
  EXPECT_FALSE(f.rules_for(std::nullopt, "#").can_read("devices/x/y"));
  EXPECT_FALSE(f.rules_for("a+b", "c").can_read("devices/c/y"));
  EXPECT_EQ(f.rules_for("a+b", "c").can_subscribe("devices/c/#"), sub_verdict::deny);
}

TEST(acl_file, dollar_topics_need_a_dollar_rule) {
  auto f = parse("topic read #\ntopic read $SYS/broker/#\n");
  auto r = f.rules_for(std::nullopt, "c");
  EXPECT_FALSE(r.can_read("$SYS/other"));
  EXPECT_TRUE(r.can_read("$SYS/broker/uptime"));
  EXPECT_EQ(r.can_subscribe("$SYS/#"), sub_verdict::allow_checked);
}

TEST(acl_file, identity_authorizer_narrows_applications_and_anonymous_only) {
  auto f = parse_acl_file("topic readwrite open/#\nuser ak1\ntopic read app/#\n");
  ASSERT_TRUE(f);
  identity_authorizer authz(std::make_shared<const acl_file>(std::move(*f)));
  iotb::auth::identity anon;
  anon.file_rules = authz.file_rules(anon, "c1");
  ASSERT_TRUE(anon.file_rules);
  EXPECT_TRUE(authz.can_publish(anon, "open/x").allowed);
  EXPECT_FALSE(authz.can_publish(anon, "closed/x").allowed);
  EXPECT_TRUE(authz.can_subscribe(anon, "$share/g/open/#").allowed);
  EXPECT_FALSE(authz.can_subscribe(anon, "$share/g/app/#").allowed);
  // The file narrows: anonymous clients stay out of device namespaces.
  EXPECT_FALSE(authz.can_publish(anon, "/sys/pk/dn/thing/event/property/post").allowed);

  iotb::auth::identity app;
  app.who = iotb::auth::identity::kind::application;
  app.username = "ak1";
  EXPECT_TRUE(authz.can_subscribe(app, "app/+").allowed);  // rules computed on the fly
  EXPECT_FALSE(authz.can_publish(app, "app/x").allowed);
  // An anonymous client claiming that username gets the anonymous lines.
  iotb::auth::identity claimer;
  claimer.username = "ak1";
  EXPECT_FALSE(authz.can_subscribe(claimer, "app/+").allowed);

  iotb::auth::identity dev;
  dev.who = iotb::auth::identity::kind::device;
  dev.product_key = "a1B2c3D4e5F";
  dev.device_name = "dev-0001";
  EXPECT_EQ(authz.file_rules(dev, "x"), nullptr);
  EXPECT_TRUE(authz.can_publish(dev, "/a1B2c3D4e5F/dev-0001/user/update").allowed);
}

TEST(acl_file, make_authorizer_reports_the_file_and_line) {
  auto none = make_authorizer("");
  EXPECT_TRUE(none);
  auto missing = make_authorizer("/nonexistent/acl.conf");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().find("/nonexistent/acl.conf"), std::string::npos);
}
