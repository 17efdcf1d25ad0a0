#pragma once
/// @file
/// One file of the web console as compiled into the binary, and the table
/// the build generates (console/embed.cmake). Served by console.hpp.

#include <cstdint>
#include <span>
#include <string_view>

namespace iotb::admin {

/// One embedded file.
struct console_asset {
  std::string_view name;          ///< "index.html" or a hashed bundle name
  std::string_view content_type;  ///< e.g. "text/javascript; charset=utf-8"
  std::string_view etag;          ///< quoted, from the content's SHA-256
  std::span<const std::uint8_t> plain;
  std::span<const std::uint8_t> gzip;
};

/// The console built from console/ (generated: <build>/console/console_assets.cpp).
[[nodiscard]] std::span<const console_asset> embedded_console_assets();

}  // namespace iotb::admin
