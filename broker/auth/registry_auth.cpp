#include "broker/auth/registry_auth.hpp"

#include <chrono>

#include "broker/auth/sign.hpp"
#include "broker/core/device_topics.hpp"
#include "broker/store/registry.hpp"
#include "broker/tls/hmac.hpp"
#include "broker/util/clock.hpp"

namespace iotb::auth {

namespace {

using mqtt::reason;

auth_result refuse(reason r, std::string why, const identity& who = {}) {
  auth_result res;
  res.code = r;
  res.why = std::move(why);
  res.who.product_key = who.product_key;  // for the device log
  res.who.device_name = who.device_name;
  return res;
}

/// Constant-time equality of two secrets (time depends on lengths only).
bool secret_equal(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size())
    return false;
  unsigned char diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i)
    diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

std::string_view password_of(const mqtt::connect& c) {
  if (!c.password)
    return {};
  return {reinterpret_cast<const char*>(c.password->data()), c.password->size()};
}

std::shared_ptr<const product_policy> policy_of(const store::product_record& p) {
  auto pol = std::make_shared<product_policy>();
  pol->product_key = p.product_key;
  for (auto& c : p.categories)
    pol->categories.push_back({c.suffix, c.pub, c.sub});
  return pol;
}

/// Looks up the product and device named by the username. Fills `who`
/// (product key and device name) as soon as they are known.
struct lookup {
  std::optional<store::product_record> product;
  std::optional<store::device_record> device;
  std::optional<auth_result> refusal;
};

lookup find(store::env& env, std::string_view pk, std::string_view dn, bool device_needed,
            const identity& who) {
  lookup out;
  auto t = env.read();
  if (!t) {
    out.refusal = refuse(reason::server_unavailable, "registry unreadable: " + t.error().what);
    return out;
  }
  auto p = store::get_product(*t, pk);
  if (!p) {
    out.refusal =
        p.error().code == store::errc::not_found
            ? refuse(reason::bad_user_name_or_password, "unknown product '" + std::string(pk) + "'")
            : refuse(reason::server_unavailable, p.error().what);
    return out;
  }
  out.product = std::move(*p);
  auto d = store::get_device(*t, pk, dn);
  if (d) {
    out.device = std::move(*d);
  } else if (d.error().code != store::errc::not_found) {
    out.refusal = refuse(reason::server_unavailable, d.error().what, who);
  } else if (device_needed) {
    out.refusal = refuse(reason::bad_user_name_or_password,
                         "unknown device '" + std::string(dn) + "' in product " + std::string(pk));
  }
  return out;
}

}  // namespace

std::string device_session_name(std::string_view pk, std::string_view dn) {
  std::string name(1, '\0');
  name += 'd';
  name.append(pk).push_back('/');
  name.append(dn);
  return name;
}

registry_authenticator::registry_authenticator(std::shared_ptr<store::env> registry,
                                               registry_auth_options opts)
    : registry_(std::move(registry)), opts_(opts) {}

auth_result registry_authenticator::authenticate(const auth_request& req) const {
  const auto& c = req.connect;
  auto ext = parse_client_id(c.client_id);
  if (!ext)
    return refuse(reason::client_identifier_not_valid,
                  std::string("malformed client id: ") + to_string(ext.error()));
  std::optional<device_user> user;
  if (c.username)
    if (auto u = parse_username(*c.username))
      user = *u;
  auto password = password_of(c);

  if (!ext->has_extension && !user) {
    // A plain MQTT client: an application credential, or anonymous.
    if (c.username && !c.username->empty()) {
      auto t = registry_->read();
      if (!t)
        return refuse(reason::server_unavailable, "registry unreadable: " + t.error().what);
      if (auto app = store::get_app(*t, *c.username)) {
        if (!secret_equal(password, app->access_key_secret))
          return refuse(reason::bad_user_name_or_password,
                        "wrong secret for application credential " + app->access_key_id);
        auth_result res;
        res.who.who = identity::kind::application;
        res.who.username = *c.username;
        res.who.products = app->products;
        return res;
      }
    }
    if (!req.anonymous_allowed)
      return refuse(c.username ? reason::bad_user_name_or_password : reason::not_authorized,
                    c.username ? "unknown user (not a device nor an application credential)"
                               : "anonymous clients are not allowed on this listener");
    auth_result res;
    res.who.username = c.username.value_or("");
    return res;
  }

  if (!user)
    return refuse(reason::bad_user_name_or_password, "username must be deviceName&productKey");
  identity who;
  who.username = *c.username;
  who.product_key = user->product_key;
  who.device_name = user->device_name;
  const auto& pk = who.product_key;
  const auto& dn = who.device_name;

  // Dynamic registration (SPEC §2.2): TLS only, signed with ProductSecret.
  if (ext->type == auth_type::register_ || ext->type == auth_type::regnwl) {
    if (!req.secure)
      return refuse(reason::client_identifier_not_valid,
                    "dynamic registration is only allowed over TLS", who);
    if (ext->random.empty())
      return refuse(reason::client_identifier_not_valid, "registration needs random=", who);
    bool pre = ext->type == auth_type::register_;
    auto found = find(*registry_, pk, dn, pre, who);
    if (found.refusal)
      return *found.refusal;
    if (!found.product->dynamic_register)
      return refuse(reason::not_authorized, "dynamic registration is off for product " + pk, who);
    auto content = register_sign_content(dn, pk, ext->random);
    if (!tls::hmac_verify(ext->method, found.product->product_secret, content, password))
      return refuse(reason::bad_user_name_or_password, "registration signature mismatch", who);
    if (found.device && found.device->disabled)
      return refuse(reason::not_authorized, "device is disabled", who);
    auth_result res;
    who.who = identity::kind::registration;
    if (pre) {
      who.register_topic = "/ext/register";
      who.register_payload = core::register_payload(pk, dn, found.device->device_secret);
    } else {
      // The device keeps this token: it must survive a crash (a durable
      // change, through the broker's store writer).
      std::string token;
      auto ok = registry_->transact([&](store::write_txn& t) -> expected<bool, store::error> {
        auto issued = store::regnwl_register(t, pk, dn, ext->client_id);
        if (!issued)
          return unexpected{issued.error()};
        token = std::move(*issued);
        return true;
      });
      if (!ok)
        return refuse(ok.error().code == store::errc::limit ? reason::not_authorized
                      : ok.error().code == store::errc::invalid
                          ? reason::client_identifier_not_valid
                          : reason::server_unavailable,
                      ok.error().what, who);
      who.register_topic = "/ext/regnwl";
      who.register_payload = core::regnwl_payload(pk, dn, ext->client_id, token);
    }
    res.who = std::move(who);
    res.client_id = ext->client_id;
    return res;
  }

  // Devices connect with a keep-alive of 30 to 1,200 s (SPEC §2.1).
  if (c.keep_alive < opts_.keep_alive_min || c.keep_alive > opts_.keep_alive_max)
    return refuse(reason::client_identifier_not_valid,
                  "device keep-alive " + std::to_string(c.keep_alive) + " s is outside " +
                      std::to_string(opts_.keep_alive_min) + "-" +
                      std::to_string(opts_.keep_alive_max) + " s",
                  who);
  auto found = find(*registry_, pk, dn, true, who);
  if (found.refusal)
    return *found.refusal;
  auto& device = *found.device;
  auth_result res;
  if (ext->type == auth_type::connwl) {
    auto t = registry_->read();
    if (!t)
      return refuse(reason::server_unavailable, t.error().what, who);
    auto token = store::regnwl_token(*t, pk, dn, ext->client_id);
    if (!token || !secret_equal(password, *token))
      return refuse(reason::bad_user_name_or_password,
                    "unknown client id or wrong device token (connwl)", who);
    res.session_key = device_session_name(pk, dn);
    res.session_key.push_back('\0');
    res.session_key += ext->client_id;
  } else {
    auto content = device_sign_content(ext->client_id, dn, pk, ext->timestamp);
    if (!tls::hmac_verify(ext->method, device.device_secret, content, password))
      return refuse(reason::bad_user_name_or_password, "signature mismatch", who);
    if (opts_.max_skew && ext->timestamp) {
      using namespace std::chrono;
      auto now = static_cast<long long>(clock::wall_ms());
      auto ts = std::strtoll(ext->timestamp->c_str(), nullptr, 10);
      if (std::llabs(now - ts) > static_cast<long long>(opts_.max_skew) * 1000)
        return refuse(reason::bad_user_name_or_password, "signed timestamp is stale", who);
    }
    res.session_key = device_session_name(pk, dn);
  }
  if (device.disabled)
    return refuse(reason::not_authorized, "device is disabled", who);
  who.who = identity::kind::device;
  who.product = policy_of(*found.product);
  who.auto_subscribe = ext->ss || opts_.auto_subscribe_always;
  who.ext_rrpc = ext->ext == 3;
  res.who = std::move(who);
  res.client_id = ext->client_id.empty() ? pk + "." + dn : ext->client_id;
  return res;
}

}  // namespace iotb::auth
