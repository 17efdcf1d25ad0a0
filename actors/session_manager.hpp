#pragma once
/// @file
/// The session manager: the one actor that maps session names to connection
/// actors. Every authenticated CONNECT passes through it (authentication
/// and client-id rules happen before, in the connect gate on the I/O
/// threads): the per-device connect quota, then attach to the existing
/// session actor or a new one. It also follows the registry's change feed and disconnects
/// devices that were disabled or deleted by any process.
///
/// Session names: the client id for plain clients; "\0d<pk>/<dn>" for a
/// device (so a device has one session whatever client id it sends, and a
/// new connection takes the old one over); "\0r<random>" for a registration
/// connection. MQTT strings cannot contain NUL, so names never collide.
///
/// Session end handshake (no race with a concurrent reconnect): a
/// session actor whose session ends sends `detach_msg{name, epoch}`. The
/// manager erases the entry and answers `terminate_atom` only if no attach
/// was sent after that epoch; CAF keeps messages between two actors in
/// order, so an attach sent earlier is always handled first. A session
/// actor that ends any other way (an exception) sends `ended_msg` as it
/// exits; the entry goes if it still names that actor.
///
/// Index: sessions are kept by name in an ordered map, so a device's
/// sessions (its own and its `connwl` clients', all named with the prefix
/// "\0d<pk>/<dn>") are one range, found in O(log n) when the registry says
/// the device was disabled or deleted.

#include <map>
#include <string>

#include <caf/typed_event_based_actor.hpp>

#include "actors/context.hpp"
#include "actors/messages.hpp"

namespace iotb::actors {

class session_manager : public manager_actor::base {
 public:
  /// `restored`: persistent sessions read from the store at start-up (each
  /// gets its connection actor at once, so that messages published before
  /// the client reconnects reach its queue); `max_store_id`: the highest
  /// store id in use (session keys start above it).
  session_manager(caf::actor_config& cfg, context_ptr ctx,
                  std::vector<store::session_record> restored = {}, std::uint64_t max_store_id = 0);
  behavior_type make_behavior() override;
  [[nodiscard]] const char* name() const override { return "session_manager"; }

 private:
  struct entry {
    session_actor actor;
    std::uint64_t key = 0;    ///< the actor's session key
    std::uint64_t epoch = 0;  ///< attaches sent to it
  };
  /// An authenticated CONNECT (from the connect gate): per-device connect
  /// quota, then attach to the session's actor (made on first use).
  void on_connect(const connect_request_ptr& req);
  /// Reads the registry change feed and acts on device changes.
  void poll_changes();
  /// Spawns the session actor of `name` into `e`.
  void spawn_session(entry& e, const std::string& client_id, const std::string& name,
                     std::uint64_t key);
  void count_sessions();

  context_ptr ctx_;
  std::vector<store::session_record> restored_;
  /// SPEC §6 connect quota per device (per minute); the broker-wide one
  /// is taken by the connect gate.
  limits::keyed_rate device_connects_;
  std::map<std::string, entry, std::less<>> sessions_;
  std::uint64_t next_key_ = 1;
  std::uint64_t change_seq_ = 0;  ///< last registry change acted on
  bool shutting_down_ = false;
};

}  // namespace iotb::actors
