#pragma once
/// @file
/// The broker's authenticator (SPEC §2): signed device CONNECT (§2.1),
/// dynamic registration over TLS (§2.2: pre-registered `register`,
/// registration-free `regnwl`, later `connwl` with the device token),
/// application credentials (access key id + secret) and anonymous clients
/// where the listener allows them. It reads the registry for every CONNECT,
/// so a device created, disabled or deleted by the CLI counts at once.
///
/// CONNACK codes (§2.3): 2 identifier rejected (malformed client id
/// extension, unsupported sign method, bad keep-alive, registration over
/// plain TCP), 3 server unavailable (registry unreadable), 4 bad username or
/// password (unknown product/device, wrong signature or secret), 5 not
/// authorized (disabled device, dynamic registration off, too many
/// registration-free clients). MQTT 5 gets the matching reason codes.
///
/// Thread-safety: `authenticate` may be called from any thread.

#include <memory>

#include "broker/auth/authenticator.hpp"
#include "broker/store/env.hpp"

namespace iotb::auth {

/// Policy knobs (from the broker configuration).
struct registry_auth_options {
  std::uint16_t keep_alive_min = 30;    ///< devices: seconds
  std::uint16_t keep_alive_max = 1200;  ///< devices: seconds
  std::uint32_t max_skew = 0;           ///< seconds; 0 = timestamps unchecked
  bool auto_subscribe_always = false;   ///< subscribe devices without `_ss=1`
};

/// Session name of a device (see session_manager.hpp): "\0d<pk>/<dn>".
[[nodiscard]] std::string device_session_name(std::string_view pk, std::string_view dn);

class registry_authenticator final : public authenticator {
 public:
  registry_authenticator(std::shared_ptr<store::env> registry, registry_auth_options opts);
  [[nodiscard]] auth_result authenticate(const auth_request& req) const override;

 private:
  std::shared_ptr<store::env> registry_;
  registry_auth_options opts_;
};

}  // namespace iotb::auth
