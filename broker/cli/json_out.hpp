#pragma once
/// @file
/// JSON output of the management commands: the admin API's writer and
/// helpers (broker/admin/json.hpp), so that both print the same JSON.

#include "broker/admin/json.hpp"

namespace iotb::cli {

using admin::field;
using admin::json_writer;

}  // namespace iotb::cli
