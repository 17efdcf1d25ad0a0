#pragma once
/// @file
/// A minimal `expected<T, E>` for the data plane (no exceptions on the message
/// path). C++20 has no std::expected; this one covers what the codecs need.

#include <cassert>
#include <utility>
#include <variant>

namespace iotb {

/// Wraps an error value so that `expected` can be constructed from it
/// unambiguously.
template <class E>
struct unexpected {
  E error;
};

template <class E>
unexpected(E) -> unexpected<E>;

/// Holds either a value of type T or an error of type E.
template <class T, class E>
class [[nodiscard]] expected {
 public:
  using value_type = T;
  using error_type = E;

  expected(T value) : data_(std::in_place_index<0>, std::move(value)) {}
  expected(unexpected<E> err) : data_(std::in_place_index<1>, std::move(err.error)) {}

  /// True when a value is held.
  [[nodiscard]] bool has_value() const noexcept { return data_.index() == 0; }
  explicit operator bool() const noexcept { return has_value(); }

  [[nodiscard]] T& value() & {
    assert(has_value());
    return *std::get_if<0>(&data_);
  }
  [[nodiscard]] const T& value() const& {
    assert(has_value());
    return *std::get_if<0>(&data_);
  }
  [[nodiscard]] T&& value() && {
    assert(has_value());
    return std::move(*std::get_if<0>(&data_));
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  /// The error; only valid when `!has_value()`.
  [[nodiscard]] const E& error() const {
    assert(!has_value());
    return *std::get_if<1>(&data_);
  }

 private:
  std::variant<T, E> data_;
};

}  // namespace iotb
