#pragma once
/// @file
/// Topic authorization: may this identity publish to a topic or subscribe to
/// a filter? The device-identity work plugs in the per-device rules (SPEC
/// §3); `open_authorizer` is the local-mode policy.

#include <string_view>

#include "broker/auth/authenticator.hpp"

namespace iotb::acl {

/// Thread-safety: every method may be called from any thread.
class authorizer {
 public:
  virtual ~authorizer() = default;
  [[nodiscard]] virtual bool can_publish(const auth::identity& who,
                                         std::string_view topic) const = 0;
  [[nodiscard]] virtual bool can_subscribe(const auth::identity& who,
                                           std::string_view filter) const = 0;
};

/// Everything is allowed except publishing to the broker's own `$SYS/`
/// topics.
class open_authorizer final : public authorizer {
 public:
  [[nodiscard]] bool can_publish(const auth::identity& who, std::string_view topic) const override {
    return !topic.starts_with("$SYS/") && topic != "$SYS";
  }
  [[nodiscard]] bool can_subscribe(const auth::identity&, std::string_view) const override {
    return true;
  }
};

}  // namespace iotb::acl
