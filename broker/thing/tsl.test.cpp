#include "broker/thing/tsl.hpp"

#include <string>

#include <gtest/gtest.h>

#include "broker/thing/test_models.hpp"

using namespace iotb::thing;

namespace {

tsl_error parse_error(const std::string& json) {
  auto m = parse_tsl(json);
  EXPECT_FALSE(m.has_value()) << json;
  return m ? tsl_error{} : m.error();
}

/// A document with one property whose dataType is `dt`.
std::string with_type(const std::string& dt) {
  return R"({"profile":{"productKey":"pk"},"properties":[{"identifier":"p","name":"P",)"
         R"("accessMode":"rw","required":false,"dataType":)" +
         dt + "}]}";
}

}  // namespace

TEST(TslParse, PlatformExportParses) {
  auto m = parse_tsl(test_models::lamp);
  ASSERT_TRUE(m.has_value()) << m.error().to_string();
  EXPECT_EQ(m->product_key, "a1Lamp");
  ASSERT_EQ(m->properties.size(), 8u);
  auto* temp = m->find_property("Temperature");
  ASSERT_NE(temp, nullptr);
  EXPECT_EQ(temp->type.kind, data_kind::float32);
  EXPECT_EQ(temp->type.min, -40.0);
  EXPECT_EQ(temp->type.max, 120.0);
  EXPECT_EQ(temp->type.unit, "°C");
  EXPECT_EQ(temp->access, access_mode::read);
  auto* color = m->find_property("Color");
  ASSERT_NE(color, nullptr);
  ASSERT_EQ(color->type.values.size(), 3u);
  EXPECT_EQ(color->type.values[2].second, "green");
  auto* pos = m->find_property("Position");
  ASSERT_NE(pos, nullptr);
  ASSERT_EQ(pos->type.fields.size(), 2u);
  auto* list = m->find_property("Samples");
  ASSERT_NE(list, nullptr);
  EXPECT_EQ(list->type.size, 8u);
  ASSERT_EQ(list->type.item.size(), 1u);
  EXPECT_EQ(list->type.item[0].kind, data_kind::int32);
  auto* alarm = m->find_event("Alarm");
  ASSERT_NE(alarm, nullptr);
  EXPECT_EQ(alarm->type, event_type::alert);
  EXPECT_EQ(alarm->method, "thing.event.Alarm.post");
  auto* get = m->find_service("get");
  ASSERT_NE(get, nullptr);
  EXPECT_EQ(get->input_refs.size(), 2u);
  auto* reboot = m->find_service("Reboot");
  ASSERT_NE(reboot, nullptr);
  EXPECT_EQ(reboot->call, call_type::sync);
  EXPECT_EQ(reboot->method, "thing.service.Reboot");
}

TEST(TslParse, RoundTripIsEqual) {
  auto m = parse_tsl(test_models::lamp);
  ASSERT_TRUE(m.has_value());
  auto text = export_tsl(*m);
  EXPECT_EQ(text.find(": "), std::string::npos);              // compact
  EXPECT_NE(text.find(R"("min":"-40")"), std::string::npos);  // specs as strings
  auto again = parse_tsl(text);
  ASSERT_TRUE(again.has_value()) << again.error().to_string();
  EXPECT_EQ(*m, *again);
  EXPECT_EQ(export_tsl(*again), text);
}

TEST(TslParse, SpecsAcceptNumbersAndStrings) {
  auto a = parse_tsl(with_type(R"({"type":"int","specs":{"min":"0","max":"100","step":"1"}})"));
  auto b = parse_tsl(with_type(R"({"type":"int","specs":{"min":0,"max":100,"step":1}})"));
  ASSERT_TRUE(a.has_value());
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(*a, *b);
  auto d = parse_tsl(with_type(R"({"type":"double","specs":{"min":"-0.5","max":"1e3"}})"));
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(*d->properties[0].type.max, 1000.0);
}

TEST(TslParse, ErrorsNameThePath) {
  auto e = parse_error(with_type(R"({"type":"int","specs":{"min":"10","max":"1"}})"));
  EXPECT_EQ(e.code, tsl_errc::bad_value);
  EXPECT_EQ(e.path, "properties[0].dataType.specs.max");
  e = parse_error(with_type(R"({"type":"int","specs":{"min":"abc"}})"));
  EXPECT_EQ(e.path, "properties[0].dataType.specs.min");
  e = parse_error(with_type(R"({"type":"long"})"));
  EXPECT_EQ(e.path, "properties[0].dataType.type");
  e = parse_error(with_type(
      R"({"type":"struct","specs":[{"identifier":"a","name":"A","dataType":{"type":"int","specs":{"max":"x"}}}]})"));
  EXPECT_EQ(e.path, "properties[0].dataType.specs[0].dataType.specs.max");
  EXPECT_EQ(e.to_string().rfind("properties[0].dataType.specs[0]", 0), 0u);
}

TEST(TslParse, NumericSpecLimits) {
  EXPECT_EQ(parse_error(with_type(R"({"type":"int","specs":{"max":"1.5"}})")).code,
            tsl_errc::bad_value);
  EXPECT_EQ(parse_error(with_type(R"({"type":"int","specs":{"max":"3000000000"}})")).code,
            tsl_errc::bad_value);
  EXPECT_EQ(parse_error(with_type(R"({"type":"float","specs":{"max":"1e39"}})")).code,
            tsl_errc::bad_value);
  EXPECT_EQ(parse_error(with_type(R"({"type":"double","specs":{"max":"nan"}})")).code,
            tsl_errc::bad_value);
  EXPECT_EQ(parse_error(with_type(R"({"type":"double","specs":{"max":"inf"}})")).code,
            tsl_errc::bad_value);
  EXPECT_EQ(parse_error(with_type(R"({"type":"double","specs":{"step":"-1"}})")).code,
            tsl_errc::bad_value);
  EXPECT_TRUE(parse_tsl(with_type(R"({"type":"int","specs":{"min":"","max":""}})")).has_value());
}

TEST(TslParse, TextArrayStructLimits) {
  EXPECT_TRUE(parse_tsl(with_type(R"({"type":"text","specs":{"length":"10240"}})")).has_value());
  EXPECT_EQ(parse_error(with_type(R"({"type":"text","specs":{"length":"10241"}})")).code,
            tsl_errc::limit_exceeded);
  EXPECT_EQ(parse_error(with_type(R"({"type":"text","specs":{"length":"0"}})")).code,
            tsl_errc::limit_exceeded);
  EXPECT_TRUE(
      parse_tsl(with_type(R"({"type":"array","specs":{"size":"512","item":{"type":"int"}}})"))
          .has_value());
  EXPECT_EQ(
      parse_error(with_type(R"({"type":"array","specs":{"size":"513","item":{"type":"int"}}})"))
          .code,
      tsl_errc::limit_exceeded);
  EXPECT_EQ(
      parse_error(with_type(R"({"type":"array","specs":{"size":"2","item":{"type":"bool"}}})"))
          .path,
      "properties[0].dataType.specs.item.type");
  std::string fields;
  for (int i = 0; i < 51; ++i)
    fields += std::string(i ? "," : "") + R"({"identifier":"f)" + std::to_string(i) +
              R"(","name":"F","dataType":{"type":"int","specs":{}}})";
  EXPECT_EQ(parse_error(with_type(R"({"type":"struct","specs":[)" + fields + "]}")).code,
            tsl_errc::limit_exceeded);
  // No nesting: a struct in a struct, an array in a struct.
  EXPECT_EQ(parse_error(with_type(R"({"type":"struct","specs":[{"identifier":"s","name":"S",)"
                                  R"("dataType":{"type":"struct","specs":[]}}]})"))
                .code,
            tsl_errc::bad_value);
  EXPECT_EQ(parse_error(with_type(R"({"type":"struct","specs":[{"identifier":"a","name":"A",)"
                                  R"("dataType":{"type":"int"}},{"identifier":"a","name":"B",)"
                                  R"("dataType":{"type":"int"}}]})"))
                .code,
            tsl_errc::duplicate);
}

TEST(TslParse, EnumAndBool) {
  EXPECT_TRUE(parse_tsl(with_type(R"({"type":"bool","specs":{"0":"off","1":"on"}})")).has_value());
  EXPECT_EQ(parse_error(with_type(R"({"type":"bool","specs":{"0":"off","2":"on"}})")).code,
            tsl_errc::bad_value);
  EXPECT_EQ(parse_error(with_type(R"({"type":"bool","specs":{"1":"on"}})")).code,
            tsl_errc::bad_value);
  EXPECT_EQ(parse_error(with_type(R"({"type":"enum","specs":{"a":"x"}})")).code,
            tsl_errc::bad_value);
  EXPECT_EQ(parse_error(with_type(R"({"type":"enum","specs":{}})")).code, tsl_errc::bad_value);
  EXPECT_EQ(parse_error(with_type(R"({"type":"enum","specs":{"1":"a","1":"b"}})")).code,
            tsl_errc::duplicate);
  EXPECT_EQ(parse_error(with_type(R"({"type":"enum","specs":{"1":2}})")).code,
            tsl_errc::wrong_type);
}

TEST(TslParse, Identifiers) {
  EXPECT_TRUE(valid_identifier("Temp_1"));
  EXPECT_TRUE(valid_identifier("_x"));
  EXPECT_FALSE(valid_identifier(""));
  EXPECT_FALSE(valid_identifier("1abc"));
  EXPECT_FALSE(valid_identifier("a-b"));
  EXPECT_FALSE(valid_identifier("a.b"));
  EXPECT_FALSE(valid_identifier(std::string(51, 'a')));
  EXPECT_TRUE(valid_identifier(std::string(50, 'a')));
  auto doc = [](const std::string& id) {
    return R"({"properties":[{"identifier":")" + id +
           R"(","accessMode":"r","dataType":{"type":"int"}}]})";
  };
  EXPECT_EQ(parse_error(doc("9lives")).code, tsl_errc::bad_identifier);
  EXPECT_EQ(parse_error(doc("value")).code, tsl_errc::bad_identifier);
  EXPECT_EQ(parse_error(doc("time")).code, tsl_errc::bad_identifier);
  auto dup = R"({"properties":[{"identifier":"a","dataType":{"type":"int"}},)"
             R"({"identifier":"b","dataType":{"type":"int"}},)"
             R"({"identifier":"a","dataType":{"type":"int"}}]})";
  auto e = parse_error(dup);
  EXPECT_EQ(e.code, tsl_errc::duplicate);
  EXPECT_EQ(e.path, "properties[2].identifier");
}

TEST(TslParse, FeatureLimit) {
  auto doc = [](int n) {
    std::string s = R"({"properties":[)";
    for (int i = 0; i < n; ++i)
      s += std::string(i ? "," : "") + R"({"identifier":"p)" + std::to_string(i) +
           R"(","dataType":{"type":"int"}})";
    return s + "]}";
  };
  EXPECT_TRUE(parse_tsl(doc(300)).has_value());
  EXPECT_EQ(parse_error(doc(301)).code, tsl_errc::limit_exceeded);
}

TEST(TslParse, FieldsAndMethods) {
  EXPECT_EQ(parse_error(
                R"({"properties":[{"identifier":"a","accessMode":"w","dataType":{"type":"int"}}]})")
                .path,
            "properties[0].accessMode");
  EXPECT_EQ(parse_error(R"({"properties":[{"identifier":"a"}]})").code, tsl_errc::missing_field);
  EXPECT_EQ(parse_error(R"({"events":[{"identifier":"e","type":"fatal"}]})").path,
            "events[0].type");
  EXPECT_EQ(parse_error(R"({"events":[{"identifier":"e","method":"thing.event.x.post"}]})").path,
            "events[0].method");
  EXPECT_EQ(parse_error(R"({"services":[{"identifier":"s","callType":"later"}]})").path,
            "services[0].callType");
  EXPECT_EQ(parse_error(R"({"services":[{"identifier":"s","inputData":[1]}]})").path,
            "services[0].inputData[0]");
  auto m = parse_tsl(R"({"events":[{"identifier":"post"}],"services":[{"identifier":"set"}]})");
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->events[0].method, "thing.event.property.post");
  EXPECT_EQ(m->services[0].method, "thing.service.property.set");
  EXPECT_EQ(parse_error(R"({"events":[{"identifier":"value"}]})").code, tsl_errc::bad_identifier);
}

TEST(TslParse, BadInput) {
  EXPECT_EQ(parse_error("").code, tsl_errc::bad_json);
  EXPECT_EQ(parse_error("{").code, tsl_errc::bad_json);
  EXPECT_EQ(parse_error("[]").code, tsl_errc::bad_json);
  EXPECT_EQ(parse_error("null").code, tsl_errc::bad_json);
  EXPECT_EQ(parse_error(R"({"properties":{}})").code, tsl_errc::wrong_type);
  EXPECT_EQ(parse_error(R"({"properties":[1]})").path, "properties[0]");
  EXPECT_EQ(parse_error(R"({"profile":[]})").path, "profile");
  EXPECT_EQ(parse_error(R"({"schema":1})").path, "schema");
  EXPECT_EQ(
      parse_error(R"({"properties":[{"identifier":"a","dataType":{"type":"int","specs":[]}}]})")
          .code,
      tsl_errc::wrong_type);
  EXPECT_EQ(parse_error(std::string(100000, '[')).code, tsl_errc::too_deep);
  EXPECT_TRUE(parse_tsl(R"({"a":")" + std::string(100, '[') + R"("})").has_value())
      << "brackets inside strings do not count as nesting";
  EXPECT_EQ(parse_error(std::string(max_tsl_bytes + 1, ' ')).code, tsl_errc::too_large);
  EXPECT_EQ(
      parse_error(
          R"({"properties":[{"identifier":"a","dataType":{"type":"double","specs":{"max":NaN}}}]})")
          .code,
      tsl_errc::bad_json);
  EXPECT_EQ(
      parse_error(
          R"({"properties":[{"identifier":"a","dataType":{"type":"double","specs":{"max":1e999}}}]})")
          .code,
      tsl_errc::bad_json);
}

TEST(TslParse, DepthCheck) {
  EXPECT_TRUE(json_depth_within("[[[]]]", 3));
  EXPECT_FALSE(json_depth_within("[[[[]]]]", 3));
  EXPECT_TRUE(json_depth_within(R"(["[[[[[[", "\"[[[["])", 1));
  EXPECT_TRUE(json_depth_within("]]]]", 0));
}
