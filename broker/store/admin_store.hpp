#pragma once
/// @file
/// Admin identity records in the registry environment (SPEC §12): the admin
/// users of the API and console, and the audit log of every change made
/// through the API or the admin CLI. FlatBuffers records (AdminUser,
/// AuditEntry in schemas/registry.fbs) in the `admin_users` and `audit`
/// tables; both tables were added after format version 1 and need no
/// version bump (older binaries ignore them, `env::open` creates them).
///
/// Like registry.hpp, every function takes the transaction it works in.
/// Password hashes are returned in the records (the caller decides what to
/// show: never) and never appear in error texts.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "broker/store/env.hpp"

namespace iotb::store {

/// What an admin user may do: `admin` everything, `viewer` only read.
enum class admin_role : std::uint8_t { admin, viewer };
/// "admin" or "viewer".
[[nodiscard]] const char* to_string(admin_role r) noexcept;
/// Parses "admin" or "viewer".
[[nodiscard]] std::optional<admin_role> parse_admin_role(std::string_view s) noexcept;

struct admin_user_record {
  std::string name;
  admin_role role = admin_role::viewer;
  std::string password_hash;  ///< tls::hash_password's string; never shown
  std::uint64_t created_ms = 0;
};

struct audit_record {
  std::uint64_t seq = 0;  ///< assigned by `append_audit`
  std::uint64_t time_ms = 0;
  std::string who;           ///< "user:<name>", "app:<accessKeyId>", "cli"
  std::string action;        ///< "POST /api/v1/products", "admin user add"
  std::string target;        ///< "pk", "pk/dn", a user name
  std::string address;       ///< the client's address ("" for the CLI)
  std::uint16_t result = 0;  ///< HTTP status of the answer (200 for the CLI)
  std::string detail;        ///< never a secret
};

/// Audit entries kept (the oldest are removed beyond this).
inline constexpr std::size_t audit_keep = 100'000;

/// True for 1-64 characters of letters, digits and `_ - . @`.
[[nodiscard]] bool valid_admin_name(std::string_view name) noexcept;

/// Adds a user. Errors: invalid (name rules, empty hash), exists.
[[nodiscard]] expected<admin_user_record, error> add_admin_user(write_txn& t, std::string_view name,
                                                                admin_role role,
                                                                std::string_view password_hash);
/// Errors: not_found, corrupt.
[[nodiscard]] expected<admin_user_record, error> get_admin_user(const txn& t,
                                                                std::string_view name);
/// Every user, by name.
[[nodiscard]] expected<std::vector<admin_user_record>, error> list_admin_users(const txn& t);
/// How many users exist (0 on a store error).
[[nodiscard]] std::size_t count_admin_users(const txn& t);
/// Errors: not_found.
[[nodiscard]] expected<bool, error> delete_admin_user(write_txn& t, std::string_view name);
/// Replaces a user's password hash. Errors: not_found, invalid (empty hash).
[[nodiscard]] expected<admin_user_record, error> set_admin_password(write_txn& t,
                                                                    std::string_view name,
                                                                    std::string_view password_hash);

/// Appends `r` (its `seq` is assigned and returned), keeping the last
/// `audit_keep` entries. Errors: map_full, io.
[[nodiscard]] expected<std::uint64_t, error> append_audit(write_txn& t, audit_record r);
/// A page of the audit log, newest first: skips `offset` entries, returns
/// at most `limit`. `total` receives the number of entries.
[[nodiscard]] expected<std::vector<audit_record>, error> read_audit(const txn& t,
                                                                    std::size_t offset,
                                                                    std::size_t limit,
                                                                    std::size_t& total);

}  // namespace iotb::store
