#pragma once
/// @file
/// The store writer: one thread that applies write jobs to an LMDB
/// environment in groups — every job queued while the previous commit was
/// syncing goes into the next transaction, so the broker pays one commit
/// (and one sync) for many device-log lines and state updates, and no
/// actor or I/O thread ever blocks on the disk.
///
/// With an environment opened without sync, the writer syncs every
/// `sync_interval` (1 s by default; 0: never, except when it stops) while
/// there are commits. A job may carry a completion that runs on the writer
/// thread after its transaction committed (for a synced environment: after
/// the data is on disk) — the durable-QoS 1 path acknowledges from there.
///
/// A full map (MDB_MAP_FULL) grows the map (`env::grow`) and retries the
/// group; only at the configured maximum do jobs fail.
///
/// Thread-safety: `submit` may be called from any thread. Jobs run on the
/// writer thread in submission order; a job must not block on anything but
/// the transaction it is given.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "broker/store/env.hpp"

namespace iotb::store {

/// Applies queued jobs in grouped write transactions.
class writer {
 public:
  /// A job: writes into `t`. An error is logged with `what` and the job's
  /// changes are discarded with its group (the other jobs of that group are
  /// retried one by one, so one bad job loses nothing else).
  using job = std::function<expected<bool, error>(write_txn& t)>;
  /// Runs after the job's group committed (`true`) or after the job was
  /// dropped (`false`), on the writer thread, in submission order. Must
  /// not block; may submit further jobs.
  using completion = std::function<void(bool committed)>;

  /// Told the duration of every successful group commit (sync included),
  /// on the writer thread. Must not block.
  using commit_observer = std::function<void(std::chrono::nanoseconds took)>;

  /// Statistics (for metrics and benchmarks).
  struct stats {
    std::uint64_t jobs = 0;
    std::uint64_t commits = 0;
    std::uint64_t failures = 0;
    std::uint64_t grows = 0;
  };

  /// `window`: after a commit, wait until this much time has passed before
  /// the next one (more jobs per transaction, fewer page writes); 0 commits
  /// as soon as jobs are queued.
  explicit writer(std::shared_ptr<env> e, std::size_t max_group = 1000,
                  std::chrono::milliseconds window = std::chrono::milliseconds{0},
                  std::chrono::milliseconds sync_interval = std::chrono::seconds{1},
                  commit_observer on_commit = {});
  ~writer();  ///< `stop()`
  /// Commits everything queued (also what completions submit meanwhile),
  /// syncs, and joins the thread. Idempotent; no `submit` from other
  /// threads may follow.
  void stop();
  writer(const writer&) = delete;
  writer& operator=(const writer&) = delete;

  /// Queues a job. Never blocks on the disk.
  void submit(job j, completion done = {});
  /// Runs `j` in the next group and waits until it is on disk (the group is
  /// synced before its completions run, and a waiting change does not wait
  /// for the grouping window). The job's own error is returned, not
  /// logged. The broker's `env::transact` path (see `route_to`). Errors:
  /// the job's; io (the commit failed, or called on the writer thread,
  /// which would wait for itself).
  [[nodiscard]] expected<bool, error> change(const env::change_job& j);
  /// Routes `e.transact` (every durable registry change of this process)
  /// through `change`, and `e.enqueue` to `submit`. `e` must be this writer's environment; undo
  /// with `e.route_writes({})` before the writer stops.
  void route_to(env& e);
  /// Blocks until every job submitted before the call has been committed.
  void drain();
  [[nodiscard]] stats snapshot() const;

 private:
  struct item {
    job j;
    completion done;
    bool durable = false;  ///< sync before `done`; its caller reports errors
  };
  void run();
  commit_observer on_commit_;
  void apply(std::vector<item>& group);

  std::shared_ptr<env> env_;
  std::size_t max_group_;
  std::chrono::milliseconds window_;
  std::chrono::milliseconds sync_interval_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::condition_variable drained_;
  std::vector<item> queue_;
  std::uint64_t submitted_ = 0;
  std::uint64_t done_ = 0;
  stats stats_;
  bool stop_ = false;
  std::chrono::steady_clock::time_point last_sync_{};
  bool dirty_ = false;    ///< committed since the last sync (writer thread only)
  bool synced_ = false;   ///< the last group was synced (writer thread only)
  unsigned waiting_ = 0;  ///< queued durable jobs (someone waits: skip the window)
  std::thread thread_;
};

}  // namespace iotb::store
