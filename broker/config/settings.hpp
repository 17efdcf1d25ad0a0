#pragma once
/// @file
/// The one settings table: every broker setting is declared once, here,
/// with its key, argument name, help text and parser. Command-line flags
/// (`--key value`), config-file keys (`key = value`) and `--help` all come
/// from it, so a setting cannot exist in one and be missing from another.

#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "broker/config/config.hpp"

namespace iotb {

/// One setting.
struct setting {
  std::string_view key;   ///< flag without dashes, and config-file key
  std::string_view arg;   ///< what the value looks like ("N", "HOST:PORT", "FILE")
  std::string_view help;  ///< one sentence or two; wrapped by `help_text`
  /// Parses `value` into the config. @returns an error text naming the key.
  std::function<std::optional<std::string>(config&, std::string_view)> apply;
  /// The value in `cfg`, as it would be written (for the default in --help);
  /// empty for settings whose default is explained in `help`.
  std::function<std::string(const config&)> show;
  /// `--key` alone means `--key=true`.
  bool implicit_true = false;
  /// Naming this listener leaves local mode (SPEC §2.1).
  bool listener = false;
};

/// Every setting, in the order `--help` lists them.
[[nodiscard]] std::span<const setting> settings() noexcept;

/// The setting named `key`, or null.
[[nodiscard]] const setting* find_setting(std::string_view key) noexcept;

}  // namespace iotb
