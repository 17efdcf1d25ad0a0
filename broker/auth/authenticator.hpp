#pragma once
/// @file
/// Who a client is, and the interface that decides it at CONNECT. The
/// device-identity work (signed CONNECT, application credentials) provides
/// the real implementation; `anonymous_authenticator` is the local-mode one.

#include <cstdint>
#include <memory>
#include <string>

#include "broker/mqtt/packet.hpp"

namespace iotb::auth {

/// The authenticated principal of a connection.
struct identity {
  enum class kind : std::uint8_t { anonymous, device, application };
  kind who = kind::anonymous;
  std::string username;  ///< as sent (never the password)
};

/// What the authenticator knows about the connection.
struct auth_request {
  const mqtt::connect& connect;
  const std::string& peer;  ///< "ip:port"
  bool anonymous_allowed;   ///< policy of the listener the client came in on
};

/// The decision.
struct auth_result {
  mqtt::reason code = mqtt::reason::success;  ///< success or a CONNACK reason
  identity who;
  const char* why = "";  ///< for the log line when refused (never a secret)
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
/// credential store exists yet.
class anonymous_authenticator final : public authenticator {
 public:
  [[nodiscard]] auth_result authenticate(const auth_request& req) const override;
};

}  // namespace iotb::auth
