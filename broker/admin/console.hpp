#pragma once
/// @file
/// The web console (SPEC §12, "The console"): a single-page application
/// built from `console/` by esbuild and compiled into the binary
/// (console/CMakeLists.txt generates the asset table). Served on the admin
/// listener without credentials (it holds no data; it calls the API with
/// the token its login gets):
///
///   GET /                 index.html, revalidated every time (ETag)
///   GET /assets/{name}    the bundles, named by content hash: cached for a
///                         year as immutable
///
/// Each asset is stored gzip-compressed and plain: a client that accepts
/// gzip gets the compressed bytes (`Content-Encoding: gzip`). A matching
/// `If-None-Match` answers 304. The console's routes are hash fragments
/// (`/#/devices`), so no console path can shadow an API path.

#include <span>
#include <string_view>

#include "broker/admin/console_asset.hpp"
#include "broker/admin/http_server.hpp"

namespace iotb::admin {

class server;

/// The answer to a console request for `name` (empty: the index page):
/// 200 with the asset, 304 when `If-None-Match` names its ETag, 404 when
/// there is no such asset. Pure (unit-tested).
[[nodiscard]] response console_response(const request& req, std::string_view name,
                                        std::span<const console_asset> assets);

/// Adds `GET /` and `GET /assets/{name}` serving `assets`.
void add_console_routes(server& srv, std::span<const console_asset> assets);

}  // namespace iotb::admin
