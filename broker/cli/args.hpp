#pragma once
/// @file
/// Command-line arguments of the management subcommands (`iotbroker product
/// create --name X`): words first, then `--key value` options and `--flag`s.
/// Pure; unit-tested in args.test.cpp.

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "broker/util/expected.hpp"

namespace iotb::cli {

/// Parsed arguments of one subcommand.
class args {
 public:
  /// Splits `argv` (without the program name). `flags` names the options
  /// that take no value. Errors: an option without its value, a word after
  /// the options.
  [[nodiscard]] static expected<args, std::string> parse(const std::vector<std::string_view>& argv,
                                                         const std::vector<std::string>& flags);

  /// Positional words ("device", "create").
  [[nodiscard]] const std::vector<std::string>& words() const noexcept { return words_; }
  /// The last value of `--name`, if given.
  [[nodiscard]] std::optional<std::string> get(const std::string& name) const;
  /// Every value of a repeatable option, in order.
  [[nodiscard]] std::vector<std::string> all(const std::string& name) const;
  /// True when `--name` was given (flag or option).
  [[nodiscard]] bool has(const std::string& name) const { return values_.contains(name); }
  /// Options that are not in `known` (for "unknown option" errors).
  [[nodiscard]] std::vector<std::string> unknown(const std::vector<std::string>& known) const;

 private:
  std::vector<std::string> words_;
  std::map<std::string, std::vector<std::string>> values_;
};

}  // namespace iotb::cli
