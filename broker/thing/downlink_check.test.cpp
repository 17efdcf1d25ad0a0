#include "broker/thing/downlink_check.hpp"

#include <gtest/gtest.h>

#include "broker/thing/test_models.hpp"

using namespace iotb::thing;

namespace {

std::shared_ptr<const product_model> lamp(check_mode mode) {
  auto m = product_model::make(test_models::lamp, mode);
  EXPECT_TRUE(m.has_value());
  return *m;
}

}  // namespace

TEST(downlink_check, strict_property_set_needs_known_writable_valid_values) {
  auto m = lamp(check_mode::strict);
  EXPECT_FALSE(check_property_set(*m, R"({"Brightness":80,"LightSwitch":1})"));
  auto p = check_property_set(*m, R"({"Nope":1})");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->code, alink_code::unknown_identifier);
  EXPECT_NE(p->message.find("Nope"), std::string::npos);
  p = check_property_set(*m, R"({"Brightness":"high"})");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->code, alink_code::bad_int);
  p = check_property_set(*m, R"({"Brightness":101})");  // max 100
  ASSERT_TRUE(p);
  EXPECT_EQ(p->code, alink_code::bad_int);
  p = check_property_set(*m, R"({"Temperature":20.5})");  // accessMode "r"
  ASSERT_TRUE(p);
  EXPECT_EQ(p->code, alink_code::bad_params);
  EXPECT_NE(p->message.find("read-only -> Temperature"), std::string::npos);
  EXPECT_TRUE(check_property_set(*m, "{}"));
  EXPECT_TRUE(check_property_set(*m, "[1]"));
}

TEST(downlink_check, strict_service_call_needs_a_known_service_and_valid_input) {
  auto m = lamp(check_mode::strict);
  EXPECT_FALSE(check_service_call(*m, "Reboot", R"({"DelaySeconds":5})"));
  EXPECT_FALSE(check_service_call(*m, "Reboot", "{}"));
  auto p = check_service_call(*m, "Explode", "{}");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->code, alink_code::unknown_identifier);
  p = check_service_call(*m, "Reboot", R"({"DelaySeconds":61})");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->code, alink_code::bad_int);
  p = check_service_call(*m, "Reboot", R"({"Speed":1})");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->code, alink_code::unknown_identifier);
}

TEST(downlink_check, weak_mode_and_no_model_send_as_given) {
  auto m = lamp(check_mode::weak);
  EXPECT_FALSE(check_property_set(*m, R"({"Nope":"x","Temperature":1})"));
  EXPECT_FALSE(check_service_call(*m, "Explode", R"({"a":1})"));
  auto none = product_model::make("", check_mode::strict);
  ASSERT_TRUE(none.has_value());
  EXPECT_FALSE(check_property_set(**none, R"({"Nope":1})"));
  EXPECT_FALSE(check_service_call(**none, "Explode", "{}"));
}
