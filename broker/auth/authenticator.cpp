#include "broker/auth/authenticator.hpp"

namespace iotb::auth {

auth_result anonymous_authenticator::authenticate(const auth_request& req) const {
  auth_result res;
  res.who.username = req.connect.username.value_or("");
  if (!req.anonymous_allowed) {
    res.code = req.connect.username ? mqtt::reason::bad_user_name_or_password
                                    : mqtt::reason::not_authorized;
    res.why = "anonymous clients are not allowed on this listener";
  }
  return res;
}

}  // namespace iotb::auth
