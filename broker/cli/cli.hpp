#pragma once
/// @file
/// The management subcommands of SPEC §13: `iotbroker product|device|app|
/// sign|cert ...`. They print JSON on stdout and work on the data directory
/// whether or not a broker runs on it (LMDB is multi-process safe; a running
/// broker follows the change feed).

#include <optional>
#include <string_view>
#include <vector>

namespace iotb::cli {

/// Runs the subcommand named by `argv[0]` (argv without the program name).
/// @returns the process exit code (0 ok, 1 failed, 2 usage error), or
///   nothing when `argv[0]` names no subcommand (the broker itself runs).
[[nodiscard]] std::optional<int> run(const std::vector<std::string_view>& argv);

/// The subcommand part of `--help`.
[[nodiscard]] const char* help_text() noexcept;

}  // namespace iotb::cli
