#pragma once
/// @file
/// The session manager: the one actor that maps client ids to connection
/// actors. Every CONNECT passes through it: authentication, client-id rules
/// (assignment, length), then attach to the existing session actor or a new
/// one.
///
/// Session end handshake (no race with a concurrent reconnect): a
/// connection actor whose session ends sends (detach_atom, client_id,
/// epoch). The manager erases the entry and answers terminate_atom only if
/// no attach was sent after that epoch; CAF keeps messages between two
/// actors in order, so an attach sent earlier is always handled first.

#include <string>
#include <unordered_map>

#include <caf/event_based_actor.hpp>

#include "actors/context.hpp"
#include "actors/messages.hpp"

namespace iotb::actors {

class session_manager : public caf::event_based_actor {
 public:
  session_manager(caf::actor_config& cfg, context_ptr ctx);
  caf::behavior make_behavior() override;
  [[nodiscard]] const char* name() const override { return "session_manager"; }

 private:
  struct entry {
    caf::actor actor;
    std::uint64_t epoch = 0;
  };
  void on_connect(const connect_request_ptr& req);
  void refuse(const connect_request_ptr& req, mqtt::reason r, const char* why);

  context_ptr ctx_;
  std::unordered_map<std::string, entry> sessions_;
  std::uint64_t next_key_ = 1;
  bool shutting_down_ = false;
};

}  // namespace iotb::actors
