#pragma once
/// @file
/// Helpers shared by the shadow tests (shadow.test.cpp, shadow_limits.test.cpp).

#include <string>
#include <string_view>

#include <gtest/gtest.h>

#include "broker/thing/shadow.hpp"

namespace iotb::thing::shadow_test {

inline constexpr std::int64_t t0_ms = 1'700'000'000'123;  // written as 1700000000 (seconds)
inline constexpr std::int64_t t1_ms = 1'700'000'100'999;  // 1700000100

inline shadow_doc parsed(std::string_view stored) {
  auto d = parse_shadow_doc(stored);
  EXPECT_TRUE(d.has_value()) << stored;
  return d ? *d : shadow_doc{};
}

/// A shadow with reported color/temp and desired color, version 3.
inline shadow_doc sample() {
  return parsed(R"({"state":{"desired":{"color":"green"},"reported":{"color":"red","temp":21.5}},)"
                R"("metadata":{"desired":{"color":{"timestamp":1600000002}},)"
                R"("reported":{"color":{"timestamp":1600000001},"temp":{"timestamp":1600000001}}},)"
                R"("timestamp":1600000002,"version":3})");
}

inline device_result run(const shadow_doc& doc, std::string_view payload, std::int64_t now = t1_ms,
                         const shadow_limits& limits = {}) {
  return handle_device_request(doc, payload, now, limits);
}

/// The errorcode of a refused request, or 200.
inline int code_of(const device_result& r) {
  return r.error ? shadow_code(*r.error) : 200;
}

inline std::string error_json(const char* code, const char* message,
                              const std::string& token = {}) {
  return std::string(R"({"method":"reply",)") +
         (token.empty() ? "" : R"("clientToken":)" + token + ",") +
         R"("payload":{"status":"error","content":{"errorcode":")" + code +
         R"(","errormessage":")" + message + R"("}},"timestamp":1700000100})";
}

inline void expect_compact(const std::string& json) {
  EXPECT_EQ(json.find(": "), std::string::npos) << json;
  EXPECT_EQ(json.find(", "), std::string::npos) << json;
  EXPECT_EQ(json.find('\n'), std::string::npos) << json;
}

}  // namespace iotb::thing::shadow_test
