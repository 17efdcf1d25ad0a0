#pragma once
/// @file
/// Internals of the TSL parser shared by tsl.cpp and tsl_types.cpp: the
/// parse context that tracks the JSON path for error messages. Not a public
/// interface.

#include <optional>
#include <string>
#include <vector>

#include <rapidjson/document.h>

#include "broker/thing/tsl.hpp"

namespace iotb::thing::detail {

/// The JSON path being parsed and the first error.
class parse_ctx {
 public:
  /// Restores the path length on destruction (RAII for enter()).
  class guard {
   public:
    guard(parse_ctx& c, std::size_t len) : c_(c), len_(len) {}
    guard(const guard&) = delete;
    guard& operator=(const guard&) = delete;
    ~guard() { c_.path_.resize(len_); }

   private:
    parse_ctx& c_;
    std::size_t len_;
  };

  /// Appends `.key` to the path.
  [[nodiscard]] guard enter(const char* key) {
    std::size_t len = path_.size();
    if (!path_.empty())
      path_ += '.';
    path_ += key;
    return guard(*this, len);  // a prvalue: guaranteed elision, guard is not copyable
  }
  /// Appends `.key[i]` (`[i]` when key is empty).
  [[nodiscard]] guard enter(const char* key, std::size_t i) {
    std::size_t len = path_.size();
    if (*key) {
      if (!path_.empty())
        path_ += '.';
      path_ += key;
    }
    path_ += '[' + std::to_string(i) + ']';
    return guard(*this, len);
  }

  /// Records the first error at `path.key` (key may be empty). Returns false.
  bool fail(tsl_errc code, const std::string& key, std::string message) {
    std::string p = path_;
    if (!key.empty())
      p += (p.empty() ? "" : ".") + key;
    return fail_at(std::move(p), code, std::move(message));
  }
  /// Records the first error at an absolute `path`. Returns false.
  bool fail_at(std::string path, tsl_errc code, std::string message) {
    if (!error)
      error = tsl_error{code, std::move(path), std::move(message)};
    return false;
  }

  std::optional<tsl_error> error;

 private:
  std::string path_;
};

/// Where a data type appears: what it may be.
enum class type_scope {
  property,      ///< any kind
  struct_field,  ///< no struct, no array (the platform forbids nesting)
  array_item,    ///< int, float, double, text, struct
};

/// Parses `dataType` (`v` is its value) into `out`.
bool parse_data_type(parse_ctx& c, const rapidjson::Value& v, data_type& out, type_scope scope);

/// Parses the array `key` of `obj` (`outputData`, `inputData`) into `out`;
/// when `refs` is given, string elements are identifier references.
bool parse_params(parse_ctx& c, const rapidjson::Value& obj, const char* key,
                  std::vector<param>& out, std::vector<std::string>* refs);

/// A finite number from a JSON number or a string ("0", "-1.5").
std::optional<double> parse_number(const rapidjson::Value& v);
/// An integer from a JSON integer or a string of digits.
std::optional<std::int64_t> parse_integer(const rapidjson::Value& v);

}  // namespace iotb::thing::detail
