#include "broker/thing/validate.hpp"

#include <string>

#include <gtest/gtest.h>

#include "broker/thing/test_models.hpp"

using namespace iotb::thing;

namespace {

class ValidateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto m = parse_tsl(test_models::lamp);
    ASSERT_TRUE(m.has_value());
    model_ = std::move(*m);
    index_.emplace(model_);
  }

  check_result post(const std::string& params, check_mode mode = check_mode::strict) {
    doc_.Parse(params.data(), params.size());
    EXPECT_FALSE(doc_.HasParseError()) << params;
    return check_properties(*index_, doc_, mode);
  }

  /// The strict code of `{"<id>":<value>}`.
  alink_code code_of(const std::string& id, const std::string& value) {
    return post("{\"" + id + "\":" + value + "}").code;
  }

  thing_model model_;
  std::optional<model_index> index_;
  rapidjson::Document doc_;
};

}  // namespace

TEST_F(ValidateTest, ValidPostBothForms) {
  auto r = post(R"({"Brightness":50,"Temperature":{"value":23.5,"time":1524448722000}})");
  ASSERT_TRUE(r.ok()) << r.message;
  ASSERT_EQ(r.accepted.size(), 2u);
  EXPECT_EQ(r.accepted[0].identifier, "Brightness");
  EXPECT_FALSE(r.accepted[0].time);
  EXPECT_EQ(r.accepted[1].identifier, "Temperature");
  EXPECT_EQ(*r.accepted[1].time, 1524448722000);
  EXPECT_DOUBLE_EQ(r.accepted[1].value->GetDouble(), 23.5);
}

TEST_F(ValidateTest, TypesAndRanges) {
  EXPECT_EQ(code_of("Brightness", "100"), alink_code::success);
  EXPECT_EQ(code_of("Brightness", "101"), alink_code::bad_int);
  EXPECT_EQ(code_of("Brightness", "-1"), alink_code::bad_int);
  EXPECT_EQ(code_of("Brightness", "\"15\""), alink_code::bad_int);  // as the platform does
  EXPECT_EQ(code_of("Brightness", "1.5"), alink_code::bad_int);
  EXPECT_EQ(code_of("Brightness", "true"), alink_code::bad_int);
  EXPECT_EQ(code_of("Brightness", "4294967296"), alink_code::bad_int);
  EXPECT_EQ(code_of("Temperature", "-40"), alink_code::success);
  EXPECT_EQ(code_of("Temperature", "120.5"), alink_code::bad_float);
  EXPECT_EQ(code_of("Temperature", "\"20\""), alink_code::bad_float);
  EXPECT_EQ(code_of("LightSwitch", "1"), alink_code::success);
  EXPECT_EQ(code_of("LightSwitch", "2"), alink_code::bad_bool);
  EXPECT_EQ(code_of("LightSwitch", "true"), alink_code::bad_bool);
  EXPECT_EQ(code_of("Color", "2"), alink_code::success);
  EXPECT_EQ(code_of("Color", "3"), alink_code::bad_enum);
  EXPECT_EQ(code_of("Color", "\"red\""), alink_code::bad_enum);
  EXPECT_EQ(code_of("Label", "\"0123456789abcdef\""), alink_code::success);
  EXPECT_EQ(code_of("Label", "\"0123456789abcdefg\""), alink_code::bad_text);
  EXPECT_EQ(code_of("Label", "\"ÄÖÜäöüßÄÖÜäöüßÄ\""), alink_code::success) << "counted in chars";
  EXPECT_EQ(code_of("Label", "16"), alink_code::bad_text);
  EXPECT_EQ(code_of("InstalledAt", "\"1524448722000\""), alink_code::success);
  EXPECT_EQ(code_of("InstalledAt", "1524448722000"), alink_code::success);
  EXPECT_EQ(code_of("InstalledAt", "\"2018-04-23\""), alink_code::bad_date);
  EXPECT_EQ(code_of("InstalledAt", "-5"), alink_code::bad_date);
  EXPECT_EQ(code_of("InstalledAt", "\"\""), alink_code::bad_date);
}

TEST_F(ValidateTest, StructsAndArrays) {
  EXPECT_EQ(code_of("Position", R"({"x":1.5,"label":"ab"})"), alink_code::success);
  EXPECT_EQ(code_of("Position", R"({"x":1.5})"), alink_code::success) << "fields may be absent";
  EXPECT_EQ(code_of("Position", R"({"x":181})"), alink_code::bad_float);
  EXPECT_EQ(code_of("Position", R"({"y":1})"), alink_code::unknown_identifier);
  EXPECT_EQ(code_of("Position", R"({"x":1,"x":2})"), alink_code::bad_struct);
  EXPECT_EQ(code_of("Position", "[1]"), alink_code::bad_struct);
  EXPECT_EQ(code_of("Position", R"({"value":{"x":1},"time":5})"), alink_code::success);
  EXPECT_EQ(code_of("Samples", "[0,1,2,9]"), alink_code::success);
  EXPECT_EQ(code_of("Samples", "[]"), alink_code::success);
  EXPECT_EQ(code_of("Samples", "[0,1,2,3,4,5,6,7,8]"), alink_code::bad_array);
  EXPECT_EQ(code_of("Samples", "[0,10]"), alink_code::bad_int);
  EXPECT_EQ(code_of("Samples", "{}"), alink_code::bad_array);
  auto r = post(R"({"Position":{"x":"far"}})");
  ASSERT_EQ(r.findings.size(), 1u);
  EXPECT_EQ(r.findings[0].identifier, "Position");
  EXPECT_EQ(r.findings[0].path, "Position.x");
  r = post(R"({"Samples":[1,2,99]})");
  EXPECT_EQ(r.findings[0].path, "Samples[2]");
  EXPECT_EQ(r.message, "tsl parse: int value is bigger than max 9 -> Samples[2]");
}

TEST_F(ValidateTest, StrictRejectsWholePost) {
  auto r = post(R"({"Brightness":50,"Nope":1,"Color":9})");
  EXPECT_EQ(r.code, alink_code::unknown_identifier);
  EXPECT_EQ(r.message, "tsl parse: params not exist -> Nope");
  EXPECT_TRUE(r.accepted.empty());
}

TEST_F(ValidateTest, WeakTagsAndKeepsValid) {
  auto r = post(R"({"Brightness":50,"Nope":1,"Color":9,"Label":{"value":"x","time":7}})",
                check_mode::weak);
  EXPECT_TRUE(r.ok());
  ASSERT_EQ(r.accepted.size(), 2u);
  EXPECT_EQ(r.accepted[0].identifier, "Brightness");
  EXPECT_EQ(r.accepted[1].identifier, "Label");
  ASSERT_EQ(r.findings.size(), 2u);
  EXPECT_EQ(r.findings[0].code, alink_code::unknown_identifier);
  EXPECT_EQ(r.findings[1].code, alink_code::bad_enum);
  EXPECT_EQ(
      findings_reply_data(r),
      R"({"Nope":"tsl parse: params not exist -> Nope","Color":"tsl parse: enum specs error -> Color"})");
  EXPECT_EQ(check_failed_data(r),
            R"({"Nope":{"code":6304,"message":"tsl parse: params not exist -> Nope","value":1},)"
            R"("Color":{"code":6309,"message":"tsl parse: enum specs error -> Color","value":9}})");
}

TEST_F(ValidateTest, MalformedPosts) {
  for (auto* p : {"[]", "1", "\"x\"", "null", "true"}) {
    auto r = post(p, check_mode::weak);
    EXPECT_EQ(r.code, alink_code::bad_params) << p;
    EXPECT_TRUE(r.accepted.empty());
  }
  EXPECT_TRUE(post("{}").ok());
  auto r = post(R"({"Brightness":{"value":1,"time":-3}})");
  EXPECT_EQ(r.code, alink_code::bad_params);
  r = post(R"({"Brightness":{"value":1,"time":"soon"}})");
  EXPECT_EQ(r.code, alink_code::bad_params);
  r = post(R"({"Brightness":{"value":1,"other":2}})");
  EXPECT_EQ(r.code, alink_code::bad_int) << "not the wrapper form: an object is not an int";
}

TEST_F(ValidateTest, DuplicateKeys) {
  auto r = post(R"({"Brightness":1,"Brightness":2})", check_mode::weak);
  ASSERT_EQ(r.accepted.size(), 1u);
  EXPECT_EQ(r.accepted[0].value->GetInt(), 1);
  ASSERT_EQ(r.findings.size(), 1u);
  EXPECT_EQ(r.findings[0].code, alink_code::bad_params);
  EXPECT_EQ(post(R"({"Brightness":1,"Brightness":2})").code, alink_code::bad_params);
}

TEST_F(ValidateTest, PropertyCountLimit) {
  auto make = [](int n) {
    std::string s = "{";
    for (int i = 0; i < n; ++i)
      s += std::string(i ? "," : "") + "\"p" + std::to_string(i) + "\":1";
    return s + "}";
  };
  auto r = post(make(500), check_mode::weak);
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.findings.size(), 500u);
  EXPECT_EQ(findings_reply_data(r).front(), '{');
  EXPECT_EQ(post(make(501), check_mode::weak).code, alink_code::bad_params);
}

TEST_F(ValidateTest, HugeTextAndArray) {
  auto* label = model_.find_property("Label");
  ASSERT_NE(label, nullptr);
  data_type text = label->type;
  text.length = max_text_length;
  rapidjson::Document d;
  std::string ok = "\"" + std::string(10240, 'a') + "\"";
  d.Parse(ok.data(), ok.size());
  EXPECT_FALSE(check_value(text, d, "t"));
  std::string too_long = "\"" + std::string(10241, 'a') + "\"";
  d.Parse(too_long.data(), too_long.size());
  auto f = check_value(text, d, "t");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->code, alink_code::bad_text);
  std::string big = "[";
  for (int i = 0; i < 100000; ++i)
    big += i ? ",1" : "1";
  big += "]";
  EXPECT_EQ(code_of("Samples", big), alink_code::bad_array);
}

TEST_F(ValidateTest, Events) {
  auto* alarm = model_.find_event("Alarm");
  ASSERT_NE(alarm, nullptr);
  rapidjson::Document d;
  d.Parse(R"({"value":{"Level":3,"Reason":"hot"},"time":1524448722000})");
  auto r = check_event(*alarm, d, check_mode::strict);
  ASSERT_TRUE(r.ok()) << r.message;
  ASSERT_EQ(r.accepted.size(), 2u);
  EXPECT_EQ(*r.accepted[0].time, 1524448722000);
  d.Parse(R"({"Level":3})");
  EXPECT_TRUE(check_event(*alarm, d, check_mode::strict).ok()) << "the bare form";
  d.Parse(R"({"value":{"Level":9}})");
  EXPECT_EQ(check_event(*alarm, d, check_mode::strict).code, alink_code::bad_int);
  d.Parse(R"({"value":{"Level":1},"time":"x"})");
  EXPECT_EQ(check_event(*alarm, d, check_mode::weak).code, alink_code::bad_params);
  d.Parse(R"([1])");
  EXPECT_EQ(check_event(*alarm, d, check_mode::weak).code, alink_code::bad_params);
}

TEST_F(ValidateTest, Services) {
  auto* reboot = model_.find_service("Reboot");
  ASSERT_NE(reboot, nullptr);
  rapidjson::Document d;
  d.Parse(R"({"DelaySeconds":10})");
  EXPECT_TRUE(check_service_input(*reboot, d, check_mode::strict).ok());
  d.Parse(R"({"DelaySeconds":61})");
  EXPECT_EQ(check_service_input(*reboot, d, check_mode::strict).code, alink_code::bad_int);
  d.Parse(R"({"Result":"ok"})");
  EXPECT_TRUE(check_service_output(*reboot, d, check_mode::strict).ok());
  d.Parse(R"({"Result":1})");
  EXPECT_EQ(check_service_output(*reboot, d, check_mode::strict).code, alink_code::bad_text);
}

TEST(ValidateIndex, FindsEveryProperty) {
  auto m = parse_tsl(test_models::lamp);
  ASSERT_TRUE(m.has_value());
  model_index idx(*m);
  for (auto& p : m->properties)
    EXPECT_EQ(idx.find(p.identifier), &p);
  EXPECT_EQ(idx.find("nope"), nullptr);
  EXPECT_EQ(idx.find(""), nullptr);
}
