// The HTTP webhook sink (SPEC §9): POSTs (or PUTs) each batch of records as
// JSON to a URL, over HTTP or HTTPS, on one kept-alive connection. Built as
// iotb_sink_http.so on the plugin ABI (iotbroker/sink.h) through the C++
// wrapper; it links nothing of the broker. Configuration, status mapping
// and TLS: docs/plugins.md "HTTP webhook".
//
//   config.hpp   the configuration and the URL (pure)
//   mapping.hpp  answers and failures → record statuses; bodies (pure)
//   client.hpp   the connection (Beast over Asio, asio::ssl on BoringSSL)

#include <chrono>
#include <memory>
#include <string>

#include "iotbroker/sink.hpp"
#include "plugins/http/client.hpp"
#include "plugins/http/config.hpp"
#include "plugins/http/mapping.hpp"

namespace {

namespace sink = iotbroker::sink;
namespace hs = iotb::http_sink;
using std::chrono::steady_clock;

void set(sink::result& r, const hs::verdict& v) {
  r.status = v.status;
  r.delay_ms = v.delay_ms;
  r.error = v.error;
}

class http_sink : public sink::instance {
 public:
  static constexpr const char* name = "http";
  static constexpr const char* version = "1.0.0";
  static constexpr const char* description =
      "Sends records as JSON to an HTTP or HTTPS webhook (POST or PUT), one request per batch or "
      "per record";
  static constexpr const char* config_schema = hs::config_schema;

  /// Parses the configuration and loads the CA bundle; connects only at the
  /// first delivery. Throws sink::error (DROP: bad configuration).
  explicit http_sink(const sink::create_context& ctx) : host_(ctx.host) {
    auto c = hs::parse_config(ctx.config_json);
    if (!c)
      throw sink::error(c.error());
    cfg_ = std::move(*c);
    auto cl = hs::client::make(cfg_);
    if (!cl)
      throw sink::error(cl.error());
    client_ = std::move(*cl);
    req_.method = cfg_.method;
    req_.headers = cfg_.headers;
  }

  ~http_sink() override {
    const auto connections = client_->connects();
    client_.reset();  // closes the connection
    host_.debug(cfg_.url.origin() + ": " + std::to_string(requests_) + " requests, " +
                std::to_string(connections) + " connections");
  }

  http_sink(const http_sink&) = delete;
  http_sink& operator=(const http_sink&) = delete;

  void deliver(const std::vector<sink::record>& records,
               std::vector<sink::result>& results) override {
    if (cfg_.batch == hs::batch_mode::array) {
      auto v = send(hs::request_body(records, 0, records.size(), cfg_.body, true));
      for (auto& r : results)
        set(r, v);
      return;
    }
    deliver_each(records, results);
  }

 private:
  /// Batch "single": a request per record. After a RETRY or THROTTLE the
  /// rest are not tried (they take the same verdict); once `timeoutMs` has
  /// passed, the rest are handed back untried (THROTTLE for 1 ms: not a
  /// retry) so that one call stays bounded.
  void deliver_each(const std::vector<sink::record>& records, std::vector<sink::result>& results) {
    const auto budget_end = steady_clock::now() + std::chrono::milliseconds{cfg_.timeout_ms};
    for (std::size_t i = 0; i < records.size(); ++i) {
      if (i > 0 && steady_clock::now() >= budget_end) {
        hs::verdict later{sink::status::throttle, 1,
                          cfg_.url.origin() + ": not sent within timeoutMs, offered again"};
        for (std::size_t j = i; j < records.size(); ++j)
          set(results[j], later);
        return;
      }
      auto v = send(hs::request_body(records, i, i + 1, cfg_.body, false));
      set(results[i], v);
      if (v.status == sink::status::retry || v.status == sink::status::throttle) {
        for (std::size_t j = i + 1; j < records.size(); ++j)
          set(results[j], v);
        return;
      }
    }
  }

  /// One request with `body`; its verdict. Logs when the webhook starts or
  /// stops failing (not every failure: the host counts those).
  hs::verdict send(std::string body) {
    req_.body = std::move(body);
    ++requests_;
    const auto deadline = steady_clock::now() + std::chrono::milliseconds{cfg_.timeout_ms};
    auto r = client_->exchange(req_, deadline);
    hs::verdict v = r ? hs::map_response(cfg_.url, r->status, r->retry_after, r->body)
                      : hs::map_failure(cfg_.url, r.error(), cfg_.timeout_ms);
    const bool failing = v.status != sink::status::ok;
    if (failing && !failing_)
      host_.warn(v.error);
    else if (!failing && failing_)
      host_.info(cfg_.url.origin() + ": delivering again");
    failing_ = failing;
    return v;
  }

  hs::config cfg_;
  sink::host host_;
  std::unique_ptr<hs::client> client_;
  hs::request req_;  ///< method and headers set once; the body per request
  std::uint64_t requests_ = 0;
  bool failing_ = false;  ///< the last request failed (for the log)
};

}  // namespace

IOTB_SINK_PLUGIN(http_sink)
