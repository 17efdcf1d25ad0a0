#include "broker/cli/args.hpp"

#include <gtest/gtest.h>

namespace iotb::cli {
namespace {

TEST(CliArgs, WordsOptionsAndFlags) {
  auto a = args::parse({"device", "create", "--product", "pk", "--count=3", "--json"}, {"json"});
  ASSERT_TRUE(a);
  EXPECT_EQ(a->words(), (std::vector<std::string>{"device", "create"}));
  EXPECT_EQ(a->get("product"), "pk");
  EXPECT_EQ(a->get("count"), "3");
  EXPECT_EQ(a->get("json"), "true");
  EXPECT_FALSE(a->get("name"));
}

TEST(CliArgs, RepeatedOptionsAndExplicitFlagValues) {
  auto a = args::parse(
      {"app", "create", "--product", "a", "--product", "b", "--dynamic-register", "off"},
      {"dynamic-register"});
  ASSERT_TRUE(a);
  EXPECT_EQ(a->all("product"), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(a->get("product"), "b");
  EXPECT_EQ(a->get("dynamic-register"), "off");
}

TEST(CliArgs, Errors) {
  EXPECT_FALSE(args::parse({"device", "create", "--product"}, {}));
  EXPECT_FALSE(args::parse({"device", "--product", "pk", "stray"}, {}));
  auto a = args::parse({"x", "--bogus", "1"}, {});
  ASSERT_TRUE(a);
  EXPECT_EQ(a->unknown({"product"}), std::vector<std::string>{"bogus"});
}

}  // namespace
}  // namespace iotb::cli
