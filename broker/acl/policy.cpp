#include "broker/acl/policy.hpp"

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

}  // namespace

decision identity_authorizer::can_publish(const auth::identity& who,
                                          std::string_view topic) const {
  switch (who.who) {
    case kind::device:
      return from(device_can_publish(scope_of(who), topic));
    case kind::application:
      return from(app_can_publish(app_scope{who.products}, topic));
    case kind::anonymous:
      return from(anonymous_can_publish(topic));
    case kind::registration:
      break;
  }
  return {false, "a registration connection may not publish"};
}

decision identity_authorizer::can_subscribe(const auth::identity& who,
                                            std::string_view filter) const {
  switch (who.who) {
    case kind::device:
      return from(device_can_subscribe(scope_of(who), filter));
    case kind::application:
      return from(app_can_subscribe(app_scope{who.products}, filter));
    case kind::anonymous:
      return from(anonymous_can_subscribe(filter));
    case kind::registration:
      break;
  }
  return {false, "a registration connection may not subscribe"};
}

}  // namespace iotb::acl
