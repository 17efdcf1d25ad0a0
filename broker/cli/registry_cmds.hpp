#pragma once
/// @file
/// `product`, `device`, `app` and `admin` subcommands (internal to broker/cli).

#include <optional>
#include <string>

#include "broker/cli/args.hpp"

namespace iotb::store {
struct error;
}

namespace iotb::cli {

/// Each returns the exit code; output JSON on stdout, errors on stderr.
[[nodiscard]] int product_cmd(const args& a);
[[nodiscard]] int device_cmd(const args& a);
[[nodiscard]] int app_cmd(const args& a);
/// `thing-model import|export|show|check-mode` (thing_cmds.cpp); `file` is
/// a trailing FILE (or MODE) given after the options.
[[nodiscard]] int thing_model_cmd(const args& a, const std::optional<std::string>& file);
/// `admin user ...` (admin_cmds.cpp).
[[nodiscard]] int admin_cmd(const args& a);
/// `rrpc`, `property set`, `service invoke` through a running broker's
/// admin API (call_cmds.cpp).
[[nodiscard]] int call_cmd(const args& a);
/// Sends `body` (JSON; none when empty) to the running broker's admin API
/// with `method` and prints the answer: 0 on 2xx (and no TIMEOUT, OFFLINE or
/// UNKNOWN `result`), 1 otherwise (call_cmds.cpp).
[[nodiscard]] int api_send(const args& a, const char* method, const std::string& path,
                           const std::string& body);
/// `rule create|list|show|enable|disable|delete|test` through the admin API
/// (rule_cmds.cpp).
[[nodiscard]] int rule_cmd(const args& a);
/// `plugins [--plugin-dir DIRS] [--sink NAME --config JSON]` (plugin_cmds.cpp):
/// the registry as JSON; 1 when a file did not load or the sink refused.
[[nodiscard]] int plugins_cmd(const args& a);

/// Prints `{"error":code,"message":what}` on stderr; @returns 1.
int fail(const char* code, const std::string& what);
/// fail() with a store error's code and text.
int fail(const store::error& e);
/// Prints a usage error on stderr; @returns 2.
int usage(const std::string& what);

}  // namespace iotb::cli
