#pragma once
/// @file
/// The broker's topic authorization (SPEC §3, §2.1, §10), by kind of
/// principal: devices only on their own topics (device_acl.hpp), with the
/// topic limits; applications across the devices of their granted
/// products; anonymous clients outside the device namespaces; registration
/// connections nowhere (they only receive their answer).

#include "broker/acl/authorizer.hpp"

namespace iotb::acl {

class identity_authorizer final : public authorizer {
 public:
  [[nodiscard]] decision can_publish(const auth::identity& who,
                                     std::string_view topic) const override;
  [[nodiscard]] decision can_subscribe(const auth::identity& who,
                                       std::string_view filter) const override;
};

}  // namespace iotb::acl
