#pragma once
/// @file
/// Test-only: the device, its custom topic categories and the `{pk}`/`{dn}`
/// topic patterns shared by device_acl.test.cpp and topic_rules.test.cpp.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "broker/acl/device_acl.hpp"

namespace iotb::acl::test_scope {

inline constexpr std::string_view pk = "a1B2c3D4e5F";
inline constexpr std::string_view dn = "dev-1";
inline constexpr std::string_view other_pk = "zZ9yY8xX7wW";
inline constexpr std::string_view other_dn = "dev-2";

inline const std::vector<topic_category> custom = {{"data/+", false, true},
                                                   {"telemetry", true, false},
                                                   {"cmd/#", false, true},
                                                   {"status", true, true},
                                                   {"a/+/c", false, true}};

/// The device under test.
inline device_scope me() {
  return {pk, dn, custom, false};
}

/// `pattern` with `{pk}` and `{dn}` replaced.
inline std::string subst(std::string_view pattern, std::string_view p, std::string_view d) {
  std::string s(pattern);
  for (auto [from, to] :
       {std::pair{std::string_view("{pk}"), p}, std::pair{std::string_view("{dn}"), d}})
    for (auto pos = s.find(from); pos != std::string::npos; pos = s.find(from))
      s.replace(pos, from.size(), to);
  return s;
}
/// The device's own topic.
inline std::string t(std::string_view pattern) {
  return subst(pattern, pk, dn);
}
/// The same topic of another device of the product.
inline std::string other_device(std::string_view pattern) {
  return subst(pattern, pk, other_dn);
}
/// The same topic of a device of another product.
inline std::string other_product(std::string_view pattern) {
  return subst(pattern, other_pk, dn);
}

}  // namespace iotb::acl::test_scope
