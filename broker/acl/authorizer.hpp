#pragma once
/// @file
/// Topic authorization: may this identity publish to a topic or subscribe to
/// a filter? `identity_authorizer` (policy.hpp) is the broker's policy (SPEC
/// §3: devices only on their own topics, applications across their granted
/// products, anonymous clients outside the device namespaces);
/// `open_authorizer` allows everything but publishing to `$SYS`.

#include <memory>
#include <string_view>

#include "broker/acl/acl_file.hpp"
#include "broker/auth/authenticator.hpp"

namespace iotb::acl {

/// The answer, with the reason for logs and the device log when refused.
struct decision {
  bool allowed = true;
  std::string_view why;  ///< static text; empty when allowed
};

/// Thread-safety: every method may be called from any thread.
class authorizer {
 public:
  virtual ~authorizer() = default;
  [[nodiscard]] virtual decision can_publish(const auth::identity& who,
                                             std::string_view topic) const = 0;
  [[nodiscard]] virtual decision can_subscribe(const auth::identity& who,
                                               std::string_view filter) const = 0;
  /// The ACL-file rules (acl_file.hpp) of a client, computed once per
  /// connection and kept in `identity::file_rules`; null when no file
  /// applies to `who`.
  [[nodiscard]] virtual std::shared_ptr<const acl_rules> file_rules(
      const auth::identity& /*who*/, std::string_view /*client_id*/) const {
    return nullptr;
  }
};

/// Everything is allowed except publishing to the broker's own `$SYS/`
/// topics.
class open_authorizer final : public authorizer {
 public:
  [[nodiscard]] decision can_publish(const auth::identity&, std::string_view topic) const override {
    if (topic.starts_with("$SYS/") || topic == "$SYS")
      return {false, "$SYS topics are the broker's"};
    return {};
  }
  [[nodiscard]] decision can_subscribe(const auth::identity&, std::string_view) const override {
    return {};
  }
};

}  // namespace iotb::acl
