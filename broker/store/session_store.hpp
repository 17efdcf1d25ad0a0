#pragma once
/// @file
/// Durable sessions and QoS 1/2 queues (SPEC §7) in their own LMDB
/// environment (`<data-dir>/sessions`):
///
/// - `sessions`: session name → Session (client id, expiry, subscriptions,
///   identity), for every persistent session;
/// - `messages`: message id → StoredMessage, stored once however many
///   sessions queue it;
/// - `queue`: store_id(BE64) seq(BE64) → QueueEntry (message id, granted
///   QoS, retain flag, subscription id): one entry per delivery, removed on
///   the subscriber's PUBACK (QoS 1) or PUBCOMP (QoS 2);
/// - `retained`: topic → StoredMessage.
///
/// Writes go through one `writer` thread in grouped transactions (group
/// commit: every job queued while the previous commit was syncing joins the
/// next one). `enqueue` calls its completion only once the entries are
/// committed — and, in `durability::sync` mode, on disk — which is when the
/// broker may acknowledge the publisher.
///
/// How many queue entries reference a message is kept in memory by the
/// writer thread (rebuilt by `load`); a message is deleted when the last
/// entry goes. A crash between the two leaves an unreferenced message that
/// the next `load` removes.
///
/// Thread-safety: every member may be called from any thread. `load` must
/// be called once, before any other call.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include <flatbuffers/flatbuffers.h>

#include "broker/core/message.hpp"
#include "broker/mqtt/packet.hpp"
#include "broker/store/env.hpp"
#include "broker/store/writer.hpp"
#include "broker/util/clock.hpp"

namespace iotb::store {

/// When a commit reaches the disk.
enum class durability : std::uint8_t {
  sync,   ///< every commit is synced before anyone is acknowledged (default)
  batch,  ///< commits are synced every `batch_interval`; a crash (not a
          ///< broker restart) may lose the last interval's acknowledged messages
  none,   ///< the OS decides; only a clean shutdown syncs
};

/// Parses "sync", "batch" or "none".
[[nodiscard]] std::optional<durability> parse_durability(std::string_view s) noexcept;

struct session_store_options {
  durability mode = durability::sync;
  /// Extra gathering time between commits (0: commit as soon as the
  /// previous commit finished; jobs queued meanwhile form the next group).
  std::chrono::milliseconds window{0};
  std::chrono::milliseconds batch_interval{100};
  std::size_t map_size = std::size_t{256} << 20;
  std::size_t max_map_size = std::size_t{64} << 30;
  /// Queued QoS 1/2 messages older than this are discarded and counted.
  std::chrono::seconds retention{7 * 24 * 3600};
  /// Told each group commit's duration (metrics); may be empty.
  writer::commit_observer on_commit;
};

/// One subscription of a persistent session.
struct subscription_record {
  std::string filter;
  mqtt::subscribe_options opts;
  std::uint32_t sub_id = 0;
  bool system = false;
  bool operator==(const subscription_record&) const = default;
};

/// A persistent session as stored.
struct session_record {
  std::string name;       ///< the session manager's key
  std::string client_id;  ///< as the client sees it
  std::uint64_t store_id = 0;
  mqtt::version version = mqtt::version::v311;
  std::uint32_t expiry = 0;           ///< seconds; 0xFFFFFFFF never
  std::uint64_t disconnected_ms = 0;  ///< Unix ms; 0 = online when written
  std::uint8_t kind = 0;              ///< auth::identity::kind
  std::string product_key;
  std::string device_name;
  std::vector<subscription_record> subs;
  /// Filled by `load` (not stored): the highest queue sequence number.
  std::uint64_t last_seq = 0;
  bool operator==(const session_record&) const = default;
};

/// One delivery for a session (`page`).
struct queued {
  std::uint64_t seq = 0;
  message_ptr msg;
  mqtt::qos q = mqtt::qos::at_least_once;
  bool retain = false;
  sub_id_list sub_id;  ///< subscription identifiers
};

/// A persistent session a message must reach.
struct target {
  std::uint64_t store_id = 0;
  mqtt::qos q = mqtt::qos::at_least_once;
  bool retain = false;
  sub_id_list sub_id;  ///< subscription identifiers
};

/// What `load` found.
struct loaded_state {
  std::vector<session_record> sessions;  ///< live sessions
  std::vector<message_ptr> retained;
  std::uint64_t max_store_id = 0;
  std::size_t queued = 0;  ///< queue entries kept
  std::size_t expired_sessions = 0;
  std::size_t expired_messages = 0;  ///< past retention or message expiry
  std::size_t orphans = 0;           ///< entries or messages nothing referenced
  std::size_t corrupt = 0;           ///< records that failed verification (kept, skipped)
};

/// Encodes `m` as a StoredMessage; `received_ms` is its wall-clock arrival.
[[nodiscard]] std::vector<std::uint8_t> encode_message(const message& m, std::uint64_t received_ms);
/// The same into `b` (cleared first; its buffer is reused, so a writer
/// thread encodes without allocating). @returns the bytes, valid until `b`
/// changes.
[[nodiscard]] std::span<const std::uint8_t> encode_message(const message& m,
                                                           std::uint64_t received_ms,
                                                           flatbuffers::FlatBufferBuilder& b);
/// Decodes a StoredMessage; `received` is mapped back onto the steady clock
/// using `now_ms`/`now`. Errors: corrupt.
[[nodiscard]] expected<std::shared_ptr<message>, error> decode_message(
    std::span<const std::uint8_t> b, std::uint64_t now_ms,
    std::chrono::steady_clock::time_point now);
[[nodiscard]] std::vector<std::uint8_t> encode_session(const session_record& r);
[[nodiscard]] expected<session_record, error> decode_session(std::span<const std::uint8_t> b);

class session_store {
 public:
  /// Opens (creating) the environment in `dir`. Errors: io,
  /// format_mismatch (with the version found), corrupt.
  [[nodiscard]] static expected<std::unique_ptr<session_store>, error> open(
      const std::string& dir, const session_store_options& o);
  ~session_store();  ///< commits and syncs what is queued
  session_store(const session_store&) = delete;
  session_store& operator=(const session_store&) = delete;

  /// Reads everything back after a start: live sessions, retained
  /// messages; removes expired sessions, messages past retention and
  /// unreferenced records (one write transaction). Call once, first.
  [[nodiscard]] expected<loaded_state, error> load(std::uint64_t now_ms);

  /// Writes (replaces) a session record.
  void put_session(session_record r);
  /// Removes a session record and its whole queue.
  void erase_session(std::string name, std::uint64_t store_id);
  /// Removes a session's queue (clean start of an existing session).
  void clear_queue(std::uint64_t store_id);

  /// Called with `ok`, the targets given to `enqueue` and the sequence
  /// number of each target's entry (same order), once committed — on the
  /// writer thread: must not block. `ok == false`: nothing was stored
  /// (store full or failing) and `seqs` is empty.
  using stored_fn = std::function<void(bool ok, const std::vector<target>& targets,
                                       const std::vector<std::uint64_t>& seqs)>;
  /// Stores `m` once and one queue entry per target; when `retain_update`,
  /// also sets (or, for an empty payload, clears) the retained message of
  /// its topic, in the same transaction.
  void enqueue(const message_ptr& m, std::vector<target> targets, bool retain_update,
               stored_fn done);
  /// Sets or clears a retained message without waiting (QoS 0 publishes).
  void set_retained(const message_ptr& m);
  /// The subscriber acknowledged entry `seq` (of message `message_id`).
  void ack(std::uint64_t store_id, std::uint64_t seq, std::uint64_t message_id);

  /// Up to `max` entries of a session's queue after `after_seq`, in
  /// order. Entries past retention or message expiry (or whose message is
  /// missing) are skipped, removed, and counted in `*expired`.
  [[nodiscard]] expected<std::vector<queued>, error> page(std::uint64_t store_id,
                                                          std::uint64_t after_seq, std::size_t max,
                                                          std::size_t* expired = nullptr);

  /// Blocks until everything submitted so far is committed.
  void drain() { writer_->drain(); }

  struct stats {
    std::uint64_t enqueued = 0;  ///< queue entries written
    std::uint64_t acked = 0;
    std::uint64_t expired = 0;  ///< entries discarded (retention, expiry)
    std::uint64_t refused = 0;  ///< enqueues that failed (store full)
    writer::stats commits;
    std::size_t map_size = 0;
    std::size_t used_bytes = 0;  ///< of the map (env::used_bytes)
    std::size_t max_bytes = 0;   ///< the most it may grow to (max_map_size)
  };
  [[nodiscard]] stats snapshot() const;

  [[nodiscard]] const session_store_options& options() const noexcept { return opts_; }

 private:
  session_store() = default;
  /// Deletes the queue entries with prefix `store_id` inside `t`; their
  /// message ids are appended to `ids`.
  static expected<bool, error> erase_queue(write_txn& t, std::uint64_t store_id,
                                           std::vector<std::uint64_t>& ids);
  /// Writer thread: drops one reference of each id; messages left without
  /// one are deleted by one job for all of them (`collect`).
  void release(const std::vector<std::uint64_t>& ids);
  void collect();

  session_store_options opts_;
  std::shared_ptr<env> env_;
  std::unique_ptr<writer> writer_;
  // Writer-thread state.
  std::unordered_map<std::uint64_t, std::uint32_t> refs_;  ///< message id → entries
  std::unordered_map<std::uint64_t, std::uint64_t> seq_;   ///< store id → last seq
  std::vector<std::uint64_t> garbage_;                     ///< unreferenced messages to delete
  bool collecting_ = false;                                ///< a `collect` job is queued
  std::atomic<std::uint64_t> enqueued_{0};
  std::atomic<std::uint64_t> acked_{0};
  std::atomic<std::uint64_t> expired_{0};
  std::atomic<std::uint64_t> refused_{0};
};

}  // namespace iotb::store
