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

}  // namespace iotb::store::detail
