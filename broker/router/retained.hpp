#pragma once
/// @file
/// The retained-message store: one message per topic name, in a trie over
/// topic levels, found by topic filter when a client subscribes.
///
/// Thread-safety: every member may be called from any thread; an internal
/// `std::shared_mutex` serialises writers and lets lookups run in parallel
/// (retained publishes and subscriptions are rare next to plain publishes,
/// so a simple lock suffices). `match` copies the matching messages under the lock and
/// calls the callback after releasing it, so the callback may use the store.

#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "broker/router/trie_detail.hpp"

namespace iotb::router {

/// Retained messages by topic name. `Msg` must be copyable and cheap to copy
/// (e.g. `std::shared_ptr<const message>`). Not copyable, not movable.
template <class Msg>
class retained_store {
 public:
  retained_store() = default;
  retained_store(const retained_store&) = delete;
  retained_store& operator=(const retained_store&) = delete;
  ~retained_store() { detail::destroy_subtree(root_); }

  /// Stores `m` as the retained message of `topic` (a validated topic name,
  /// without wildcards), replacing any previous one.
  /// Thread-safe (exclusive lock). Complexity: O(levels) average.
  void set(std::string_view topic, Msg m) {
    std::unique_lock guard{mutex_};
    node* n = &root_;
    detail::level_cursor levels{topic};
    std::string_view level;
    while (levels.next(level)) {
      bool created;
      n = &n->children.get_or_create(level, created);
      if (created)
        ++nodes_;
    }
    if (!n->value)
      ++size_;
    n->value = std::move(m);
  }

  /// Removes the retained message of `topic` and prunes nodes left empty.
  /// @returns true if there was one.
  /// Thread-safe (exclusive lock). Complexity: O(levels) average.
  bool erase(std::string_view topic) {
    std::unique_lock guard{mutex_};
    struct step {
      node* parent;
      std::string_view level;
    };
    detail::small_stack<step, 16> path;
    node* n = &root_;
    detail::level_cursor levels{topic};
    std::string_view level;
    while (levels.next(level)) {
      node* child = n->children.find(level);
      if (!child)
        return false;
      path.push(step{n, level});
      n = child;
    }
    if (!n->value)
      return false;
    n->value.reset();
    --size_;
    while (!path.empty() && n->empty()) {
      auto [parent, lvl] = path.pop();
      parent->children.erase(lvl);
      --nodes_;
      n = parent;
    }
    return true;
  }

  /// Calls `f(const Msg&)` for every retained message whose topic matches
  /// `filter` ('+', '#', and topics starting with '$' hidden from filters
  /// whose first level is a wildcard). `filter` must not be a `$share/`
  /// filter (retained messages are not sent for shared subscriptions).
  /// The matches are collected under a shared lock and `f` is called after
  /// it is released: `f` may call `set`/`erase` (e.g. to drop an expired
  /// message). The order is unspecified.
  /// Thread-safe. Complexity: O(visited nodes); allocates the result list.
  template <class F>
  void match(std::string_view filter, F&& f) const {
    std::vector<Msg> found;
    {
      std::shared_lock guard{mutex_};
      collect(filter, found);
    }
    for (const auto& m : found)
      f(static_cast<const Msg&>(m));
  }

  /// Number of retained messages. Thread-safe. Complexity: O(1).
  [[nodiscard]] std::size_t size() const {
    std::shared_lock guard{mutex_};
    return size_;
  }

  /// Number of trie nodes besides the root (tests, memory accounting).
  /// Thread-safe. Complexity: O(1).
  [[nodiscard]] std::size_t node_count() const {
    std::shared_lock guard{mutex_};
    return nodes_;
  }

 private:
  struct node {
    std::string level;  ///< this node's level name (key in the parent)
    detail::child_table<node> children;
    std::optional<Msg> value;

    [[nodiscard]] bool empty() const noexcept { return !value && children.empty(); }

    template <class F>
    void release_children(F&& f) {
      children.drain(f);
    }
  };

  /// True when `level` must be hidden from a first-level wildcard.
  [[nodiscard]] static bool hidden(const node* parent, const node& root,
                                   std::string_view level) noexcept {
    return parent == &root && level.starts_with('$');
  }

  /// Appends the messages of `from` and all its descendants to `out`.
  void collect_subtree(const node& from, std::vector<Msg>& out) const {
    std::vector<const node*> work{&from};
    while (!work.empty()) {
      const node* n = work.back();
      work.pop_back();
      if (n->value)
        out.push_back(*n->value);
      n->children.for_each([&](std::string_view level, const node& child) {
        if (!hidden(n, root_, level))
          work.push_back(&child);
      });
    }
  }

  void collect(std::string_view filter, std::vector<Msg>& out) const {
    struct frame {
      const node* n;
      detail::level_cursor levels;
    };
    std::vector<frame> work{frame{&root_, detail::level_cursor{filter}}};
    while (!work.empty()) {
      const node* n = work.back().n;
      auto rest = work.back().levels;  // not a structured binding: captured below
      work.pop_back();
      std::string_view level;
      if (!rest.next(level)) {
        if (n->value)
          out.push_back(*n->value);
      } else if (level == "#") {
        collect_subtree(*n, out);  // '#' also matches the parent level
      } else if (level == "+") {
        n->children.for_each([&](std::string_view name, const node& child) {
          if (!hidden(n, root_, name))
            work.push_back(frame{&child, rest});
        });
      } else if (const node* child = n->children.find(level)) {
        work.push_back(frame{child, rest});
      }
    }
  }

  mutable std::shared_mutex mutex_;
  node root_;
  std::size_t size_ = 0;
  std::size_t nodes_ = 0;
};

}  // namespace iotb::router
