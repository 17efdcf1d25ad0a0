#pragma once
/// @file
/// The broker's topic authorization (SPEC §3, §2.1, §10), by kind of
/// principal: devices only on their own topics (device_acl.hpp), with the
/// topic limits; applications across the devices of their granted
/// products; anonymous clients outside the device namespaces; registration
/// connections nowhere (they only receive their answer). An optional ACL
/// file further restricts applications and anonymous clients.

#include <memory>
#include <string>

#include "broker/acl/acl_file.hpp"
#include "broker/acl/authorizer.hpp"
#include "broker/util/expected.hpp"

namespace iotb::acl {

class identity_authorizer final : public authorizer {
 public:
  identity_authorizer() = default;
  /// With an ACL file (acl_file.hpp): applications and anonymous clients
  /// must, besides their SPEC rules, be granted by the file (it narrows,
  /// never widens); devices are not affected.
  explicit identity_authorizer(std::shared_ptr<const acl_file> file) : file_(std::move(file)) {}

  [[nodiscard]] decision can_publish(const auth::identity& who,
                                     std::string_view topic) const override;
  [[nodiscard]] decision can_subscribe(const auth::identity& who,
                                       std::string_view filter) const override;
  [[nodiscard]] std::shared_ptr<const acl_rules> file_rules(
      const auth::identity& who, std::string_view client_id) const override;

 private:
  /// `who.file_rules`, or computed now (no client id: `%c` patterns then
  /// match nothing useful) when the identity was not attached.
  [[nodiscard]] std::shared_ptr<const acl_rules> rules_of(const auth::identity& who) const;

  std::shared_ptr<const acl_file> file_;
};

/// The broker's authorizer; `acl_file_path` empty: no ACL file. Reads and
/// parses the file. @returns the error text (naming the file and line).
[[nodiscard]] expected<std::unique_ptr<authorizer>, std::string> make_authorizer(
    const std::string& acl_file_path);

}  // namespace iotb::acl
