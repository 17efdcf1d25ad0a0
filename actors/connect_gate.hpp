#pragma once
/// @file
/// The connect gate: what happens to the first packet of every connection,
/// on the connection's I/O thread, before any actor sees it. Stateless
/// apart from shared, thread-safe pieces (the broker-wide connect bucket,
/// the authenticator), so all I/O threads authenticate in parallel and the
/// session manager's mailbox carries only authenticated CONNECTs.
///
/// 1. A first packet that is not a decodable CONNECT: a refusing CONNACK in
///    the client's version where one can be encoded (MQTT 5, or an unknown
///    protocol level), else a plain close; a log line either way.
/// 2. The broker-wide connect quota (SPEC §6).
/// 3. Authentication (SPEC §2): refused → the §2.3 CONNACK code, a log
///    line, the device log.
/// 4. Client-id rules (assignment of an empty id, length), session name.
/// 5. `connect_msg` to the session manager.

#include "actors/context.hpp"
#include "broker/net/transport.hpp"

namespace iotb::actors {

/// Refuses a connection with a CONNACK carrying `r` (logged with `why`).
void refuse_connect(const net::transport_ptr& t, const mqtt::connect& c, mqtt::reason r,
                    const std::string& why);

class connect_gate {
 public:
  explicit connect_gate(context_ptr ctx) : ctx_(std::move(ctx)) {}

  /// Handles the first packet of `t` (the transport's connect handler).
  void operator()(net::transport_ptr t, net::connect_attempt&& a) const;

 private:
  context_ptr ctx_;
};

}  // namespace iotb::actors
