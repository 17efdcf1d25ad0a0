#pragma once
/// @file
/// The broker-wide subscription router: a `topic_trie` guarded by a
/// big-reader lock (`brlock`).
///
/// Concurrency contract:
/// - `match`, `size` and `node_count` take the read side: any number of
///   threads run them in parallel, each touching only its own lock shard.
/// - `insert`, `erase` and `clear` take the write side: they wait for the
///   readers in progress, exclude everyone, and are serialised.
/// - The callback of `match` runs under the read lock. It must be short and
///   must not call back into the router (no `insert`/`erase`, and no nested
///   `match`: the read lock is not recursive and prefers writers, so
///   re-entering may deadlock once a writer waits). Send messages, don't
///   subscribe, from inside it.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <utility>

#include "broker/router/brlock.hpp"
#include "broker/router/topic_trie.hpp"

namespace iotb::router {

/// Thread-safe subscription index. See the file comment for the
/// concurrency contract and `topic_trie` for the requirements on `Sub` and
/// the matching rules. Not copyable, not movable.
template <class Sub>
class router {
 public:
  /// Creates an empty router with `brlock::default_shards()` reader shards.
  router() : lock_() {}

  /// Creates an empty router whose lock has `shards` reader shards.
  explicit router(std::size_t shards) : lock_(shards) {}

  router(const router&) = delete;
  router& operator=(const router&) = delete;

  /// Adds or replaces the subscription of `s.key()` to `filter` (possibly
  /// `$share/<group>/<filter>`).
  /// @returns true if new, false if it replaced an existing subscription.
  /// Thread-safe (write side). Complexity: O(levels + shards).
  bool insert(std::string_view filter, const Sub& s) {
    brlock::write_guard guard{lock_};
    return trie_.insert(filter, s);
  }

  /// Removes the subscription of `key` to `filter`.
  /// @returns true if it existed.
  /// Thread-safe (write side). Complexity: O(levels + shards).
  bool erase(std::string_view filter, std::uint64_t key) {
    brlock::write_guard guard{lock_};
    return trie_.erase(filter, key);
  }

  /// Removes every subscription.
  /// Thread-safe (write side).
  void clear() {
    brlock::write_guard guard{lock_};
    trie_.clear();
  }

  /// Calls `f(const Sub&)` for every subscription matching `topic`, as
  /// `topic_trie::match`, under the read lock (see the file comment for
  /// what `f` may do).
  /// Thread-safe (read side). Complexity: as `topic_trie::match`.
  template <class F>
  void match(std::string_view topic, F&& f) const {
    brlock::read_guard guard{lock_};
    trie_.match(topic, std::forward<F>(f));
  }

  /// Calls `f(const std::string& filter, const Sub&)` for every
  /// subscription, under the read lock (for listings; `f` must be short and
  /// must not call back into the router).
  template <class F>
  void for_each_subscription(F&& f) const {
    brlock::read_guard guard{lock_};
    trie_.for_each_subscription(std::forward<F>(f));
  }

  /// Number of subscriptions (shared-group members counted individually).
  /// Thread-safe (read side).
  [[nodiscard]] std::size_t size() const {
    brlock::read_guard guard{lock_};
    return trie_.size();
  }

  /// Number of trie nodes besides the root (tests, memory accounting).
  /// Thread-safe (read side).
  [[nodiscard]] std::size_t node_count() const {
    brlock::read_guard guard{lock_};
    return trie_.node_count();
  }

 private:
  mutable brlock lock_;
  topic_trie<Sub> trie_;
};

}  // namespace iotb::router
