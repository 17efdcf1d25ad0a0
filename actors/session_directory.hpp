#pragma once
/// @file
/// The directory of sessions the admin API lists (`GET /api/v1/sessions`)
/// and kicks (`DELETE /api/v1/sessions/{clientId}`): one entry per session
/// actor, written by the actor when its connection attaches or ends and
/// when the session ends — never per message.
///
/// Thread-safety: every member may be called from any thread (one mutex,
/// a leaf; readers copy what they list).

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "actors/messages.hpp"

namespace iotb::actors {

/// What the API shows of one session.
struct session_info {
  std::string client_id;
  std::string name;       ///< the session manager's key (unique)
  session_actor actor;    ///< the session actor (for a kick)
  std::uint64_t key = 0;  ///< the session key (a message's origin)
  bool connected = false;
  std::string ip;             ///< of the current or last connection
  std::string listener;       ///< "mqtt", "mqtts", "ws", "wss"
  std::uint8_t protocol = 4;  ///< 3, 4 or 5 (MQTT 3.1, 3.1.1, 5.0)
  std::string username;
  std::string product_key;  ///< devices
  std::string device_name;  ///< devices
  bool ext_rrpc = false;    ///< devices: client id `ext=3` (extended RRPC only)
  std::uint16_t keep_alive = 0;
  std::uint32_t expiry = 0;  ///< session expiry interval, seconds
  bool durable = false;      ///< persistent, in the store
  std::uint64_t connected_at_ms = 0;
  std::uint64_t disconnected_at_ms = 0;
};

class session_directory {
 public:
  /// Adds or replaces the entry named `info.name`.
  void put(session_info info);
  /// Marks the entry `name` disconnected at `when_ms`.
  void disconnected(const std::string& name, std::uint64_t when_ms);
  /// Removes the entry `name` (the session ended).
  void erase(const std::string& name);
  /// Removes every entry (shutdown: the entries hold actor handles, and
  /// the actors hold the context that holds the directory).
  void clear();

  /// Filters of a listing; empty fields match everything.
  struct filter {
    std::string client_prefix;
    std::string ip;
    std::optional<bool> connected;
    std::string product_key;
  };
  /// The entries matching `f`, ordered by client id: `limit` of them from
  /// `offset`, and how many match in all.
  [[nodiscard]] std::pair<std::vector<session_info>, std::size_t> list(const filter& f,
                                                                       std::size_t offset,
                                                                       std::size_t limit) const;
  /// The entries whose client id is `client_id` (usually one; a device
  /// and a plain client may share one).
  [[nodiscard]] std::vector<session_info> find(const std::string& client_id) const;
  /// The connected sessions of device pk/dn (usually one; several for a
  /// registration-free device's physical devices).
  [[nodiscard]] std::vector<session_info> device_sessions(std::string_view pk,
                                                          std::string_view dn) const;

 private:
  mutable std::mutex mu_;
  /// (client id, name) → entry: ordered by client id for prefix listing.
  std::map<std::pair<std::string, std::string>, session_info> by_client_;
  std::map<std::string, std::string> client_of_;  ///< name → client id
};

}  // namespace iotb::actors
