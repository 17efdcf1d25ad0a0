#pragma once
/// @file
/// The LMDB environment of one iotbroker data directory: opening (with the
/// on-disk format check), the named tables, and RAII transactions.
///
/// Several processes may open the same environment at once (LMDB's lock
/// file serialises writers): the CLI edits the registry while a broker runs.
///
/// Thread-safety: an `env` may be used from any thread. Transactions are
/// opened with MDB_NOTLS, so a read transaction may be used by one thread at
/// a time but need not stay on the thread that opened it; a write
/// transaction belongs to the thread that opened it until it ends.

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <lmdb.h>

#include "broker/util/expected.hpp"

namespace iotb::store {

/// Storage errors. Each value says what the caller can do about it.
enum class errc : std::uint8_t {
  io,               ///< the files could not be opened or written (see text)
  format_mismatch,  ///< the data directory was written by an incompatible version
  not_found,        ///< no such record
  exists,           ///< a record with this key exists already
  map_full,         ///< the LMDB map is full (raise `map_size`)
  corrupt,          ///< a record failed FlatBuffers verification
  limit,            ///< a documented capacity limit was reached (see text)
  invalid,          ///< an argument broke a rule of SPEC §1 (see text)
  in_use,           ///< the record is still referred to (a product with devices)
};

/// An error with a sentence for the operator (never contains a secret).
struct error {
  errc code;
  std::string what;
};

/// Human-readable name of `e` ("not_found").
[[nodiscard]] const char* to_string(errc e) noexcept;

/// The tables of an environment (each environment opens all of them; the
/// registry uses the first seven and those after `retained`, the sessions
/// environment the others).
enum class table : std::uint8_t {
  meta,      ///< "format" → magic + version
  products,  ///< pk → Product
  devices,   ///< "pk/dn" → Device
  apps,      ///< access key id → App
  regnwl,    ///< "pk/dn/clientId" → RegnwlClient
  devlog,    ///< "pk/dn" NUL seq(BE64) → DeviceLogEntry
  changes,   ///< seq(BE64) → Change
  // The sessions environment (broker/store/session_store.hpp).
  sessions,  ///< session name → Session
  queue,     ///< store_id(BE64) seq(BE64) → QueueEntry
  messages,  ///< message id(BE64) → StoredMessage
  retained,  ///< topic → StoredMessage
  // The registry environment again (added later; broker/store/admin_store.hpp).
  admin_users,  ///< user name → AdminUser
  audit,        ///< seq(BE64) → AuditEntry
  // The registry environment: thing model data (broker/store/thing_store.hpp).
  thing_models,  ///< pk → ThingModel
  properties,    ///< "pk/dn" NUL identifier → PropertyValue (latest)
  history,       ///< "pk/dn" NUL identifier NUL time(BE64) id(BE64) → PropertyValue
  events,        ///< "pk/dn" NUL time(BE64) id(BE64) → ThingEvent
  desired,       ///< "pk/dn" NUL identifier → PropertyValue (desired values)
  ota,           ///< "pk/dn" → OtaState
  shadows,       ///< "pk/dn" → Shadow
  configs,       ///< pk → ProductConfig (remote configuration file)
  // The registry environment: the rules engine (broker/store/rule_store.hpp).
  rules,  ///< rule id → Rule
  count_,
};

/// On-disk format of the registry environment (bump only for changes old
/// code cannot read; FlatBuffers fields are append-only).
inline constexpr std::uint32_t registry_format_version = 1;

/// Options for `env::open`.
struct env_options {
  std::size_t map_size = std::size_t{2} << 30;  ///< bytes of address space
  /// false: MDB_NOSYNC — commits reach the disk at the next `sync()` (the
  /// broker's writer syncs every second) or at the next synced commit of
  /// any process (the CLI's). For data whose last second may be lost in a
  /// crash: the device log and device state.
  bool sync = true;
  /// `grow()` doubles the map up to this size; 0 = never grow.
  std::size_t max_map_size = 0;
};

class read_txn;
class write_txn;

/// An open LMDB environment (a directory holding data.mdb and lock.mdb).
class env {
 public:
  /// Opens (creating when missing) the environment in `dir` and checks its
  /// format version. Errors: io (cannot create/open), format_mismatch
  /// (magic or version unknown), corrupt (meta record malformed).
  [[nodiscard]] static expected<std::shared_ptr<env>, error> open(const std::string& dir,
                                                                  const env_options& opts);
  ~env();
  env(const env&) = delete;
  env& operator=(const env&) = delete;

  /// Begins a read-only transaction (cheap: no lock, no I/O).
  [[nodiscard]] expected<read_txn, error> read();
  /// Begins the (one, cross-process) write transaction; blocks while another
  /// process or thread writes.
  [[nodiscard]] expected<write_txn, error> write();

  /// One durable change: `job` writes into the transaction it is given
  /// (an error discards its changes and is returned). Without a write
  /// path, `transact` runs it in a transaction of its own, commits and
  /// syncs; a process with a store writer routes every such change
  /// through it (`route_writes`), so that one thread writes. Blocks until
  /// the change is on disk. Any thread but the writer's own.
  using change_job = std::function<expected<bool, error>(write_txn&)>;
  [[nodiscard]] expected<bool, error> transact(const change_job& job);
  /// Routes `transact` through `path` (the broker: its store writer); an
  /// empty function restores direct transactions, after waiting for the
  /// routed calls in progress (so the path's owner may go afterwards).
  using write_path = std::function<expected<bool, error>(const change_job&)>;
  /// Where `enqueue` sends a change (the broker: its writer's queue).
  using queue_path = std::function<void(change_job)>;
  void route_writes(write_path path, queue_path queue = {});
  /// A change that may wait: when routed, queued (grouped with others, on
  /// disk within the writer's sync interval, so a crash may lose the last
  /// second; errors are logged by the writer) without blocking; else as
  /// `transact`, its error logged. For records written after the fact
  /// (the audit log).
  void enqueue(change_job job);
  /// Waits until every change enqueued before the call has committed (a
  /// reader that must see them: the audit log's listing). No-op unrouted.
  void settle();

  /// Flushes committed data to disk (for environments opened without sync).
  [[nodiscard]] expected<bool, error> sync();
  /// True when opened without per-commit sync.
  [[nodiscard]] bool nosync() const noexcept { return !opts_.sync; }

  /// Doubles the map size (at most `max_map_size`) after MDB_MAP_FULL.
  /// Waits until no transaction of this process is open. Errors: limit
  /// (already at the maximum), io.
  [[nodiscard]] expected<bool, error> grow();
  /// The current map size in bytes.
  [[nodiscard]] std::size_t map_size() const noexcept { return map_size_.load(); }
  /// Bytes of the map in use: pages up to the last one written (freed pages
  /// inside are reused before the map grows). 0 when LMDB cannot tell.
  [[nodiscard]] std::size_t used_bytes() const noexcept;

  [[nodiscard]] MDB_dbi dbi(table t) const noexcept { return dbis_[static_cast<int>(t)]; }
  [[nodiscard]] MDB_env* handle() const noexcept { return env_; }
  [[nodiscard]] const std::string& dir() const noexcept { return dir_; }

 private:
  env() = default;
  std::shared_mutex route_mu_;  ///< held shared by a routed `transact`
  write_path write_path_;
  queue_path queue_path_;
  friend class txn;
  MDB_env* env_ = nullptr;
  env_options opts_;
  std::atomic<std::size_t> map_size_{0};
  /// Shared by every open transaction; `grow` takes it exclusively (LMDB:
  /// the map may be resized only while this process has no transaction).
  std::shared_mutex resize_mu_;
  MDB_dbi dbis_[static_cast<int>(table::count_)] = {};
  std::string dir_;
};

/// Common part of both transaction kinds.
class txn {
 public:
  txn(const txn&) = delete;
  txn& operator=(const txn&) = delete;
  txn(txn&& other) noexcept;
  txn& operator=(txn&&) = delete;
  ~txn();  ///< aborts when not committed

  /// The value stored under `key`, valid until the transaction ends.
  [[nodiscard]] std::optional<std::span<const std::uint8_t>> get(table t,
                                                                 std::string_view key) const;
  [[nodiscard]] MDB_txn* handle() const noexcept { return txn_; }
  [[nodiscard]] store::env& environment() const noexcept { return *env_; }

 protected:
  txn(store::env& e, MDB_txn* t, std::shared_lock<std::shared_mutex> lk)
      : env_(&e), txn_(t), lk_(std::move(lk)) {}
  store::env* env_;
  MDB_txn* txn_;
  std::shared_lock<std::shared_mutex> lk_;
};

/// A read-only snapshot.
class read_txn : public txn {
  friend class env;
  read_txn(store::env& e, MDB_txn* t, std::shared_lock<std::shared_mutex> lk)
      : txn(e, t, std::move(lk)) {}

 public:
  read_txn(read_txn&&) noexcept = default;
};

/// The write transaction; changes become visible (and durable) on `commit`.
class write_txn : public txn {
  friend class env;
  write_txn(store::env& e, MDB_txn* t, std::shared_lock<std::shared_mutex> lk)
      : txn(e, t, std::move(lk)) {}

 public:
  write_txn(write_txn&&) noexcept = default;
  /// Stores `value` under `key` (replacing). Errors: map_full, io.
  [[nodiscard]] expected<bool, error> put(table t, std::string_view key,
                                          std::span<const std::uint8_t> value);
  /// Stores only when `key` is new. Errors: exists, map_full, io.
  [[nodiscard]] expected<bool, error> insert(table t, std::string_view key,
                                             std::span<const std::uint8_t> value);
  /// Removes `key`. @returns false when it did not exist.
  bool erase(table t, std::string_view key);
  /// Makes the changes durable. The transaction is finished either way.
  [[nodiscard]] expected<bool, error> commit();
};

/// Visits, in key order, every record of `tb` whose key starts with
/// `prefix` (all records for an empty prefix); `f(key, value)` returns false
/// to stop. Keys and values are valid until the transaction ends.
template <class F>
expected<bool, error> scan(const txn& t, table tb, std::string_view prefix, F&& f);
/// As `scan`, but from the first key at or after `from` (which starts with
/// `prefix`; empty: from the start of the prefix).
template <class F>
expected<bool, error> scan_from(const txn& t, table tb, std::string_view prefix,
                                std::string_view from, F&& f);

/// Maps an LMDB return code to an error with `context` in the text.
[[nodiscard]] error lmdb_error(int rc, std::string_view context);

/// 8-byte big-endian encoding (keys that sort numerically).
void put_be64(std::uint64_t v, char* out) noexcept;
[[nodiscard]] std::uint64_t get_be64(const char* in) noexcept;

template <class F>
expected<bool, error> scan(const txn& t, table tb, std::string_view prefix, F&& f) {
  return scan_from(t, tb, prefix, {}, std::forward<F>(f));
}

template <class F>
expected<bool, error> scan_from(const txn& t, table tb, std::string_view prefix,
                                std::string_view from, F&& f) {
  MDB_cursor* c = nullptr;
  if (int rc = mdb_cursor_open(t.handle(), t.environment().dbi(tb), &c); rc != 0)
    return unexpected{lmdb_error(rc, "opening a cursor")};
  auto start = from.empty() ? prefix : from;
  MDB_val k{start.size(), const_cast<char*>(start.data())};
  MDB_val v;
  int rc = mdb_cursor_get(c, &k, &v, start.empty() ? MDB_FIRST : MDB_SET_RANGE);
  while (rc == 0) {
    std::string_view key(static_cast<const char*>(k.mv_data), k.mv_size);
    if (!key.starts_with(prefix) ||
        !f(key,
           std::span<const std::uint8_t>(static_cast<const std::uint8_t*>(v.mv_data), v.mv_size)))
      break;
    rc = mdb_cursor_get(c, &k, &v, MDB_NEXT);
  }
  mdb_cursor_close(c);
  if (rc != 0 && rc != MDB_NOTFOUND)
    return unexpected{lmdb_error(rc, "scanning")};
  return true;
}

/// Decodes every record under `prefix` (then `fixup(key, record)`); the
/// first corrupt record is the error.
template <class Decode, class Fixup = void (*)(std::string_view, void*)>
auto decode_all(const txn& t, table tb, const std::string& prefix, Decode decode,
                Fixup fixup = nullptr)
    -> expected<std::vector<typename decltype(decode({}))::value_type>, error> {
  using record = typename decltype(decode({}))::value_type;
  std::vector<record> out;
  std::optional<error> bad;
  auto ok = scan(t, tb, prefix, [&](std::string_view key, auto v) {
    auto r = decode(v);
    if (!r) {
      bad = r.error();
      return false;
    }
    if constexpr (!std::is_same_v<Fixup, void (*)(std::string_view, void*)>)
      fixup(key, *r);
    out.push_back(std::move(*r));
    return true;
  });
  if (!ok)
    return unexpected{ok.error()};
  if (bad)
    return unexpected{*bad};
  return out;
}

}  // namespace iotb::store
