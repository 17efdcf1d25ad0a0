#pragma once
/// @file
/// What the load generator reads from /proc about the broker under test,
/// and its own process limits.

#include <sys/types.h>
#include <optional>

namespace iotb::loadgen {

/// CPU seconds (user + system) used so far by process `pid`, from fields 14
/// and 15 of /proc/PID/stat; nullopt when the process is gone.
[[nodiscard]] std::optional<double> process_cpu_seconds(pid_t pid);

/// Resident set size of `pid` in KiB (VmRSS of /proc/PID/status).
[[nodiscard]] std::optional<long> process_rss_kib(pid_t pid);

/// Anonymous resident memory of `pid` in KiB (RssAnon: heap and stacks,
/// without file-backed pages such as LMDB's memory map).
[[nodiscard]] std::optional<long> process_rss_anon_kib(pid_t pid);

/// CPU seconds (user + system) used so far by this process.
[[nodiscard]] double own_cpu_seconds();

/// Raises the soft RLIMIT_NOFILE to the hard limit; returns the new soft
/// limit.
long raise_fd_limit();

}  // namespace iotb::loadgen
