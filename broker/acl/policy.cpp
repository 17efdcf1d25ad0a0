#include "broker/acl/policy.hpp"

#include <fstream>
#include <sstream>

#include "broker/acl/device_acl.hpp"

namespace iotb::acl {

namespace {

using kind = auth::identity::kind;

decision from(verdict v) {
  if (v == verdict::allow)
    return {};
  return {false, to_string(v)};
}

device_scope scope_of(const auth::identity& who) {
  device_scope s{who.product_key, who.device_name, {}, who.ext_rrpc};
  if (who.product)
    s.categories = who.product->categories;
  return s;
}

bool file_applies(const auth::identity& who) {
  return who.who == kind::application || who.who == kind::anonymous;
}

/// `$share/<group>/<filter>` → `<filter>` (the ACL file names filters).
std::string_view unshared(std::string_view filter) {
  if (!filter.starts_with("$share/"))
    return filter;
  auto slash = filter.find('/', 7);
  return slash == std::string_view::npos ? filter : filter.substr(slash + 1);
}

constexpr std::string_view not_granted = "not granted by the ACL file";

}  // namespace

std::shared_ptr<const acl_rules> identity_authorizer::file_rules(const auth::identity& who,
                                                                 std::string_view client_id) const {
  if (!file_ || !file_applies(who))
    return nullptr;
  // Only an application credential is authenticated: an anonymous client
  // that sends some username still gets the anonymous lines.
  std::optional<std::string_view> user;
  if (who.who == kind::application)
    user = who.username;
  return std::make_shared<const acl_rules>(file_->rules_for(user, client_id));
}

std::shared_ptr<const acl_rules> identity_authorizer::rules_of(const auth::identity& who) const {
  return who.file_rules ? who.file_rules : file_rules(who, {});
}

decision identity_authorizer::can_publish(const auth::identity& who, std::string_view topic) const {
  decision d;
  switch (who.who) {
    case kind::device:
      return from(device_can_publish(scope_of(who), topic));
    case kind::application:
      d = from(app_can_publish(app_scope{who.products}, topic));
      break;
    case kind::anonymous:
      d = from(anonymous_can_publish(topic));
      break;
    case kind::registration:
      return {false, "a registration connection may not publish"};
  }
  if (d.allowed && file_ && !rules_of(who)->can_publish(topic))
    return {false, not_granted};
  return d;
}

decision identity_authorizer::can_subscribe(const auth::identity& who,
                                            std::string_view filter) const {
  decision d;
  switch (who.who) {
    case kind::device:
      return from(device_can_subscribe(scope_of(who), filter));
    case kind::application:
      d = from(app_can_subscribe(app_scope{who.products}, filter));
      break;
    case kind::anonymous:
      d = from(anonymous_can_subscribe(filter));
      break;
    case kind::registration:
      return {false, "a registration connection may not subscribe"};
  }
  if (d.allowed && file_ && rules_of(who)->can_subscribe(unshared(filter)) == sub_verdict::deny)
    return {false, not_granted};
  return d;
}

expected<std::unique_ptr<authorizer>, std::string> make_authorizer(
    const std::string& acl_file_path) {
  if (acl_file_path.empty())
    return std::unique_ptr<authorizer>(std::make_unique<identity_authorizer>());
  std::ifstream in(acl_file_path);
  if (!in)
    return unexpected{"acl-file: cannot read '" + acl_file_path + "'"};
  std::stringstream text;
  text << in.rdbuf();
  auto f = parse_acl_file(text.str());
  if (!f)
    return unexpected{"acl-file " + acl_file_path + ": " + f.error().what()};
  return std::unique_ptr<authorizer>(
      std::make_unique<identity_authorizer>(std::make_shared<const acl_file>(std::move(*f))));
}

}  // namespace iotb::acl
