#pragma once
/// @file
/// Who is calling the admin API (SPEC §12): login with a user name and
/// password (→ a bearer token), the login limiter (more than 5 failures a
/// minute for one user or one address → 429), and authentication of every
/// other call by `Authorization: Bearer <token>` or HTTP Basic with an
/// application credential (`accessKeyId:accessKeySecret`, checked against
/// the registry like the MQTT authenticator does).
///
/// Roles: a user with role `admin` may change everything; `viewer` only
/// read. An application credential sees only its products; it may change
/// them (devices) only when granted the scope `write`.
///
/// Thread-safety: every member may be called from any thread. `login` and
/// `authenticate` read LMDB and hash passwords: call them off I/O threads.

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "broker/admin/json.hpp"
#include "broker/admin/tokens.hpp"
#include "broker/limits/token_bucket.hpp"
#include "broker/store/admin_store.hpp"

namespace iotb::admin {

/// An authenticated caller.
struct principal {
  enum class kind : std::uint8_t { user, app };
  kind who = kind::user;
  std::string name;  ///< user name or access key id
  store::admin_role role = store::admin_role::viewer;
  std::vector<std::string> products;  ///< app: the granted products
  bool app_may_write = false;         ///< app: has the scope `write`

  /// "user:<name>" or "app:<id>", for the audit log.
  [[nodiscard]] std::string audit_name() const;
  /// May read product `pk` (users: any; apps: their products).
  [[nodiscard]] bool may_see(std::string_view pk) const;
  /// May change product `pk`'s devices (admins; apps with `write`).
  [[nodiscard]] bool may_change(std::string_view pk) const;
  /// May change broker-wide things (products, apps, users): admins only.
  [[nodiscard]] bool is_admin() const noexcept {
    return who == kind::user && role == store::admin_role::admin;
  }
};

/// The answer to a successful login.
struct login_result {
  std::string token;
  store::admin_role role = store::admin_role::viewer;
  std::uint64_t expires_ms = 0;
};

/// Login-limiter settings (SPEC §12 defaults).
struct login_limits {
  std::uint32_t failures = 5;  ///< per `period` for one user or one address
  std::chrono::milliseconds period{60'000};
  std::size_t max_keys = 10'000;  ///< users + addresses tracked
};

/// Steady time source of the limiter (injectable for tests).
using steady_clock_fn = std::function<std::chrono::steady_clock::time_point()>;

class identity {
 public:
  identity(std::shared_ptr<store::env> registry, std::shared_ptr<token_store> tokens,
           login_limits limits = {}, steady_clock_fn clock = &std::chrono::steady_clock::now);

  /// Checks `user`/`password` from `address`. Errors: throttled (429: too
  /// many recent failures for the user or the address — checked before the
  /// password, so a correct guess is refused too), unauthorized (401: wrong
  /// user or password; the same answer and about the same time for both),
  /// unavailable (503: the store).
  [[nodiscard]] expected<login_result, api_error> login(std::string_view user,
                                                        std::string_view password,
                                                        std::string_view address);

  /// Authenticates the `Authorization` header value. A bearer token is
  /// checked against the user's record too: a deleted user's tokens and
  /// tokens issued before a password change stop working at once, and the
  /// role is the record's. Errors: unauthorized (missing, malformed,
  /// unknown, expired, forged or outdated), unavailable.
  [[nodiscard]] expected<principal, api_error> authenticate(std::string_view authorization);

  [[nodiscard]] token_store& tokens() noexcept { return *tokens_; }

 private:
  expected<principal, api_error> basic(std::string_view b64);

  std::shared_ptr<store::env> registry_;
  std::shared_ptr<token_store> tokens_;
  steady_clock_fn clock_;
  std::mutex mu_;  ///< guards limiter_
  limits::keyed_rate limiter_;
  std::string dummy_hash_;  ///< verified for unknown users (same timing)
};

}  // namespace iotb::admin
