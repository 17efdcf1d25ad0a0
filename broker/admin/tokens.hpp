#pragma once
/// @file
/// Bearer tokens of the admin API (SPEC §12): 32 random bytes as hex, bound
/// to a user and role, expiring after a time to live (24 h by default).
/// Kept in memory only: a restart logs everyone out.
///
/// Thread-safety: every member may be called from any thread (one mutex).

#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "broker/store/admin_store.hpp"
#include "broker/util/clock.hpp"

namespace iotb::admin {

/// Wall-clock time source (injectable for tests).
using wall_clock = std::function<std::chrono::system_clock::time_point()>;

/// What a valid token stands for.
struct token_info {
  std::string user;
  store::admin_role role = store::admin_role::viewer;
  std::uint64_t expires_ms = 0;  ///< Unix epoch ms
  /// A fingerprint of the password hash at login: a token dies with a
  /// password change (made by any process).
  std::string credential_tag;
};

/// The live tokens.
class token_store {
 public:
  /// `ttl`: lifetime of a token; `max_tokens`: beyond this the one that
  /// expires first is dropped (bounded memory whatever logins happen).
  explicit token_store(std::chrono::seconds ttl = std::chrono::hours{24},
                       wall_clock clock = &std::chrono::system_clock::now,
                       std::size_t max_tokens = 10'000);

  /// A new token for `user`.
  [[nodiscard]] std::pair<std::string, token_info> issue(const std::string& user,
                                                         store::admin_role role,
                                                         std::string credential_tag = {});
  /// The token's owner while it is valid (an expired token is removed).
  [[nodiscard]] std::optional<token_info> lookup(std::string_view token);
  /// Drops every token of `user` (deleted, or password changed).
  void revoke_user(std::string_view user);
  /// Live tokens (expired ones may still be counted until looked up).
  [[nodiscard]] std::size_t size() const;

 private:
  void drop_expired(std::uint64_t now_ms);

  std::chrono::seconds ttl_;
  wall_clock clock_;
  std::size_t max_tokens_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, token_info> tokens_;
};

}  // namespace iotb::admin
