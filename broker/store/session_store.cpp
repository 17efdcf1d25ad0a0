#include "broker/store/session_store.hpp"

#include <unordered_set>

#include "broker/log/log.hpp"
#include "broker/store/verified.hpp"
#include "broker/util/clock.hpp"
#include "schemas/sessions_generated.h"

namespace iotb::store {

namespace fb = flatbuffers;
namespace s = iotb::schema;

namespace {

sub_id_list sub_ids_of(const s::QueueEntry& q) {
  sub_id_list ids{q.sub_id()};
  if (const auto* more = q.more_sub_ids())
    for (auto id : *more)
      ids.add(id);
  return ids;
}

/// A queue entry's key: store id, then seq, big-endian (entries sort by
/// session, then seq). On the stack: as a std::string (16 bytes, one past
/// the short-string buffer) it cost an allocation per enqueue and per ack.
class queue_key {
 public:
  queue_key(std::uint64_t store_id, std::uint64_t seq) noexcept {
    put_be64(store_id, b_);
    put_be64(seq, b_ + 8);
  }
  operator std::string_view() const noexcept { return {b_, sizeof b_}; }  // NOLINT: a key is a view
  [[nodiscard]] char* data() noexcept { return b_; }
  [[nodiscard]] static constexpr std::size_t size() noexcept { return sizeof(b_); }

 private:
  char b_[16];
};

std::string id_key(std::uint64_t id) {
  std::string k(8, '\0');
  put_be64(id, k.data());
  return k;
}

std::span<const std::uint8_t> as_span(const MDB_val& v) {
  return {static_cast<const std::uint8_t*>(v.mv_data), v.mv_size};
}

std::uint64_t expiry_deadline_ms(const s::StoredMessage& m) {
  return m.has_expiry() ? m.received_ms() + std::uint64_t{m.expiry_interval()} * 1000 : 0;
}

}  // namespace

std::optional<durability> parse_durability(std::string_view v) noexcept {
  if (v == "sync")
    return durability::sync;
  if (v == "batch")
    return durability::batch;
  if (v == "none")
    return durability::none;
  return std::nullopt;
}

expected<std::unique_ptr<session_store>, error> session_store::open(
    const std::string& dir, const session_store_options& o) {
  env_options eo;
  eo.map_size = o.map_size;
  eo.max_map_size = std::max(o.max_map_size, o.map_size);
  eo.sync = o.mode == durability::sync;
  auto e = env::open(dir, eo);
  if (!e)
    return unexpected{e.error()};
  std::unique_ptr<session_store> st(new session_store);
  st->opts_ = o;
  st->env_ = std::move(*e);
  auto interval = o.mode == durability::batch ? o.batch_interval : std::chrono::milliseconds{0};
  st->writer_ = std::make_unique<writer>(st->env_, 1000, o.window, interval, o.on_commit);
  return st;
}

session_store::~session_store() {
  // Stop the thread first: its completions use writer_ (collect), so the
  // pointer must stay valid until the thread has ended.
  writer_->stop();
}

expected<loaded_state, error> session_store::load(std::uint64_t now_ms) {
  loaded_state out;
  const auto retention_ms = static_cast<std::uint64_t>(opts_.retention.count()) * 1000;
  std::unordered_map<std::uint64_t, std::uint32_t> refs;
  std::unordered_map<std::uint64_t, std::uint64_t> seqs;
  std::vector<std::string> dead_sessions, dead_entries, dead_messages;
  std::unordered_set<std::uint64_t> live_ids, expired_ids, referenced;
  {
    auto t = env_->read();
    if (!t)
      return unexpected{t.error()};
    auto ok = scan(*t, table::sessions, "", [&](std::string_view key, auto v) {
      auto r = decode_session(v);
      if (!r) {
        ++out.corrupt;
        IOTB_LOG(error, "store") << "a session record (" << key.size()
                                 << "-byte key) is corrupt and was skipped: " << r.error().what;
        return true;
      }
      out.max_store_id = std::max(out.max_store_id, r->store_id);
      // Expiry 0 (a durable session resumed with expiry 0) ends with its
      // connection, which the restart ended.
      bool expired =
          r->expiry == 0 || (r->expiry != mqtt::session_expiry_never && r->disconnected_ms != 0 &&
                             r->disconnected_ms + std::uint64_t{r->expiry} * 1000 <= now_ms);
      if (expired) {
        ++out.expired_sessions;
        dead_sessions.emplace_back(key);
        return true;
      }
      r->name.assign(key);
      live_ids.insert(r->store_id);
      out.sessions.push_back(std::move(*r));
      return true;
    });
    if (!ok)
      return unexpected{ok.error()};
    // Messages: which are past retention or their own expiry.
    ok = scan(*t, table::messages, "", [&](std::string_view key, auto v) {
      auto m = verified<s::StoredMessage>(v, 1);
      if (!m || key.size() != 8) {
        ++out.corrupt;
        IOTB_LOG(error, "store") << "a stored message is corrupt and was removed";
        dead_messages.emplace_back(key);
        expired_ids.insert(key.size() == 8 ? get_be64(key.data()) : 0);
        return true;
      }
      auto deadline = expiry_deadline_ms(*m);
      if (m->received_ms() + retention_ms <= now_ms || (deadline != 0 && deadline <= now_ms))
        expired_ids.insert(m->id());
      return true;
    });
    if (!ok)
      return unexpected{ok.error()};
    ok = scan(*t, table::queue, "", [&](std::string_view key, auto v) {
      auto q = verified<s::QueueEntry>(v);
      std::uint64_t sid = key.size() == 16 ? get_be64(key.data()) : 0;
      if (!q || key.size() != 16) {
        ++out.corrupt;
        IOTB_LOG(error, "store") << "a queue entry is corrupt and was removed";
        dead_entries.emplace_back(key);
        return true;
      }
      referenced.insert(q->message_id());
      if (!live_ids.contains(sid)) {
        ++out.orphans;
        dead_entries.emplace_back(key);
        return true;
      }
      if (expired_ids.contains(q->message_id())) {
        ++out.expired_messages;
        dead_entries.emplace_back(key);
        return true;
      }
      ++refs[q->message_id()];
      auto& last = seqs[sid];
      last = std::max(last, get_be64(key.data() + 8));
      ++out.queued;
      return true;
    });
    if (!ok)
      return unexpected{ok.error()};
    ok = scan(*t, table::messages, "", [&](std::string_view key, auto) {
      if (key.size() == 8 && !refs.contains(get_be64(key.data()))) {
        if (!referenced.contains(get_be64(key.data())))
          ++out.orphans;  // no entry at all (a crash between ack and delete)
        dead_messages.emplace_back(key);
      }
      return true;
    });
    if (!ok)
      return unexpected{ok.error()};
    auto now = clock::now();
    ok = scan(*t, table::retained, "", [&](std::string_view key, auto v) {
      auto m = decode_message(v, now_ms, now);
      if (!m) {
        ++out.corrupt;
        IOTB_LOG(error, "store") << "a retained message is corrupt and was skipped";
        return true;
      }
      out.retained.push_back(std::move(*m));
      return true;
    });
    if (!ok)
      return unexpected{ok.error()};
  }
  // Expired sessions lose their queue too.
  std::vector<std::uint64_t> dead_ids;
  if (!dead_sessions.empty() || !dead_entries.empty() || !dead_messages.empty()) {
    auto t = env_->write();
    if (!t)
      return unexpected{t.error()};
    for (auto& k : dead_sessions)
      t->erase(table::sessions, k);
    for (auto& k : dead_entries)
      t->erase(table::queue, k);
    for (auto& k : dead_messages)
      t->erase(table::messages, k);
    if (auto ok = t->commit(); !ok)
      return unexpected{ok.error()};
  }
  for (auto& r : out.sessions)
    if (auto it = seqs.find(r.store_id); it != seqs.end())
      r.last_seq = it->second;
  refs_ = std::move(refs);
  seq_ = std::move(seqs);
  return out;
}

void session_store::put_session(session_record r) {
  writer_->submit([r = std::move(r)](write_txn& t) {
    auto bytes = encode_session(r);
    return t.put(table::sessions, r.name, bytes);
  });
}

expected<bool, error> session_store::erase_queue(write_txn& t, std::uint64_t store_id,
                                                 std::vector<std::uint64_t>& ids) {
  std::string prefix(8, '\0');
  put_be64(store_id, prefix.data());
  std::vector<std::string> keys;
  auto ok = scan(t, table::queue, prefix, [&](std::string_view key, auto v) {
    if (auto q = verified<s::QueueEntry>(v))
      ids.push_back(q->message_id());
    keys.emplace_back(key);
    return true;
  });
  if (!ok)
    return ok;
  for (auto& k : keys)
    t.erase(table::queue, k);
  return true;
}

void session_store::release(const std::vector<std::uint64_t>& ids) {
  for (auto id : ids) {
    auto it = refs_.find(id);
    if (it == refs_.end())
      continue;
    if (--it->second == 0) {
      refs_.erase(it);
      garbage_.push_back(id);
    }
  }
  if (!collecting_ && !garbage_.empty())
    collect();
}

void session_store::collect() {
  // One job deletes every message that lost its last reference since the
  // previous one; ids released meanwhile wait for the next job.
  collecting_ = true;
  auto n = std::make_shared<std::size_t>(0);
  writer_->submit(
      [this, n](write_txn& t) -> expected<bool, error> {
        *n = garbage_.size();
        for (std::size_t i = 0; i < *n; ++i)
          t.erase(table::messages, id_key(garbage_[i]));
        return true;
      },
      [this, n](bool ok) {
        if (ok)
          garbage_.erase(garbage_.begin(), garbage_.begin() + static_cast<long>(*n));
        collecting_ = false;
        if (!garbage_.empty())
          collect();
      });
}

void session_store::erase_session(std::string name, std::uint64_t store_id) {
  auto ids = std::make_shared<std::vector<std::uint64_t>>();
  writer_->submit(
      [this, name = std::move(name), store_id, ids](write_txn& t) -> expected<bool, error> {
        ids->clear();
        t.erase(table::sessions, name);
        seq_.erase(store_id);
        return erase_queue(t, store_id, *ids);
      },
      [this, ids](bool ok) {
        if (ok)
          release(*ids);
      });
}

void session_store::clear_queue(std::uint64_t store_id) {
  auto ids = std::make_shared<std::vector<std::uint64_t>>();
  writer_->submit(
      [store_id, ids](write_txn& t) -> expected<bool, error> {
        ids->clear();
        return erase_queue(t, store_id, *ids);
      },
      [this, ids](bool ok) {
        if (ok)
          release(*ids);
      });
}

void session_store::enqueue(const message_ptr& m, std::vector<target> targets, bool retain_update,
                            stored_fn done) {
  auto received_ms =
      clock::wall_ms() -
      static_cast<std::uint64_t>(
          std::chrono::duration_cast<std::chrono::milliseconds>(clock::now() - m->received)
              .count());
  struct state {
    message_ptr m;
    std::vector<target> targets;
    std::vector<std::uint64_t> seqs;
    std::uint64_t received_ms;
    bool retain_update;
    stored_fn done;
  };
  auto st = std::make_shared<state>(
      state{m, std::move(targets), {}, received_ms, retain_update, std::move(done)});
  writer_->submit(
      [this, st](write_txn& t) -> expected<bool, error> {
        // Jobs run on the writer thread: its builders are reused, so a
        // message and its queue entries are encoded without allocating.
        thread_local flatbuffers::FlatBufferBuilder mb(1024);
        thread_local flatbuffers::FlatBufferBuilder b(64);
        auto bytes = encode_message(*st->m, st->received_ms, mb);
        st->seqs.clear();
        if (!st->targets.empty()) {
          if (auto ok = t.put(table::messages, id_key(st->m->id), bytes); !ok)
            return ok;
          for (auto& tg : st->targets) {
            // Sequence numbers only grow; a retried group leaves a gap.
            auto seq = ++seq_[tg.store_id];
            b.Clear();
            flatbuffers::Offset<flatbuffers::Vector<std::uint32_t>> more;
            if (tg.sub_id.size() > 1)
              more = b.CreateVector(tg.sub_id.data() + 1, tg.sub_id.size() - 1);
            b.Finish(s::CreateQueueEntry(b, st->m->id, static_cast<std::uint8_t>(tg.q), tg.retain,
                                         tg.sub_id.front(), more));
            std::span<const std::uint8_t> v(b.GetBufferPointer(), b.GetSize());
            if (auto ok = t.put(table::queue, queue_key(tg.store_id, seq), v); !ok)
              return ok;
            st->seqs.push_back(seq);
          }
        }
        if (st->retain_update) {
          if (st->m->payload.empty())
            t.erase(table::retained, st->m->topic);
          else if (auto ok = t.put(table::retained, st->m->topic, bytes); !ok)
            return ok;
        }
        return true;
      },
      [this, st](bool ok) {
        if (ok) {
          if (!st->targets.empty())
            refs_[st->m->id] += static_cast<std::uint32_t>(st->targets.size());
          enqueued_.fetch_add(st->targets.size(), std::memory_order_relaxed);
        } else {
          refused_.fetch_add(1, std::memory_order_relaxed);
          st->seqs.clear();
        }
        if (st->done)
          st->done(ok, st->targets, st->seqs);
      });
}

void session_store::set_retained(const message_ptr& m) {
  auto received_ms = clock::wall_ms();
  writer_->submit([m, received_ms](write_txn& t) -> expected<bool, error> {
    if (m->payload.empty()) {
      t.erase(table::retained, m->topic);
      return true;
    }
    return t.put(table::retained, m->topic, encode_message(*m, received_ms));
  });
}

void session_store::ack(std::uint64_t store_id, std::uint64_t seq, std::uint64_t message_id) {
  auto erased = std::make_shared<bool>(false);
  writer_->submit(
      [store_id, seq, erased](write_txn& t) -> expected<bool, error> {
        *erased = t.erase(table::queue, queue_key(store_id, seq));
        return true;
      },
      [this, erased, message_id](bool ok) {
        if (ok && *erased) {
          acked_.fetch_add(1, std::memory_order_relaxed);
          release({message_id});
        }
      });
}

expected<std::vector<queued>, error> session_store::page(std::uint64_t store_id,
                                                         std::uint64_t after_seq, std::size_t max,
                                                         std::size_t* expired) {
  std::vector<queued> out;
  std::vector<std::pair<std::uint64_t, std::uint64_t>> dead;  // seq, message id
  const auto now_ms = clock::wall_ms();
  const auto now = clock::now();
  const auto retention_ms = static_cast<std::uint64_t>(opts_.retention.count()) * 1000;
  {
    auto t = env_->read();
    if (!t)
      return unexpected{t.error()};
    std::string prefix(8, '\0');
    put_be64(store_id, prefix.data());
    auto start = queue_key(store_id, after_seq + 1);
    MDB_cursor* c = nullptr;
    if (int rc = mdb_cursor_open(t->handle(), env_->dbi(table::queue), &c); rc != 0)
      return unexpected{lmdb_error(rc, "opening a cursor")};
    MDB_val k{start.size(), start.data()};
    MDB_val v;
    std::unordered_map<std::uint64_t, message_ptr> cache;
    int rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
    while (rc == 0 && out.size() < max) {
      std::string_view key(static_cast<const char*>(k.mv_data), k.mv_size);
      if (key.size() != 16 || !key.starts_with(prefix))
        break;
      auto seq = get_be64(key.data() + 8);
      auto q = verified<s::QueueEntry>(as_span(v));
      if (!q || q->qos() > 2) {
        IOTB_LOG(error, "store") << "a queue entry is corrupt and was dropped";
        dead.emplace_back(seq, 0);
      } else {
        message_ptr m;
        if (auto it = cache.find(q->message_id()); it != cache.end()) {
          m = it->second;
        } else if (auto raw = t->get(table::messages, id_key(q->message_id()))) {
          auto d = decode_message(*raw, now_ms, now);
          if (d)
            m = std::move(*d);
          cache.emplace(q->message_id(), m);
        }
        bool gone = !m;
        if (m) {
          auto age_ms = static_cast<std::uint64_t>(
              std::chrono::duration_cast<std::chrono::milliseconds>(now - m->received).count());
          auto left = m->remaining_expiry(now);
          gone = age_ms >= retention_ms || (left && *left == 0);
        }
        if (gone)
          dead.emplace_back(seq, q->message_id());
        else
          out.push_back(queued{seq, std::move(m), static_cast<mqtt::qos>(q->qos()), q->retain(),
                               sub_ids_of(*q)});
      }
      rc = mdb_cursor_get(c, &k, &v, MDB_NEXT);
    }
    mdb_cursor_close(c);
    if (rc != 0 && rc != MDB_NOTFOUND)
      return unexpected{lmdb_error(rc, "reading a queue")};
  }
  for (auto& [seq, id] : dead)
    ack(store_id, seq, id);
  expired_.fetch_add(dead.size(), std::memory_order_relaxed);
  if (expired)
    *expired = dead.size();
  return out;
}

session_store::stats session_store::snapshot() const {
  stats s;
  s.enqueued = enqueued_.load(std::memory_order_relaxed);
  s.acked = acked_.load(std::memory_order_relaxed);
  s.expired = expired_.load(std::memory_order_relaxed);
  s.refused = refused_.load(std::memory_order_relaxed);
  s.commits = writer_->snapshot();
  s.map_size = env_->map_size();
  s.used_bytes = env_->used_bytes();
  s.max_bytes = std::max(opts_.max_map_size, s.map_size);
  return s;
}

}  // namespace iotb::store
