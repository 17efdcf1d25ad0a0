#include "broker/store/registry.hpp"

#include <chrono>
#include <cstring>
#include <type_traits>

#include "broker/acl/device_acl.hpp"
#include "broker/auth/sign.hpp"
#include "broker/store/records.hpp"
#include "broker/store/registry_detail.hpp"
#include "broker/tls/random.hpp"
#include "broker/util/clock.hpp"

namespace iotb::store {

namespace {

std::string device_key(std::string_view pk, std::string_view dn) {
  std::string k;
  k.reserve(pk.size() + dn.size() + 1);
  k.append(pk).push_back('/');
  k.append(dn);
  return k;
}

/// "pk/dn" NUL seq: log keys of one device sort together, by sequence.
std::string log_key(std::string_view pk, std::string_view dn, std::uint64_t seq) {
  auto k = device_key(pk, dn);
  k.push_back('\0');
  char be[8];
  put_be64(seq, be);
  k.append(be, 8);
  return k;
}

error invalid(std::string what) {
  return error{errc::invalid, std::move(what)};
}

/// The last key of table `tb` that starts with `prefix` (empty if none).
std::optional<std::string> last_key(const txn& t, table tb, std::string_view prefix,
                                    std::string_view upper) {
  MDB_cursor* c = nullptr;
  if (mdb_cursor_open(t.handle(), t.environment().dbi(tb), &c) != 0)
    return std::nullopt;
  MDB_val k{upper.size(), const_cast<char*>(upper.data())};
  MDB_val v;
  int rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
  rc = rc == 0 ? mdb_cursor_get(c, &k, &v, MDB_PREV) : mdb_cursor_get(c, &k, &v, MDB_LAST);
  std::optional<std::string> out;
  if (rc == 0) {
    std::string_view key(static_cast<const char*>(k.mv_data), k.mv_size);
    if (key.starts_with(prefix))
      out = std::string(key);
  }
  mdb_cursor_close(c);
  return out;
}

expected<bool, error> put_device(write_txn& t, const device_record& d) {
  return t.put(table::devices, device_key(d.product_key, d.device_name), records::encode(d));
}

expected<bool, error> check_category(const category_record& c) {
  if (!c.pub && !c.sub)
    return unexpected{invalid("topic category '" + c.suffix + "' needs pub and/or sub")};
  auto parsed = acl::parse_category(c.suffix, c.pub && c.sub ? "pub,sub" : c.pub ? "pub" : "sub");
  if (!parsed)
    return unexpected{
        invalid("topic category '" + c.suffix + "': " + acl::to_string(parsed.error()))};
  return true;
}

}  // namespace

using detail::add_change;
using detail::put_product;

const char* to_string(log_kind k) noexcept {
  switch (k) {
    case log_kind::connect:
      return "connect";
    case log_kind::disconnect:
      return "disconnect";
    case log_kind::auth_failure:
      return "auth_failure";
    case log_kind::acl_denied:
      return "acl_denied";
    case log_kind::takeover:
      return "takeover";
    case log_kind::throttled:
      return "throttled";
    case log_kind::registered:
      return "registered";
    case log_kind::lifecycle:
      return "lifecycle";
    case log_kind::call:
      return "call";
  }
  return "unknown";
}

// -- products ------------------------------------------------------------------

expected<product_record, error> create_product(write_txn& t, const product_spec& s) {
  if (!auth::valid_product_name(s.name))
    return unexpected{invalid("product name '" + s.name +
                              "' must be 4-30 characters of letters, digits and _ - @ ( )")};
  if (s.categories.size() > max_categories)
    return unexpected{error{errc::limit, "at most 50 custom topic categories per product"}};
  for (auto& c : s.categories)
    if (auto ok = check_category(c); !ok)
      return unexpected{ok.error()};
  std::size_t count = 0;
  auto scanned = scan(t, table::products, "", [&](std::string_view, auto) {
    ++count;
    return true;
  });
  if (!scanned)
    return unexpected{scanned.error()};
  if (count >= max_products)
    return unexpected{error{errc::limit, "at most 1000 products"}};
  product_record p;
  do {
    p.product_key = tls::random_alnum(11);
  } while (t.get(table::products, p.product_key));
  p.product_secret = tls::random_alnum(16);
  p.name = s.name;
  p.node = s.node;
  p.format = s.format;
  p.dynamic_register = s.dynamic_register;
  p.categories = s.categories;
  p.created_ms = clock::wall_ms();
  p.description = s.description;
  if (auto ok = put_product(t, p); !ok)
    return unexpected{ok.error()};
  if (auto ok = add_change(t, change_kind::product_created, p.product_key, ""); !ok)
    return unexpected{ok.error()};
  return p;
}

expected<product_record, error> get_product(const txn& t, std::string_view pk) {
  auto v = t.get(table::products, pk);
  if (!v)
    return unexpected{error{errc::not_found, "no product '" + std::string(pk) + "'"}};
  return records::decode_product(*v);
}

expected<std::vector<product_record>, error> list_products(const txn& t) {
  return decode_all(t, table::products, "", records::decode_product);
}

expected<product_record, error> add_category(write_txn& t, std::string_view pk,
                                             const category_record& c) {
  auto p = get_product(t, pk);
  if (!p)
    return p;
  if (auto ok = check_category(c); !ok)
    return unexpected{ok.error()};
  bool replaced = false;
  for (auto& x : p->categories)
    if (x.suffix == c.suffix) {
      x = c;
      replaced = true;
    }
  if (!replaced) {
    if (p->categories.size() >= max_categories)
      return unexpected{error{errc::limit, "at most 50 custom topic categories per product"}};
    p->categories.push_back(c);
  }
  if (auto ok = put_product(t, *p); !ok)
    return unexpected{ok.error()};
  if (auto ok = add_change(t, change_kind::product_updated, pk, ""); !ok)
    return unexpected{ok.error()};
  return p;
}

expected<product_record, error> set_dynamic_register(write_txn& t, std::string_view pk, bool on) {
  auto p = get_product(t, pk);
  if (!p)
    return p;
  p->dynamic_register = on;
  if (auto ok = put_product(t, *p); !ok)
    return unexpected{ok.error()};
  if (auto ok = add_change(t, change_kind::product_updated, pk, ""); !ok)
    return unexpected{ok.error()};
  return p;
}

// -- devices -------------------------------------------------------------------

expected<device_record, error> create_device(write_txn& t, std::string_view pk,
                                             std::string_view name) {
  if (auto p = get_product(t, pk); !p)
    return unexpected{p.error()};
  device_record d;
  d.product_key = pk;
  if (name.empty()) {
    do {
      d.device_name = tls::random_alnum(20);
    } while (t.get(table::devices, device_key(pk, d.device_name)));
  } else if (!auth::valid_device_name(name)) {
    return unexpected{invalid("device name '" + std::string(name) +
                              "' must be 4-32 characters of letters, digits and - _ @ . :")};
  } else {
    d.device_name = name;
  }
  d.device_secret = tls::random_alnum(32);
  d.created_ms = clock::wall_ms();
  auto ok = t.insert(table::devices, device_key(pk, d.device_name), records::encode(d));
  if (!ok) {
    if (ok.error().code == errc::exists)
      return unexpected{error{errc::exists, "device '" + d.device_name +
                                                "' exists already in product " + std::string(pk)}};
    return unexpected{ok.error()};
  }
  if (auto c = detail::adjust_device_count(t, pk, +1); !c)
    return unexpected{c.error()};
  if (auto c = add_change(t, change_kind::device_created, pk, d.device_name); !c)
    return unexpected{c.error()};
  return d;
}

expected<device_record, error> get_device(const txn& t, std::string_view pk, std::string_view dn) {
  auto v = t.get(table::devices, device_key(pk, dn));
  if (!v)
    return unexpected{error{errc::not_found, "no device '" + std::string(dn) + "' in product '" +
                                                 std::string(pk) + "'"}};
  return records::decode_device(*v);
}

expected<std::vector<device_record>, error> list_devices(const txn& t, std::string_view pk) {
  return decode_all(t, table::devices, pk.empty() ? std::string{} : std::string(pk) + "/",
                    records::decode_device);
}

expected<device_record, error> set_disabled(write_txn& t, std::string_view pk, std::string_view dn,
                                            bool disabled) {
  auto d = get_device(t, pk, dn);
  if (!d)
    return d;
  d->disabled = disabled;
  if (auto ok = put_device(t, *d); !ok)
    return unexpected{ok.error()};
  auto kind = disabled ? change_kind::device_disabled : change_kind::device_enabled;
  if (auto ok = add_change(t, kind, pk, dn); !ok)
    return unexpected{ok.error()};
  return d;
}

expected<bool, error> delete_device(write_txn& t, std::string_view pk, std::string_view dn) {
  if (!t.erase(table::devices, device_key(pk, dn)))
    return unexpected{error{errc::not_found, "no device '" + std::string(dn) + "' in product '" +
                                                 std::string(pk) + "'"}};
  std::vector<std::string> doomed;
  auto prefix = device_key(pk, dn);
  auto collect = [&](std::string_view k, auto) {
    doomed.emplace_back(k);
    return true;
  };
  if (auto ok = scan(t, table::regnwl, prefix + "/", collect); !ok)
    return ok;
  for (auto& k : doomed)
    t.erase(table::regnwl, k);
  doomed.clear();
  if (auto ok = scan(t, table::devlog, prefix + std::string(1, '\0'), collect); !ok)
    return ok;
  for (auto& k : doomed)
    t.erase(table::devlog, k);
  if (auto c = detail::adjust_device_count(t, pk, -1); !c)
    return c;
  return add_change(t, change_kind::device_deleted, pk, dn);
}

expected<bool, error> mark_online(write_txn& t, std::string_view pk, std::string_view dn,
                                  std::string_view ip, std::uint64_t time_ms) {
  auto d = get_device(t, pk, dn);
  if (!d)
    return unexpected{d.error()};
  d->state = device_state::online;
  if (d->activated_ms == 0)
    d->activated_ms = time_ms;
  d->last_online_ms = time_ms;
  d->last_ip = ip;
  return put_device(t, *d);
}

expected<bool, error> mark_offline(write_txn& t, std::string_view pk, std::string_view dn,
                                   std::uint64_t time_ms) {
  auto d = get_device(t, pk, dn);
  if (!d)
    return unexpected{d.error()};
  d->state = device_state::offline;
  d->last_offline_ms = time_ms;
  return put_device(t, *d);
}

// -- registration-free clients ------------------------------------------------------

expected<std::string, error> regnwl_register(write_txn& t, std::string_view pk, std::string_view dn,
                                             std::string_view client_id) {
  if (client_id.empty() || client_id.size() > 64 || client_id.find('/') != client_id.npos)
    return unexpected{invalid("client id must be 1-64 characters without '/'")};
  if (!get_device(t, pk, dn)) {
    auto d = create_device(t, pk, dn);
    if (!d)
      return unexpected{d.error()};
  }
  auto prefix = device_key(pk, dn) + "/";
  auto key = prefix + std::string(client_id);
  if (!t.get(table::regnwl, key)) {
    std::size_t n = 0;
    auto ok = scan(t, table::regnwl, prefix, [&](std::string_view, auto) {
      ++n;
      return true;
    });
    if (!ok)
      return unexpected{ok.error()};
    if (n >= max_regnwl_clients)
      return unexpected{error{errc::limit, "at most 5 client ids per DeviceName"}};
  }
  auto token = tls::random_alnum(32);
  if (auto ok =
          t.put(table::regnwl, key, records::encode_regnwl(client_id, token, clock::wall_ms()));
      !ok)
    return unexpected{ok.error()};
  return token;
}

expected<std::string, error> regnwl_token(const txn& t, std::string_view pk, std::string_view dn,
                                          std::string_view client_id) {
  auto v = t.get(table::regnwl, device_key(pk, dn) + "/" + std::string(client_id));
  if (!v)
    return unexpected{error{errc::not_found, "client id not registered for this device"}};
  return records::decode_regnwl_token(*v);
}

// -- applications ----------------------------------------------------------------

expected<app_record, error> create_app(write_txn& t, std::string_view name,
                                       const std::vector<std::string>& products,
                                       const std::vector<std::string>& scopes) {
  if (products.empty())
    return unexpected{invalid("an application credential needs at least one product")};
  for (auto& pk : products)
    if (auto p = get_product(t, pk); !p)
      return unexpected{p.error()};
  app_record a;
  do {
    a.access_key_id = "ak" + tls::random_alnum(14);
  } while (t.get(table::apps, a.access_key_id));
  a.access_key_secret = tls::random_alnum(30);
  a.name = name;
  a.products = products;
  a.scopes = scopes;
  a.created_ms = clock::wall_ms();
  if (auto ok = t.put(table::apps, a.access_key_id, records::encode(a)); !ok)
    return unexpected{ok.error()};
  if (auto ok = add_change(t, change_kind::app_created, "", ""); !ok)
    return unexpected{ok.error()};
  return a;
}

expected<app_record, error> get_app(const txn& t, std::string_view id) {
  auto v = t.get(table::apps, id);
  if (!v)
    return unexpected{
        error{errc::not_found, "no application credential '" + std::string(id) + "'"}};
  return records::decode_app(*v);
}

// -- device log ------------------------------------------------------------------

expected<bool, error> append_log(write_txn& t, std::string_view pk, std::string_view dn,
                                 log_kind kind, std::string_view text, std::string_view ip,
                                 std::uint64_t time_ms) {
  auto prefix = device_key(pk, dn);
  prefix.push_back('\0');
  auto upper = prefix;
  upper.append(8, '\xff');
  std::uint64_t seq = 1;
  if (auto last = last_key(t, table::devlog, prefix, upper);
      last && last->size() == prefix.size() + 8)
    seq = get_be64(last->data() + prefix.size()) + 1;
  log_record r;
  r.seq = seq;
  r.time_ms = time_ms;
  r.kind = kind;
  r.text = text;
  r.client_ip = ip;
  if (auto ok = t.put(table::devlog, log_key(pk, dn, seq), records::encode_log(r)); !ok)
    return ok;
  if (seq > device_log_keep)
    t.erase(table::devlog, log_key(pk, dn, seq - device_log_keep));
  return true;
}

expected<std::vector<log_record>, error> read_log(const txn& t, std::string_view pk,
                                                  std::string_view dn, std::size_t limit) {
  auto prefix = device_key(pk, dn);
  prefix.push_back('\0');
  auto out = decode_all(t, table::devlog, prefix, records::decode_log,
                        [&](std::string_view k, log_record& r) {
                          if (k.size() == prefix.size() + 8)
                            r.seq = get_be64(k.data() + prefix.size());
                        });
  if (!out)
    return out;
  if (out->size() > limit)
    out->erase(out->begin(), out->end() - static_cast<std::ptrdiff_t>(limit));
  return out;
}

// -- change feed ------------------------------------------------------------------

expected<std::vector<change_record>, error> changes_since(const txn& t, std::uint64_t after,
                                                          std::size_t max) {
  std::vector<change_record> out;
  MDB_cursor* c = nullptr;
  if (int rc = mdb_cursor_open(t.handle(), t.environment().dbi(table::changes), &c); rc != 0)
    return unexpected{lmdb_error(rc, "opening a cursor")};
  char key[8];
  put_be64(after + 1, key);
  MDB_val k{8, key};
  MDB_val v;
  int rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
  while (rc == 0 && out.size() < max) {
    auto r = records::decode_change({static_cast<const std::uint8_t*>(v.mv_data), v.mv_size});
    if (r && k.mv_size == 8) {
      r->seq = get_be64(static_cast<const char*>(k.mv_data));
      out.push_back(std::move(*r));
    }
    rc = mdb_cursor_get(c, &k, &v, MDB_NEXT);
  }
  mdb_cursor_close(c);
  return out;
}

std::uint64_t last_change(const txn& t) {
  MDB_cursor* c = nullptr;
  if (mdb_cursor_open(t.handle(), t.environment().dbi(table::changes), &c) != 0)
    return 0;
  MDB_val k, v;
  std::uint64_t seq = 0;
  if (mdb_cursor_get(c, &k, &v, MDB_LAST) == 0 && k.mv_size == 8)
    seq = get_be64(static_cast<const char*>(k.mv_data));
  mdb_cursor_close(c);
  return seq;
}

}  // namespace iotb::store
