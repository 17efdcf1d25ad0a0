/// @file
/// /proc readers and process limits (see proc_stats.hpp).

#include "tools/loadgen/proc_stats.hpp"

#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

#include <sys/resource.h>
#include <unistd.h>

namespace iotb::loadgen {

std::optional<double> process_cpu_seconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!in || !std::getline(in, line))
    return std::nullopt;
  // Field 2 (comm) is parenthesised and may hold spaces: fields after the
  // last ')' start with field 3.
  auto close = line.rfind(')');
  if (close == std::string::npos)
    return std::nullopt;
  std::istringstream rest(line.substr(close + 1));
  std::string field;
  unsigned long long utime = 0;
  unsigned long long stime = 0;
  for (int n = 3; n <= 15 && rest >> field; ++n) {
    if (n == 14)
      utime = std::stoull(field);
    else if (n == 15)
      stime = std::stoull(field);
  }
  static const long ticks = sysconf(_SC_CLK_TCK);
  return static_cast<double>(utime + stime) / static_cast<double>(ticks);
}

namespace {

/// A "Name:   1234 kB" field of /proc/PID/status, in KiB.
std::optional<long> status_kib(pid_t pid, std::string_view field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field, 0) == 0)
      return std::stol(line.substr(field.size()));
  }
  return std::nullopt;
}

}  // namespace

std::optional<long> process_rss_kib(pid_t pid) {
  return status_kib(pid, "VmRSS:");
}

std::optional<long> process_rss_anon_kib(pid_t pid) {
  return status_kib(pid, "RssAnon:");
}

double own_cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  auto secs = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
  };
  return secs(u.ru_utime) + secs(u.ru_stime);
}

long raise_fd_limit() {
  rlimit r{};
  if (getrlimit(RLIMIT_NOFILE, &r) != 0)
    return -1;
  if (r.rlim_cur < r.rlim_max) {
    r.rlim_cur = r.rlim_max;
    setrlimit(RLIMIT_NOFILE, &r);
    getrlimit(RLIMIT_NOFILE, &r);
  }
  return static_cast<long>(r.rlim_cur);
}

}  // namespace iotb::loadgen
