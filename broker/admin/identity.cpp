#include "broker/admin/identity.hpp"

#include <algorithm>

#include "broker/store/registry.hpp"
#include "broker/tls/password.hpp"

namespace iotb::admin {

namespace {

api_error unauthorized(std::string what) {
  return api_error{api_errc::unauthorized, std::move(what)};
}

/// The last 16 characters of a password hash (part of the derived key):
/// enough to notice a changed password, useless to an attacker.
std::string credential_tag(const std::string& hash) {
  return hash.size() > 16 ? hash.substr(hash.size() - 16) : hash;
}

bool iequals_prefix(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size())
    return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    char c = s[i] >= 'A' && s[i] <= 'Z' ? static_cast<char>(s[i] + 32) : s[i];
    if (c != prefix[i])
      return false;
  }
  return true;
}

}  // namespace

std::string principal::audit_name() const {
  return (who == kind::user ? "user:" : "app:") + name;
}

bool principal::may_see(std::string_view pk) const {
  return who == kind::user || std::find(products.begin(), products.end(), pk) != products.end();
}

bool principal::may_change(std::string_view pk) const {
  if (who == kind::user)
    return role == store::admin_role::admin;
  return app_may_write && may_see(pk);
}

identity::identity(std::shared_ptr<store::env> registry, std::shared_ptr<token_store> tokens,
                   login_limits limits, steady_clock_fn clock)
    : registry_(std::move(registry)),
      tokens_(std::move(tokens)),
      clock_(std::move(clock)),
      limiter_(limits.failures, limits.period, limits.failures, limits.max_keys) {
  if (auto h = tls::hash_password("not a password"))
    dummy_hash_ = std::move(*h);
}

expected<login_result, api_error> identity::login(std::string_view user, std::string_view password,
                                                  std::string_view address) {
  auto user_key = "u:" + std::string(user.substr(0, 64));
  auto addr_key = "a:" + std::string(address);
  auto now = clock_();
  {
    std::lock_guard lk(mu_);
    if (!limiter_.would_take(user_key, now) || !limiter_.would_take(addr_key, now))
      return unexpected{api_error{api_errc::throttled,
                                  "too many failed logins for this user or address; "
                                  "wait a minute"}};
  }
  std::optional<store::admin_user_record> rec;
  {
    auto t = registry_->read();
    if (!t)
      return unexpected{api_error{api_errc::unavailable, "the store is unavailable"}};
    if (auto u = store::get_admin_user(*t, user))
      rec = std::move(*u);
  }
  // An unknown user costs one hash too: the answer time does not tell.
  bool ok = tls::verify_password(password, rec ? rec->password_hash : dummy_hash_) && rec;
  if (!ok) {
    std::lock_guard lk(mu_);
    (void)limiter_.try_take(user_key, now);
    (void)limiter_.try_take(addr_key, now);
    return unexpected{unauthorized("wrong user name or password")};
  }
  auto [token, info] = tokens_->issue(rec->name, rec->role, credential_tag(rec->password_hash));
  return login_result{std::move(token), info.role, info.expires_ms};
}

expected<principal, api_error> identity::authenticate(std::string_view h) {
  while (!h.empty() && h.back() == ' ')
    h.remove_suffix(1);
  if (h.empty())
    return unexpected{
        unauthorized("an Authorization header is needed (Bearer <token> from "
                     "POST /api/v1/login, or Basic with an application "
                     "credential)")};
  if (iequals_prefix(h, "bearer ")) {
    auto token = h.substr(7);
    auto info = tokens_->lookup(token);
    if (!info)
      return unexpected{unauthorized("the token is unknown or expired; log in again")};
    // The user may have been deleted, demoted or given a new password since
    // (by the CLI, another process): the record decides, not the token.
    auto t = registry_->read();
    if (!t)
      return unexpected{api_error{api_errc::unavailable, "the store is unavailable"}};
    auto rec = store::get_admin_user(*t, info->user);
    if (!rec || credential_tag(rec->password_hash) != info->credential_tag) {
      tokens_->revoke_user(info->user);
      return unexpected{unauthorized("the token is no longer valid; log in again")};
    }
    principal p;
    p.who = principal::kind::user;
    p.name = info->user;
    p.role = rec->role;
    return p;
  }
  if (iequals_prefix(h, "basic "))
    return basic(h.substr(6));
  return unexpected{unauthorized("unsupported Authorization scheme (Bearer or Basic)")};
}

expected<principal, api_error> identity::basic(std::string_view b64) {
  if (b64.size() > 1024)
    return unexpected{unauthorized("malformed Basic credentials")};
  auto raw = tls::base64_decode(b64);
  if (!raw)
    return unexpected{unauthorized("malformed Basic credentials")};
  auto colon = raw->find(':');
  if (colon == std::string::npos)
    return unexpected{unauthorized("malformed Basic credentials")};
  std::string_view id(raw->data(), colon);
  std::string_view secret(raw->data() + colon + 1, raw->size() - colon - 1);
  auto t = registry_->read();
  if (!t)
    return unexpected{api_error{api_errc::unavailable, "the store is unavailable"}};
  auto app = store::get_app(*t, id);
  if (!app || !tls::secrets_equal(secret, app->access_key_secret))
    return unexpected{unauthorized("wrong application credential")};
  principal p;
  p.who = principal::kind::app;
  p.name = app->access_key_id;
  p.products = app->products;
  p.app_may_write = std::find(app->scopes.begin(), app->scopes.end(), "write") != app->scopes.end();
  return p;
}

}  // namespace iotb::admin
