// Registry management for the admin API and CLI: product rename and delete,
// application listing, and device paging (declared in registry.hpp); the
// change-feed and product helpers registry.cpp shares (registry_detail.hpp).

#include "broker/auth/sign.hpp"
#include "broker/store/records.hpp"
#include "broker/store/registry.hpp"
#include "broker/store/registry_detail.hpp"
#include "broker/store/thing_store.hpp"
#include "broker/store/verified.hpp"
#include "broker/util/clock.hpp"
#include "schemas/registry_generated.h"

namespace iotb::store {

namespace detail {

expected<bool, error> add_change(write_txn& t, change_kind kind, std::string_view pk,
                                 std::string_view dn) {
  change_record r;
  r.seq = last_change(t) + 1;
  r.kind = kind;
  r.product_key = pk;
  r.device_name = dn;
  r.time_ms = clock::wall_ms();
  char key[8];
  put_be64(r.seq, key);
  auto ok = t.put(table::changes, {key, 8}, records::encode_change(r));
  if (!ok)
    return ok;
  if (r.seq > change_feed_keep) {
    put_be64(r.seq - change_feed_keep, key);
    t.erase(table::changes, {key, 8});
  }
  return true;
}

expected<bool, error> put_product(write_txn& t, const product_record& p) {
  return t.put(table::products, p.product_key, records::encode(p));
}

namespace {
/// `meta` key of a product's device count.
std::string count_key(std::string_view pk) {
  return "devices/" + std::string(pk);
}
}  // namespace

expected<bool, error> adjust_device_count(write_txn& t, std::string_view pk, int delta) {
  std::uint64_t n = 0;
  if (auto c = stored_device_count(t, pk)) {
    n = delta < 0 && *c == 0 ? 0
                             : *c + static_cast<std::uint64_t>(static_cast<std::int64_t>(delta));
  } else {
    // No count yet (a registry from before the counter): count once; the
    // change this call reports is already in the table.
    auto ok = scan(t, table::devices, std::string(pk) + "/", [&](std::string_view, auto) {
      ++n;
      return true;
    });
    if (!ok)
      return ok;
  }
  char v[8];
  put_be64(n, v);
  return t.put(table::meta, count_key(pk),
               std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(v), 8));
}

void erase_device_count(write_txn& t, std::string_view pk) {
  t.erase(table::meta, count_key(pk));
}

}  // namespace detail

std::optional<std::uint64_t> stored_device_count(const txn& t, std::string_view pk) {
  auto v = t.get(table::meta, detail::count_key(pk));
  if (!v || v->size() != 8)
    return std::nullopt;
  return get_be64(reinterpret_cast<const char*>(v->data()));
}

expected<product_record, error> set_product_name(write_txn& t, std::string_view pk,
                                                 std::string_view name) {
  if (!auth::valid_product_name(name))
    return unexpected{error{errc::invalid, "product name '" + std::string(name) +
                                               "' must be 4-30 characters of letters, digits "
                                               "and _ - @ ( )"}};
  auto p = get_product(t, pk);
  if (!p)
    return p;
  p->name = name;
  if (auto ok = detail::put_product(t, *p); !ok)
    return unexpected{ok.error()};
  if (auto ok = detail::add_change(t, change_kind::product_updated, pk, ""); !ok)
    return unexpected{ok.error()};
  return p;
}

expected<bool, error> delete_product(write_txn& t, std::string_view pk) {
  if (auto p = get_product(t, pk); !p)
    return unexpected{p.error()};
  bool has_devices = false;
  auto ok = scan(t, table::devices, std::string(pk) + "/", [&](std::string_view, auto) {
    has_devices = true;
    return false;
  });
  if (!ok)
    return ok;
  if (has_devices)
    return unexpected{error{
        errc::in_use, "product '" + std::string(pk) + "' still has devices: delete them first"}};
  t.erase(table::products, pk);
  detail::erase_device_count(t, pk);
  erase_thing_model(t, pk);
  return detail::add_change(t, change_kind::product_deleted, pk, "");
}

expected<std::vector<app_record>, error> list_apps(const txn& t) {
  return decode_all(t, table::apps, "", records::decode_app);
}

expected<device_page, error> find_devices(const txn& t, std::string_view pk, const device_filter& f,
                                          std::size_t offset, std::size_t limit) {
  device_page page;
  const bool decode_all = f.state || f.enabled;
  std::optional<error> bad;
  auto prefix = std::string(pk) + "/" + f.name_prefix;
  // The first key after `pk/<after>` (names hold no NUL).
  auto start = f.after.empty() ? std::string{} : std::string(pk) + "/" + f.after + '\0';
  if (!start.empty() && start < prefix)
    start.clear();
  std::optional<std::uint64_t> known_total;
  if (!decode_all && f.name_prefix.empty())
    known_total = stored_device_count(t, pk);
  if (known_total) {
    // Only the page: skip `offset` keys undecoded, decode `limit`.
    page.total = *known_total;
    std::size_t seen = 0;
    auto ok = scan_from(t, table::devices, prefix, start, [&](std::string_view, auto v) {
      if (page.items.size() >= limit)
        return false;
      if (seen++ < offset)
        return true;
      auto d = records::decode_device(v);
      if (!d) {
        bad = d.error();
        return false;
      }
      page.items.push_back(std::move(*d));
      return true;
    });
    if (!ok)
      return unexpected{ok.error()};
    if (bad)
      return unexpected{*bad};
    return page;
  }
  std::size_t past_start = 0;  // matches at or after `start`
  auto ok = scan(t, table::devices, prefix, [&](std::string_view key, auto v) {
    bool after_start = start.empty() || key >= start;
    bool in_page = after_start && past_start >= offset && page.items.size() < limit;
    if (!decode_all) {
      if (!in_page) {
        ++page.total;  // counted without decoding
        past_start += after_start ? 1 : 0;
        return true;
      }
    } else {  // the two filter fields, read in place (no copies)
      auto* raw = verified<schema::Device>(v);
      if (!raw) {
        bad = error{errc::corrupt, "a device record failed verification"};
        return false;
      }
      if ((f.state && static_cast<device_state>(raw->state()) != *f.state) ||
          (f.enabled && raw->disabled() == *f.enabled))
        return true;
    }
    if (in_page) {
      auto d = records::decode_device(v);
      if (!d) {
        bad = d.error();
        return false;
      }
      page.items.push_back(std::move(*d));
    }
    ++page.total;
    past_start += after_start ? 1 : 0;
    return true;
  });
  if (!ok)
    return unexpected{ok.error()};
  if (bad)
    return unexpected{*bad};
  return page;
}

}  // namespace iotb::store
