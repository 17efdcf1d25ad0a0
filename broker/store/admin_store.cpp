#include "broker/store/admin_store.hpp"

#include "broker/store/registry.hpp"
#include "broker/store/verified.hpp"
#include "broker/util/clock.hpp"
#include "schemas/registry_generated.h"

namespace iotb::store {

namespace {

namespace fb = flatbuffers;
namespace s = iotb::schema;

std::vector<std::uint8_t> encode(const admin_user_record& r) {
  fb::FlatBufferBuilder b(128);
  auto root = s::CreateAdminUser(b, b.CreateString(r.name), static_cast<s::AdminRole>(r.role),
                                 b.CreateString(r.password_hash), r.created_ms);
  b.Finish(root);
  return {b.GetBufferPointer(), b.GetBufferPointer() + b.GetSize()};
}

expected<admin_user_record, error> decode_user(std::span<const std::uint8_t> buf) {
  auto* u = verified<s::AdminUser>(buf);
  if (!u || (u->role() != s::AdminRole::admin && u->role() != s::AdminRole::viewer))
    return unexpected{error{errc::corrupt, "an admin user record failed verification"}};
  admin_user_record r;
  r.name = fb_str(u->name());
  r.role = static_cast<admin_role>(u->role());
  r.password_hash = fb_str(u->password_hash());
  r.created_ms = u->created_ms();
  return r;
}

std::vector<std::uint8_t> encode(const audit_record& r) {
  fb::FlatBufferBuilder b(256);
  auto root = s::CreateAuditEntry(b, r.time_ms, b.CreateString(r.who), b.CreateString(r.action),
                                  b.CreateString(r.target), b.CreateString(r.address), r.result,
                                  b.CreateString(r.detail));
  b.Finish(root);
  return {b.GetBufferPointer(), b.GetBufferPointer() + b.GetSize()};
}

expected<audit_record, error> decode_audit(std::span<const std::uint8_t> buf) {
  auto* e = verified<s::AuditEntry>(buf);
  if (!e)
    return unexpected{error{errc::corrupt, "an audit record failed verification"}};
  audit_record r;
  r.time_ms = e->time_ms();
  r.who = fb_str(e->who());
  r.action = fb_str(e->action());
  r.target = fb_str(e->target());
  r.address = fb_str(e->address());
  r.result = e->result();
  r.detail = fb_str(e->detail());
  return r;
}

error no_user(std::string_view name) {
  return error{errc::not_found, "no admin user '" + std::string(name) + "'"};
}

/// The first or last key of `tb` (nothing when empty).
std::optional<std::uint64_t> edge_seq(const txn& t, table tb, MDB_cursor_op op) {
  MDB_cursor* c = nullptr;
  if (mdb_cursor_open(t.handle(), t.environment().dbi(tb), &c) != 0)
    return std::nullopt;
  MDB_val k, v;
  std::optional<std::uint64_t> out;
  if (mdb_cursor_get(c, &k, &v, op) == 0 && k.mv_size == 8)
    out = get_be64(static_cast<const char*>(k.mv_data));
  mdb_cursor_close(c);
  return out;
}

}  // namespace

const char* to_string(admin_role r) noexcept {
  return r == admin_role::admin ? "admin" : "viewer";
}

std::optional<admin_role> parse_admin_role(std::string_view s) noexcept {
  if (s == "admin")
    return admin_role::admin;
  if (s == "viewer")
    return admin_role::viewer;
  return std::nullopt;
}

bool valid_admin_name(std::string_view name) noexcept {
  if (name.empty() || name.size() > 64)
    return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-' || c == '.' || c == '@';
    if (!ok)
      return false;
  }
  return true;
}

expected<admin_user_record, error> add_admin_user(write_txn& t, std::string_view name,
                                                  admin_role role, std::string_view password_hash) {
  if (!valid_admin_name(name))
    return unexpected{error{errc::invalid, "admin user name '" + std::string(name) +
                                               "' must be 1-64 characters of letters, digits "
                                               "and _ - . @"}};
  if (password_hash.empty())
    return unexpected{error{errc::invalid, "an admin user needs a password"}};
  admin_user_record r;
  r.name = name;
  r.role = role;
  r.password_hash = password_hash;
  r.created_ms = clock::wall_ms();
  auto ok = t.insert(table::admin_users, name, encode(r));
  if (!ok) {
    if (ok.error().code == errc::exists)
      return unexpected{error{errc::exists, "admin user '" + r.name + "' exists already"}};
    return unexpected{ok.error()};
  }
  return r;
}

expected<admin_user_record, error> get_admin_user(const txn& t, std::string_view name) {
  auto v = t.get(table::admin_users, name);
  if (!v)
    return unexpected{no_user(name)};
  return decode_user(*v);
}

expected<std::vector<admin_user_record>, error> list_admin_users(const txn& t) {
  return decode_all(t, table::admin_users, "", decode_user);
}

std::size_t count_admin_users(const txn& t) {
  MDB_stat st;
  if (mdb_stat(t.handle(), t.environment().dbi(table::admin_users), &st) != 0)
    return 0;
  return st.ms_entries;
}

expected<bool, error> delete_admin_user(write_txn& t, std::string_view name) {
  if (!t.erase(table::admin_users, name))
    return unexpected{no_user(name)};
  return true;
}

expected<admin_user_record, error> set_admin_password(write_txn& t, std::string_view name,
                                                      std::string_view password_hash) {
  if (password_hash.empty())
    return unexpected{error{errc::invalid, "an admin user needs a password"}};
  auto u = get_admin_user(t, name);
  if (!u)
    return u;
  u->password_hash = password_hash;
  if (auto ok = t.put(table::admin_users, name, encode(*u)); !ok)
    return unexpected{ok.error()};
  return u;
}

expected<std::uint64_t, error> append_audit(write_txn& t, audit_record r) {
  r.seq = edge_seq(t, table::audit, MDB_LAST).value_or(0) + 1;
  if (r.time_ms == 0)
    r.time_ms = clock::wall_ms();
  char key[8];
  put_be64(r.seq, key);
  if (auto ok = t.put(table::audit, {key, 8}, encode(r)); !ok)
    return unexpected{ok.error()};
  if (r.seq > audit_keep) {
    // Usually exactly one entry falls out; after a lowered limit, several.
    auto first = edge_seq(t, table::audit, MDB_FIRST).value_or(r.seq);
    for (auto s = first; s + audit_keep <= r.seq; ++s) {
      put_be64(s, key);
      t.erase(table::audit, {key, 8});
    }
  }
  return r.seq;
}

expected<std::vector<audit_record>, error> read_audit(const txn& t, std::size_t offset,
                                                      std::size_t limit, std::size_t& total) {
  MDB_stat st;
  if (int rc = mdb_stat(t.handle(), t.environment().dbi(table::audit), &st); rc != 0)
    return unexpected{lmdb_error(rc, "reading the audit log")};
  total = st.ms_entries;
  std::vector<audit_record> out;
  MDB_cursor* c = nullptr;
  if (int rc = mdb_cursor_open(t.handle(), t.environment().dbi(table::audit), &c); rc != 0)
    return unexpected{lmdb_error(rc, "opening a cursor")};
  MDB_val k, v;
  int rc = mdb_cursor_get(c, &k, &v, MDB_LAST);
  for (std::size_t i = 0; rc == 0 && i < offset; ++i)
    rc = mdb_cursor_get(c, &k, &v, MDB_PREV);
  std::optional<error> bad;
  while (rc == 0 && out.size() < limit) {
    auto r = decode_audit({static_cast<const std::uint8_t*>(v.mv_data), v.mv_size});
    if (!r) {
      bad = r.error();
      break;
    }
    if (k.mv_size == 8)
      r->seq = get_be64(static_cast<const char*>(k.mv_data));
    out.push_back(std::move(*r));
    rc = mdb_cursor_get(c, &k, &v, MDB_PREV);
  }
  mdb_cursor_close(c);
  if (bad)
    return unexpected{*bad};
  return out;
}

}  // namespace iotb::store
