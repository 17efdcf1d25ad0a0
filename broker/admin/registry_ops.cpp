#include "broker/admin/registry_ops.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>

#include "broker/admin/ops_detail.hpp"
#include "broker/tls/password.hpp"
#include "broker/tls/random.hpp"

namespace iotb::admin::ops {

namespace {

using detail::change;
using detail::look;
using store::errc;

expected<std::string, error> hash(std::string_view password) {
  if (password.empty())
    return unexpected{error{errc::invalid, "the password must not be empty"}};
  auto h = tls::hash_password(password);
  if (!h)
    return unexpected{error{errc::io, "cannot hash the password (random source)"}};
  return *h;
}

}  // namespace

expected<store::product_record, error> create_product(store::env& e, const store::product_spec& s) {
  return change(e, [&](store::write_txn& t) { return store::create_product(t, s); });
}

expected<store::product_record, error> get_product(store::env& e, std::string_view pk) {
  return look(e, [&](store::read_txn& t) { return store::get_product(t, pk); });
}

expected<std::vector<store::product_record>, error> list_products(store::env& e) {
  return look(e, [&](store::read_txn& t) { return store::list_products(t); });
}

expected<store::product_record, error> update_product(store::env& e, std::string_view pk,
                                                      const product_patch& p) {
  return change(e, [&](store::write_txn& t) -> expected<store::product_record, error> {
    auto r = store::get_product(t, pk);
    if (!r)
      return r;
    if (p.name)
      r = store::set_product_name(t, pk, *p.name);
    if (r && p.dynamic_register)
      r = store::set_dynamic_register(t, pk, *p.dynamic_register);
    for (auto& c : p.categories)
      if (r)
        r = store::add_category(t, pk, c);
    return r;
  });
}

expected<bool, error> delete_product(store::env& e, std::string_view pk) {
  return change(e, [&](store::write_txn& t) { return store::delete_product(t, pk); });
}

expected<std::vector<store::device_record>, error> create_devices(store::env& e,
                                                                  std::string_view pk,
                                                                  std::string_view name,
                                                                  std::size_t count) {
  if (count < 1 || count > max_devices_per_call)
    return unexpected{error{errc::limit, "count must be 1..1000000"}};
  if (count > 1 && !name.empty())
    return unexpected{error{errc::invalid,
                            "count and name exclude each other (names are "
                            "generated)"}};
  return change(e, [&](store::write_txn& t) -> expected<std::vector<store::device_record>, error> {
    std::vector<store::device_record> out;
    out.reserve(count);
    for (std::size_t i = 0; i < count; ++i) {
      auto d = store::create_device(t, pk, name);
      if (!d)
        return unexpected{d.error()};
      out.push_back(std::move(*d));
    }
    return out;
  });
}

expected<store::device_record, error> get_device(store::env& e, std::string_view pk,
                                                 std::string_view dn) {
  return look(e, [&](store::read_txn& t) { return store::get_device(t, pk, dn); });
}

expected<std::vector<store::device_record>, error> list_devices(store::env& e,
                                                                std::string_view pk) {
  return look(e, [&](store::read_txn& t) { return store::list_devices(t, pk); });
}

expected<store::device_page, error> find_devices(store::env& e, std::string_view pk,
                                                 const store::device_filter& f, std::size_t offset,
                                                 std::size_t limit) {
  return look(e, [&](store::read_txn& t) -> expected<store::device_page, error> {
    if (auto p = store::get_product(t, pk); !p)
      return unexpected{p.error()};
    return store::find_devices(t, pk, f, offset, limit);
  });
}

expected<store::device_record, error> set_enabled(store::env& e, std::string_view pk,
                                                  std::string_view dn, bool enabled) {
  return change(e, [&](store::write_txn& t) { return store::set_disabled(t, pk, dn, !enabled); });
}

expected<bool, error> delete_device(store::env& e, std::string_view pk, std::string_view dn) {
  return change(e, [&](store::write_txn& t) { return store::delete_device(t, pk, dn); });
}

expected<std::vector<store::log_record>, error> device_log(store::env& e, std::string_view pk,
                                                           std::string_view dn, std::size_t limit) {
  return look(e, [&](store::read_txn& t) -> expected<std::vector<store::log_record>, error> {
    if (auto d = store::get_device(t, pk, dn); !d)
      return unexpected{d.error()};
    return store::read_log(t, pk, dn, limit);
  });
}

expected<store::app_record, error> create_app(store::env& e, std::string_view name,
                                              const std::vector<std::string>& products,
                                              const std::vector<std::string>& scopes) {
  return change(e,
                [&](store::write_txn& t) { return store::create_app(t, name, products, scopes); });
}

expected<std::vector<store::app_record>, error> list_apps(store::env& e) {
  return look(e, [&](store::read_txn& t) { return store::list_apps(t); });
}

expected<store::admin_user_record, error> add_user(store::env& e, std::string_view name,
                                                   store::admin_role role,
                                                   std::string_view password) {
  if (!store::valid_admin_name(name))  // before the slow hash
    return unexpected{error{errc::invalid, "admin user name '" + std::string(name) +
                                               "' must be 1-64 characters of letters, digits "
                                               "and _ - . @"}};
  auto h = hash(password);
  if (!h)
    return unexpected{h.error()};
  return change(e, [&](store::write_txn& t) { return store::add_admin_user(t, name, role, *h); });
}

expected<std::vector<store::admin_user_record>, error> list_users(store::env& e) {
  return look(e, [&](store::read_txn& t) { return store::list_admin_users(t); });
}

expected<bool, error> delete_user(store::env& e, std::string_view name) {
  return change(e, [&](store::write_txn& t) { return store::delete_admin_user(t, name); });
}

expected<store::admin_user_record, error> set_password(store::env& e, std::string_view name,
                                                       std::string_view password) {
  auto h = hash(password);
  if (!h)
    return unexpected{h.error()};
  return change(e, [&](store::write_txn& t) { return store::set_admin_password(t, name, *h); });
}

expected<std::uint64_t, error> audit(store::env& e, store::audit_record r) {
  return change(e, [&](store::write_txn& t) { return store::append_audit(t, std::move(r)); });
}

void audit_later(store::env& e, store::audit_record r) {
  e.enqueue([r = std::move(r)](store::write_txn& t) -> expected<bool, error> {
    if (auto ok = store::append_audit(t, r); !ok)
      return unexpected{ok.error()};
    return true;
  });
}

expected<std::string, error> ensure_initial_admin(store::env& e, const std::string& data_dir) {
  {
    auto t = e.read();
    if (!t)
      return unexpected{t.error()};
    if (store::count_admin_users(*t) > 0)
      return std::string{};
  }
  auto path = data_dir + "/initial-admin-password";
  auto password = tls::random_alnum(24);
  // O_EXCL: never overwrite a file an operator may still need.
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0)
    return unexpected{error{errc::io, "cannot create " + path + ": " + std::strerror(errno)}};
  auto line = password + "\n";
  bool written = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size());
  ::close(fd);
  if (!written) {
    ::unlink(path.c_str());
    return unexpected{error{errc::io, "cannot write " + path}};
  }
  auto u = add_user(e, "admin", store::admin_role::admin, password);
  if (!u) {
    ::unlink(path.c_str());
    return unexpected{u.error()};
  }
  return path;
}

}  // namespace iotb::admin::ops
