#include "broker/store/env.hpp"

#include <cstring>
#include <filesystem>
#include <system_error>

#include "broker/log/log.hpp"

namespace iotb::store {

namespace {

constexpr char format_magic[4] = {'I', 'O', 'T', 'B'};
constexpr const char* table_names[] = {
    "meta",    "products",     "devices",    "apps",     "regnwl",   "devlog",
    "changes", "sessions",     "queue",      "messages", "retained", "admin_users",
    "audit",   "thing_models", "properties", "history",  "events",   "desired",
    "ota",     "shadows",      "configs",    "rules"};
static_assert(std::size(table_names) == static_cast<std::size_t>(table::count_));

MDB_val to_val(std::string_view s) {
  return MDB_val{s.size(), const_cast<char*>(s.data())};
}

/// Checks (or, in a new environment, writes) the format record.
expected<bool, error> check_format(MDB_txn* t, MDB_dbi meta) {
  MDB_val k = to_val("format");
  MDB_val v;
  int rc = mdb_get(t, meta, &k, &v);
  if (rc == MDB_NOTFOUND) {
    char rec[8];
    std::memcpy(rec, format_magic, 4);
    std::uint32_t ver = registry_format_version;
    std::memcpy(rec + 4, &ver, 4);
    MDB_val nv{sizeof rec, rec};
    if (int wrc = mdb_put(t, meta, &k, &nv, 0); wrc != 0)
      return unexpected{lmdb_error(wrc, "writing the format record")};
    return true;
  }
  if (rc != 0)
    return unexpected{lmdb_error(rc, "reading the format record")};
  if (v.mv_size != 8 || std::memcmp(v.mv_data, format_magic, 4) != 0)
    return unexpected{
        error{errc::format_mismatch, "the format record is not iotbroker's (wrong magic or size " +
                                         std::to_string(v.mv_size) + ")"}};
  std::uint32_t ver;
  std::memcpy(&ver, static_cast<const char*>(v.mv_data) + 4, 4);
  if (ver != registry_format_version)
    return unexpected{error{errc::format_mismatch, "format version " + std::to_string(ver) +
                                                       " but this binary reads version " +
                                                       std::to_string(registry_format_version)}};
  return true;
}

}  // namespace

const char* to_string(errc e) noexcept {
  switch (e) {
    case errc::io:
      return "io";
    case errc::format_mismatch:
      return "format_mismatch";
    case errc::not_found:
      return "not_found";
    case errc::exists:
      return "exists";
    case errc::map_full:
      return "map_full";
    case errc::corrupt:
      return "corrupt";
    case errc::limit:
      return "limit";
    case errc::invalid:
      return "invalid";
    case errc::in_use:
      return "in_use";
  }
  return "unknown";
}

error lmdb_error(int rc, std::string_view context) {
  auto code = rc == MDB_MAP_FULL   ? errc::map_full
              : rc == MDB_NOTFOUND ? errc::not_found
              : rc == MDB_KEYEXIST ? errc::exists
              : (rc == MDB_CORRUPTED || rc == MDB_INVALID || rc == MDB_VERSION_MISMATCH)
                  ? errc::corrupt
                  : errc::io;
  std::string what(context);
  what += ": ";
  what += mdb_strerror(rc);
  return error{code, std::move(what)};
}

void put_be64(std::uint64_t v, char* out) noexcept {
  for (int i = 7; i >= 0; --i) {
    out[i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
}

std::uint64_t get_be64(const char* in) noexcept {
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i)
    v = (v << 8) | static_cast<unsigned char>(in[i]);
  return v;
}

expected<std::shared_ptr<env>, error> env::open(const std::string& dir, const env_options& opts) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec)
    return unexpected{error{errc::io, "cannot create " + dir + ": " + ec.message()}};
  std::shared_ptr<env> e(new env);
  e->dir_ = dir;
  e->opts_ = opts;
  e->map_size_ = opts.map_size;
  if (int rc = mdb_env_create(&e->env_); rc != 0)
    return unexpected{lmdb_error(rc, "mdb_env_create")};
  mdb_env_set_maxdbs(e->env_, 32);
  mdb_env_set_maxreaders(e->env_, 1024);
  mdb_env_set_mapsize(e->env_, opts.map_size);
  unsigned flags = MDB_NOTLS | (opts.sync ? 0u : MDB_NOSYNC);
  if (int rc = mdb_env_open(e->env_, dir.c_str(), flags, 0640); rc != 0)
    return unexpected{lmdb_error(rc, "opening the data directory " + dir)};
  MDB_txn* t = nullptr;
  if (int rc = mdb_txn_begin(e->env_, nullptr, 0, &t); rc != 0)
    return unexpected{lmdb_error(rc, "opening " + dir)};
  for (int i = 0; i < static_cast<int>(table::count_); ++i) {
    if (int rc = mdb_dbi_open(t, table_names[i], MDB_CREATE, &e->dbis_[i]); rc != 0) {
      mdb_txn_abort(t);
      return unexpected{lmdb_error(rc, std::string("opening table ") + table_names[i])};
    }
  }
  auto ok = check_format(t, e->dbis_[0]);
  if (!ok) {
    mdb_txn_abort(t);
    return unexpected{error{ok.error().code, dir + ": " + ok.error().what}};
  }
  if (int rc = mdb_txn_commit(t); rc != 0)
    return unexpected{lmdb_error(rc, "initialising " + dir)};
  return e;
}

env::~env() {
  if (env_)
    mdb_env_close(env_);
}

expected<read_txn, error> env::read() {
  std::shared_lock lk(resize_mu_);
  MDB_txn* t = nullptr;
  int rc = mdb_txn_begin(env_, nullptr, MDB_RDONLY, &t);
  if (rc == MDB_MAP_RESIZED) {  // another process grew the map
    mdb_env_set_mapsize(env_, 0);
    rc = mdb_txn_begin(env_, nullptr, MDB_RDONLY, &t);
  }
  if (rc != 0)
    return unexpected{lmdb_error(rc, "beginning a read transaction")};
  return read_txn(*this, t, std::move(lk));
}

expected<write_txn, error> env::write() {
  std::shared_lock lk(resize_mu_);
  MDB_txn* t = nullptr;
  int rc = mdb_txn_begin(env_, nullptr, 0, &t);
  if (rc == MDB_MAP_RESIZED) {
    mdb_env_set_mapsize(env_, 0);
    rc = mdb_txn_begin(env_, nullptr, 0, &t);
  }
  if (rc != 0)
    return unexpected{lmdb_error(rc, "beginning a write transaction")};
  return write_txn(*this, t, std::move(lk));
}

void env::route_writes(write_path path, queue_path queue) {
  std::unique_lock lk(route_mu_);
  write_path_ = std::move(path);
  queue_path_ = std::move(queue);
}

void env::settle() {
  std::shared_lock lk(route_mu_);
  if (write_path_)
    (void)write_path_([](write_txn&) -> expected<bool, error> { return true; });
}

void env::enqueue(change_job job) {
  {
    std::shared_lock lk(route_mu_);
    if (queue_path_)
      return queue_path_(std::move(job));
  }
  if (auto ok = transact(job); !ok)
    IOTB_LOG_LIMITED(warn, "store") << "a queued change failed: " << ok.error().what;
}

expected<bool, error> env::transact(const change_job& job) {
  {
    std::shared_lock lk(route_mu_);
    if (write_path_)
      return write_path_(job);
  }
  for (;;) {
    auto r = [&]() -> expected<bool, error> {
      auto t = write();
      if (!t)
        return unexpected{t.error()};
      auto done = job(*t);
      if (!done)
        return done;
      return t->commit();
    }();  // the transaction has ended here (grow() waits for that)
    if (!r && r.error().code == errc::map_full && grow())
      continue;
    if (!r)
      return r;
    break;
  }
  if (nosync())
    return sync();
  return true;
}

std::size_t env::used_bytes() const noexcept {
  MDB_envinfo info{};
  MDB_stat st{};
  if (mdb_env_info(env_, &info) != 0 || mdb_env_stat(env_, &st) != 0)
    return 0;
  return (static_cast<std::size_t>(info.me_last_pgno) + 1) * st.ms_psize;
}

expected<bool, error> env::sync() {
  if (int rc = mdb_env_sync(env_, 1); rc != 0)
    return unexpected{lmdb_error(rc, "syncing " + dir_)};
  return true;
}

expected<bool, error> env::grow() {
  if (opts_.max_map_size == 0)
    return unexpected{error{errc::limit, "the store " + dir_ + " is full (its map may not grow)"}};
  std::unique_lock lk(resize_mu_);
  MDB_envinfo info;
  mdb_env_info(env_, &info);
  std::size_t cur = info.me_mapsize;
  if (opts_.max_map_size == 0 || cur >= opts_.max_map_size)
    return unexpected{error{errc::limit, "the store " + dir_ + " is full (" +
                                             std::to_string(cur >> 20) + " MiB, the maximum)"}};
  std::size_t next = std::min(cur * 2, opts_.max_map_size);
  if (int rc = mdb_env_set_mapsize(env_, next); rc != 0)
    return unexpected{lmdb_error(rc, "growing the map of " + dir_)};
  map_size_ = next;
  return true;
}

txn::txn(txn&& other) noexcept : env_(other.env_), txn_(other.txn_), lk_(std::move(other.lk_)) {
  other.txn_ = nullptr;
}

txn::~txn() {
  if (txn_)
    mdb_txn_abort(txn_);
}

std::optional<std::span<const std::uint8_t>> txn::get(table t, std::string_view key) const {
  MDB_val k = to_val(key);
  MDB_val v;
  if (mdb_get(txn_, env_->dbi(t), &k, &v) != 0)
    return std::nullopt;
  return std::span<const std::uint8_t>(static_cast<const std::uint8_t*>(v.mv_data), v.mv_size);
}

expected<bool, error> write_txn::put(table t, std::string_view key,
                                     std::span<const std::uint8_t> value) {
  MDB_val k = to_val(key);
  MDB_val v{value.size(), const_cast<std::uint8_t*>(value.data())};
  if (int rc = mdb_put(txn_, env_->dbi(t), &k, &v, 0); rc != 0)
    return unexpected{lmdb_error(rc, "writing a record")};
  return true;
}

expected<bool, error> write_txn::insert(table t, std::string_view key,
                                        std::span<const std::uint8_t> value) {
  MDB_val k = to_val(key);
  MDB_val v{value.size(), const_cast<std::uint8_t*>(value.data())};
  if (int rc = mdb_put(txn_, env_->dbi(t), &k, &v, MDB_NOOVERWRITE); rc != 0)
    return unexpected{lmdb_error(rc, "inserting a record")};
  return true;
}

bool write_txn::erase(table t, std::string_view key) {
  MDB_val k = to_val(key);
  return mdb_del(txn_, env_->dbi(t), &k, nullptr) == 0;
}

expected<bool, error> write_txn::commit() {
  int rc = mdb_txn_commit(txn_);
  txn_ = nullptr;
  if (lk_.owns_lock())
    lk_.unlock();
  if (rc != 0)
    return unexpected{lmdb_error(rc, "committing")};
  return true;
}

}  // namespace iotb::store
