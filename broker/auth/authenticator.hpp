#pragma once
/// @file
/// Who a client is, and the interface that decides it at CONNECT.
/// `anonymous_authenticator` is the policy without a registry (tests);
/// `registry_authenticator` (registry_auth.hpp) is the broker's: signed
/// device CONNECT, registration, application credentials and anonymous
/// clients where the listener allows them (SPEC §2).

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "broker/acl/acl_file.hpp"
#include "broker/acl/device_acl.hpp"
#include "broker/mqtt/packet.hpp"

namespace iotb::auth {

/// What the broker knows of a device's product that connections need.
struct product_policy {
  std::string product_key;
  /// Custom topic categories besides the defaults.
  std::vector<acl::topic_category> categories;
};

/// The authenticated principal of a connection.
struct identity {
  enum class kind : std::uint8_t {
    anonymous,     ///< no credentials (where the listener allows it)
    device,        ///< signed device CONNECT or registration-free token
    application,   ///< access key id + secret
    registration,  ///< a dynamic-registration connection (answer, then close)
  };
  kind who = kind::anonymous;
  std::string username;  ///< as sent (never the password)
  // Devices and registrations.
  std::string product_key;
  std::string device_name;
  std::shared_ptr<const product_policy> product;
  bool auto_subscribe = false;  ///< `_ss=1`, or the broker's policy
  bool ext_rrpc = false;        ///< `ext=3`: extended RRPC topics
  // Applications.
  std::vector<std::string> products;
  /// Applications and anonymous clients under an ACL file (`--acl-file`):
  /// their rules, set when the connection attaches (null: no file applies).
  std::shared_ptr<const acl::acl_rules> file_rules;
  // Registrations: what to publish right after CONNACK (contains a secret).
  std::string register_topic;
  std::string register_payload;

  [[nodiscard]] bool is_device() const noexcept { return who == kind::device; }
};

/// What the authenticator knows about the connection.
struct auth_request {
  const mqtt::connect& connect;
  const std::string& peer;  ///< "ip:port"
  bool anonymous_allowed;   ///< policy of the listener the client came in on
  bool secure = false;      ///< the listener is TLS
};

/// The decision.
struct auth_result {
  mqtt::reason code = mqtt::reason::success;  ///< success or a CONNACK reason
  identity who;
  std::string why;  ///< for the log line when refused (never a secret)
  /// Name of the session this connection attaches to: the client id for
  /// plain clients; for devices "\0d<pk>/<dn>" (one connection per device,
  /// whatever its client id) — MQTT strings cannot hold NUL, so no client
  /// id can collide with it. Empty = the client id.
  std::string session_key;
  /// Client id to show in logs and to keep in the session (devices: the
  /// part before `|`). Empty = the client id as sent.
  std::string client_id;
};

/// Decides whether a CONNECT may proceed.
/// Thread-safety: `authenticate` may be called from any thread.
class authenticator {
 public:
  virtual ~authenticator() = default;
  [[nodiscard]] virtual auth_result authenticate(const auth_request& req) const = 0;
};

/// Accepts anyone where the listener allows anonymous clients (username, if
/// any, is kept for logs), refuses everyone else with "not authorized": no
/// credential store.
class anonymous_authenticator final : public authenticator {
 public:
  [[nodiscard]] auth_result authenticate(const auth_request& req) const override;
};

}  // namespace iotb::auth
