#include "actors/desired_courier.hpp"

#include <gtest/gtest.h>

namespace iotb::actors {
namespace {

TEST(DesiredCourier, ParamsCarryEachValueAsStoredCompactJson) {
  std::vector<thing::desired_value> v = {{"Brightness", "55", 2},
                                         {"Label", "\"a \\\"b\\\"\"", 1},
                                         {"Pos", "{\"x\":1,\"y\":[1,2]}", 3}};
  EXPECT_EQ(desired_params_json(v),
            R"({"Brightness":55,"Label":"a \"b\"","Pos":{"x":1,"y":[1,2]}})");
}

TEST(DesiredCourier, NoValuesIsAnEmptyObject) {
  EXPECT_EQ(desired_params_json({}), "{}");
}

TEST(DesiredCourier, IdentifiersAreEscaped) {
  EXPECT_EQ(desired_params_json({{"a\"b", "1", 1}}), R"({"a\"b":1})");
}

}  // namespace
}  // namespace iotb::actors
