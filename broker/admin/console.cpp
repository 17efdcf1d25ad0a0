#include "broker/admin/console.hpp"

#include <algorithm>
#include <cstdlib>
#include <string>

#include "broker/admin/server.hpp"

namespace iotb::admin {

namespace {

/// True when the Accept-Encoding header allows gzip (not "gzip;q=0").
bool accepts_gzip(std::string_view accept) {
  while (!accept.empty()) {
    auto comma = accept.find(',');
    auto item = accept.substr(0, comma);
    accept = comma == std::string_view::npos ? std::string_view{} : accept.substr(comma + 1);
    auto semi = item.find(';');
    auto coding = item.substr(0, semi);
    auto b = coding.find_first_not_of(' ');
    auto e = coding.find_last_not_of(' ');
    coding = b == std::string_view::npos ? std::string_view{} : coding.substr(b, e - b + 1);
    if (coding != "gzip" && coding != "*")
      continue;
    auto q = semi == std::string_view::npos ? std::string_view::npos : item.find("q=", semi);
    if (q == std::string_view::npos)
      return true;
    return std::strtod(std::string(item.substr(q + 2)).c_str(), nullptr) > 0;
  }
  return false;
}

/// True when If-None-Match is "*" or lists `etag` (weak W/"…" included:
/// RFC 9110's weak comparison).
bool etag_matches(std::string_view if_none_match, std::string_view etag) {
  return if_none_match == "*" ||
         (!if_none_match.empty() && if_none_match.find(etag) != std::string_view::npos);
}

}  // namespace

response console_response(const request& req, std::string_view name,
                          std::span<const console_asset> assets) {
  if (name.empty())
    name = "index.html";
  auto it = std::find_if(assets.begin(), assets.end(),
                         [&](const console_asset& a) { return a.name == name; });
  if (it == assets.end()) {
    return json_response(http::status::not_found,
                         R"({"code":"not_found","message":"no such console file"})", req.version());
  }
  const auto& a = *it;
  const bool index = a.name == "index.html";
  response r{http::status::ok, req.version()};
  r.set(http::field::etag, a.etag);
  r.set(http::field::cache_control, index ? "no-cache" : "public, max-age=31536000, immutable");
  r.set(http::field::vary, "Accept-Encoding");
  r.set("X-Content-Type-Options", "nosniff");
  if (index) {
    // The console loads only its own bundles and talks only to this host.
    r.set("Content-Security-Policy",
          "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; "
          "style-src 'self'; frame-ancestors 'none'");
    r.set("Referrer-Policy", "no-referrer");
  }
  if (etag_matches(req[http::field::if_none_match], a.etag)) {
    r.result(http::status::not_modified);
    return r;
  }
  r.set(http::field::content_type, a.content_type);
  const bool gz = !a.gzip.empty() && accepts_gzip(req[http::field::accept_encoding]);
  auto bytes = gz ? a.gzip : a.plain;
  if (gz)
    r.set(http::field::content_encoding, "gzip");
  r.body().assign(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  return r;
}

void add_console_routes(server& srv, std::span<const console_asset> assets) {
  auto serve = [assets](const std::shared_ptr<api_call>& c, std::string_view name) {
    c->send(console_response(c->req, name, assets));
  };
  srv.route(method::get, "/", access::open,
            [serve](const std::shared_ptr<api_call>& c) { serve(c, {}); });
  srv.route(method::get, "/assets/{name}", access::open,
            [serve](const std::shared_ptr<api_call>& c) { serve(c, c->path.value("name")); });
}

}  // namespace iotb::admin
