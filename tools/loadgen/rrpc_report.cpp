/// @file
/// `loadgen --scenario rrpc`: options to `rrpc_config`, the run, its
/// summary line and JSON (see scenario_rrpc.hpp).

#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>
#include <utility>

#include <boost/asio/io_context.hpp>

#include "tools/loadgen/json_out.hpp"
#include "tools/loadgen/options.hpp"
#include "tools/loadgen/scenario_rrpc.hpp"

namespace iotb::loadgen {

namespace {

/// Derived figures, as printed.
struct rrpc_figures {
  std::optional<double> cpu_us_per_call;  ///< broker CPU per round trip in the window
  double p50_us, p90_us, p99_us, p999_us, max_us;
  double service_p50_us, service_p99_us;  ///< from sending, not from the due time
};

rrpc_figures derive(const rrpc_results& r) {
  rrpc_figures f{};
  if (r.broker_cpu_s && r.success_in_window > 0)
    f.cpu_us_per_call = *r.broker_cpu_s * 1e6 / static_cast<double>(r.success_in_window);
  auto us = [&](double p) { return static_cast<double>(r.latency_ns.percentile(p)) / 1000.0; };
  f.p50_us = us(50);
  f.p90_us = us(90);
  f.p99_us = us(99);
  f.p999_us = us(99.9);
  f.max_us = static_cast<double>(r.latency_ns.max()) / 1000.0;
  f.service_p50_us = static_cast<double>(r.service_ns.percentile(50)) / 1000.0;
  f.service_p99_us = static_cast<double>(r.service_ns.percentile(99)) / 1000.0;
  return f;
}

/// "SUCCESS 123, TIMEOUT 0, …" (outcomes that occurred, SUCCESS always).
std::string outcome_list(const rrpc_results& r) {
  std::string out;
  for (std::size_t i = 0; i < rrpc_outcome_count; ++i) {
    if (i != 0 && r.outcomes[i] == 0)
      continue;
    if (!out.empty())
      out += ", ";
    out += outcome_name(static_cast<rrpc_outcome>(i));
    out += ' ';
    out += std::to_string(r.outcomes[i]);
  }
  return out;
}

void print_summary(std::FILE* out, const rrpc_config& cfg, const rrpc_results& r,
                   const rrpc_figures& f) {
  if (r.window_s == 0) {  // failed before calling
    std::fprintf(out, "loadgen: rrpc N=%zu: ERROR: %s\n", cfg.clients, r.error.c_str());
    return;
  }
  std::fprintf(
      out,
      "loadgen: rrpc N=%zu http-conns=%zu: %.0f round trips/s (calls %llu: %s; "
      "requests seen by devices %llu%s), latency p50 %.0f us p90 %.0f us p99 %.0f us "
      "p99.9 %.0f us max %.0f us (from sending: p50 %.0f us p99 %.0f us), broker %s CPU-s "
      "%s CPU-us/round trip %s RSS KiB, "
      "loadgen %.2f CPU-s in %.2f s%s%s%s%s\n",
      cfg.clients, cfg.http_conns, r.calls_per_s, static_cast<unsigned long long>(r.calls),
      outcome_list(r).c_str(), static_cast<unsigned long long>(r.requests_seen),
      r.drained ? "" : ", not drained", f.p50_us, f.p90_us, f.p99_us, f.p999_us, f.max_us,
      f.service_p50_us, f.service_p99_us, json_number(r.broker_cpu_s, 2).c_str(),
      json_number(f.cpu_us_per_call, 2).c_str(),
      json_number(r.broker_rss_kib ? std::optional<double>(*r.broker_rss_kib) : std::nullopt, 0)
          .c_str(),
      r.loadgen_cpu_s, r.window_s,
      r.first_failure.empty() ? "" : "; first failure: ", r.first_failure.c_str(),
      r.error.empty() ? "" : " ERROR: ", r.error.c_str());
}

void print_json(const options& o, const rrpc_config& cfg, const rrpc_results& r,
                const rrpc_figures& f) {
  std::ostringstream j;
  j << "{\"scenario\":\"rrpc\",\"clients\":" << cfg.clients << ",\"http_conns\":" << cfg.http_conns
    << ",\"timeout_ms\":" << cfg.timeout_ms << ",\"duration_s\":" << json_number(r.window_s, 3)
    << ",\"rate_target\":" << (o.rate > 0 ? json_number(o.rate, 0) : "null") << ",\"transport\":\""
    << o.transport << "\",\"calls\":" << r.calls << ",\"outcomes\":{";
  for (std::size_t i = 0; i < rrpc_outcome_count; ++i)
    j << (i == 0 ? "" : ",") << '"' << outcome_name(static_cast<rrpc_outcome>(i))
      << "\":" << r.outcomes[i];
  j << "},\"success_in_window\":" << r.success_in_window
    << ",\"round_trips_per_s\":" << json_number(r.calls_per_s, 1)
    << ",\"msgs_per_s\":" << json_number(r.calls_per_s, 1) << ",\"lost\":" << r.failed()
    << ",\"requests_seen\":" << r.requests_seen
    << ",\"unexpected_publishes\":" << r.unexpected_publishes
    << ",\"backlog_max\":" << r.backlog_max << ",\"p50_us\":" << json_number(f.p50_us, 1)
    << ",\"p90_us\":" << json_number(f.p90_us, 1) << ",\"p99_us\":" << json_number(f.p99_us, 1)
    << ",\"p999_us\":" << json_number(f.p999_us, 1) << ",\"max_us\":" << json_number(f.max_us, 1)
    << ",\"service_p50_us\":" << json_number(f.service_p50_us, 1)
    << ",\"service_p99_us\":" << json_number(f.service_p99_us, 1)
    << ",\"broker_cpu_s\":" << json_number(r.broker_cpu_s, 3)
    << ",\"broker_cpu_us_per_msg\":" << json_number(f.cpu_us_per_call, 3) << ",\"broker_rss_kib\":"
    << json_number(r.broker_rss_kib ? std::optional<double>(*r.broker_rss_kib) : std::nullopt, 0)
    << ",\"loadgen_cpu_s\":" << json_number(r.loadgen_cpu_s, 3)
    << ",\"drained\":" << (r.drained ? "true" : "false")
    << ",\"first_failure\":" << (r.first_failure.empty() ? "null" : json_string(r.first_failure))
    << ",\"error\":" << (r.error.empty() ? "null" : json_string(r.error)) << "}\n";
  std::fputs(j.str().c_str(), stdout);
}

}  // namespace

int run_rrpc(const options& o, connection_config conn, std::vector<device_credential> devices) {
  std::string token = o.token;
  if (token.empty()) {
    const char* env = std::getenv("IOTB_TOKEN");
    token = env != nullptr ? env : "";
  }
  if (token.empty())
    die("--scenario rrpc: needs --token or $IOTB_TOKEN (POST /api/v1/login)");
  rrpc_config cfg;
  cfg.admin = boost::asio::ip::tcp::endpoint(conn.target.address(),
                                             static_cast<unsigned short>(o.admin_port));
  cfg.conn = std::move(conn);
  cfg.authorization = "Bearer " + token;
  cfg.devices = std::move(devices);
  cfg.clients = o.clients;
  cfg.http_conns = o.http_conns;
  cfg.duration_s = o.duration;
  cfg.rate = o.rate;
  cfg.timeout_ms = o.rrpc_timeout_ms;
  cfg.drain_s = static_cast<double>(o.rrpc_timeout_ms) / 1000.0 + 1.0;
  cfg.keep_alive = o.keep_alive.value_or(300);

  rrpc_results r;
  {
    boost::asio::io_context io(1);
    rrpc_scenario s(io, cfg);
    r = s.run();
  }
  auto f = derive(r);
  print_summary(o.json ? stderr : stdout, cfg, r, f);
  if (o.json)
    print_json(o, cfg, r, f);
  return r.error.empty() && r.failed() == 0 ? 0 : 2;
}

}  // namespace iotb::loadgen
