#pragma once
/// @file
/// Internal to broker/admin: the transaction helpers the shared operations
/// (registry_ops.cpp, thing_ops.cpp) run in.

#include <optional>
#include <utility>

#include "broker/store/env.hpp"

namespace iotb::admin::ops::detail {

using store::error;

/// Runs `f(write_txn&)` as one durable change (`env::transact`: in the
/// broker, through its store writer).
template <class F>
auto change(store::env& e, F&& f) -> decltype(f(std::declval<store::write_txn&>())) {
  std::optional<decltype(f(std::declval<store::write_txn&>()))> result;
  auto ok = e.transact([&](store::write_txn& t) -> expected<bool, error> {
    result.emplace(f(t));  // a retried group runs it again: the last run counts
    if (!*result)
      return unexpected{result->error()};
    return true;
  });
  if (!ok)
    return unexpected{ok.error()};
  return std::move(*result);
}

/// Runs `f(read_txn&)` in one read transaction.
template <class F>
auto look(store::env& e, F&& f) -> decltype(f(std::declval<store::read_txn&>())) {
  auto t = e.read();
  if (!t)
    return unexpected{t.error()};
  return f(*t);
}

}  // namespace iotb::admin::ops::detail
