#pragma once
/// @file
/// Internal to broker/store: registry helpers shared by registry.cpp and
/// registry_manage.cpp.

#include <string>
#include <string_view>

#include "broker/store/registry.hpp"

namespace iotb::store::detail {

/// Appends a change to the change feed (running brokers poll it).
[[nodiscard]] expected<bool, error> add_change(write_txn& t, change_kind kind, std::string_view pk,
                                               std::string_view dn);
/// Stores a product record under its key.
[[nodiscard]] expected<bool, error> put_product(write_txn& t, const product_record& p);
/// After a device of `pk` was created (+1) or deleted (-1): updates the
/// product's device count (counting the devices once when it has none).
[[nodiscard]] expected<bool, error> adjust_device_count(write_txn& t, std::string_view pk,
                                                        int delta);
/// Forgets the device count of a deleted product.
void erase_device_count(write_txn& t, std::string_view pk);

}  // namespace iotb::store::detail
