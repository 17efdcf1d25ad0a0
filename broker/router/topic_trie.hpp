#pragma once
/// @file
/// The subscription index: a trie over topic levels mapping MQTT topic
/// filters (with '+', '#' and `$share/<group>/` shared subscriptions) to
/// subscribers, and matching published topic names against it.
///
/// Thread-safety: like a standard container. Concurrent calls of the const
/// members (`match`, `size`, `node_count`) are safe: `match` only mutates the
/// atomic round-robin cursors of shared groups. Any non-const call requires
/// exclusive access (see `router`, which adds the locking).

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "broker/router/trie_detail.hpp"

namespace iotb::router {

/// Subscribers of one node (or the members of one shared group): a flat
/// vector for fast fan-out, with a key → position index built only when the
/// list grows beyond `index_threshold`, so that lookups and erasure stay
/// O(1) with 100k subscribers on one filter. Erasure swaps with the last
/// element, so the order is unspecified.
template <class Sub>
class sub_list {
 public:
  /// Entries above which the key index is maintained.
  static constexpr std::size_t index_threshold = 32;

  /// Adds `s`, or replaces the entry with the same key.
  /// @returns true if added. Complexity: O(1) amortised (O(n) for n <= 32).
  bool upsert(const Sub& s) {
    auto k = s.key();
    if (auto i = find(k); i != npos) {
      items_[i] = s;
      return false;
    }
    items_.push_back(s);
    if (index_)
      index_->emplace(k, items_.size() - 1);
    else if (items_.size() > index_threshold)
      build_index();
    return true;
  }

  /// Removes the entry of `key`. @returns true if it existed.
  /// Complexity: O(1) average (O(n) for n <= 32).
  bool erase(std::uint64_t key) {
    auto i = find(key);
    if (i == npos)
      return false;
    auto last = items_.size() - 1;
    if (i != last) {
      items_[i] = std::move(items_[last]);
      if (index_)
        (*index_)[items_[i].key()] = i;
    }
    items_.pop_back();
    if (index_) {
      index_->erase(key);
      if (items_.size() < index_threshold / 2)
        index_.reset();
    }
    if (items_.empty())
      std::vector<Sub>{}.swap(items_);
    return true;
  }

  /// The entry of `key`, or nullptr.
  [[nodiscard]] const Sub* get(std::uint64_t key) const noexcept {
    auto i = find(key);
    return i == npos ? nullptr : &items_[i];
  }

  /// Number of entries.
  [[nodiscard]] std::size_t size() const noexcept { return items_.size(); }
  /// True when there is no entry.
  [[nodiscard]] bool empty() const noexcept { return items_.empty(); }
  /// The entry at `i` (< size()).
  [[nodiscard]] const Sub& operator[](std::size_t i) const noexcept { return items_[i]; }
  /// Iteration in unspecified order.
  [[nodiscard]] auto begin() const noexcept { return items_.begin(); }
  /// Iteration in unspecified order.
  [[nodiscard]] auto end() const noexcept { return items_.end(); }

 private:
  static constexpr std::size_t npos = static_cast<std::size_t>(-1);

  [[nodiscard]] std::size_t find(std::uint64_t key) const noexcept {
    if (index_) {
      auto i = index_->find(key);
      return i == index_->end() ? npos : i->second;
    }
    for (std::size_t i = 0; i < items_.size(); ++i)
      if (items_[i].key() == key)
        return i;
    return npos;
  }

  void build_index() {
    index_ = std::make_unique<std::unordered_map<std::uint64_t, std::size_t>>();
    index_->reserve(items_.size() * 2);
    for (std::size_t i = 0; i < items_.size(); ++i)
      index_->emplace(items_[i].key(), i);
  }

  std::vector<Sub> items_;
  std::unique_ptr<std::unordered_map<std::uint64_t, std::size_t>> index_;
};

/// Maps topic filters to subscribers of type `Sub` and finds the
/// subscribers of a published topic.
///
/// Requirements on `Sub`: copyable; `std::uint64_t key() const` identifying
/// the subscriber (one subscription per key and filter, and per key, share
/// group and filter); `bool eligible() const` telling whether a shared-group
/// member may currently receive (e.g. is connected). `eligible` is called
/// during `match`, concurrently from several threads: it must be thread-safe.
///
/// Filters and topics must have been validated (UTF-8, no wildcards in topic
/// names, '#' only as the last level, share names without '/', '+', '#').
template <class Sub>
class topic_trie {
 public:
  topic_trie() = default;
  topic_trie(const topic_trie&) = delete;
  topic_trie& operator=(const topic_trie&) = delete;

  /// Takes over the content of `other`, leaving it empty.
  topic_trie(topic_trie&& other) noexcept
      : root_(std::move(other.root_)), size_(other.size_), nodes_(other.nodes_) {
    other.size_ = other.nodes_ = 0;
  }

  /// Replaces the content by that of `other`, leaving it empty.
  topic_trie& operator=(topic_trie&& other) noexcept {
    if (this != &other) {
      clear();
      root_ = std::move(other.root_);
      size_ = std::exchange(other.size_, 0);
      nodes_ = std::exchange(other.nodes_, 0);
    }
    return *this;
  }

  ~topic_trie() { detail::destroy_subtree(root_); }

  /// Adds or replaces the subscription of `s.key()` to `filter`, which may be
  /// `$share/<group>/<filter>` (MQTT 5 shared subscription).
  /// @returns true if new, false if it replaced an existing one (same key,
  ///          same filter, same share group).
  /// Complexity: O(levels) average. Not thread-safe (exclusive access).
  bool insert(std::string_view filter, const Sub& s) {
    auto pf = detail::parse_filter(filter);
    node* n = &root_;
    detail::level_cursor levels{pf.filter};
    std::string_view level;
    while (levels.next(level))
      n = &child_for_insert(*n, level);
    bool added;
    if (pf.shared) {
      group* g = n->find_group(pf.group);
      if (!g) {
        auto fresh = std::make_unique<group>(pf.group);
        fresh->next = std::move(n->groups);
        n->groups = std::move(fresh);
        g = n->groups.get();
      }
      added = g->members.upsert(s);
    } else {
      added = n->subs.upsert(s);
    }
    if (added)
      ++size_;
    return added;
  }

  /// Removes the subscription of `key` to `filter` (plain or
  /// `$share/<group>/<filter>`) and prunes nodes left empty.
  /// @returns true if it existed.
  /// Complexity: O(levels) average. Not thread-safe (exclusive access).
  bool erase(std::string_view filter, std::uint64_t key) {
    auto pf = detail::parse_filter(filter);
    struct step {
      node* parent;
      std::string_view level;
    };
    detail::small_stack<step, 16> path;
    node* n = &root_;
    detail::level_cursor levels{pf.filter};
    std::string_view level;
    while (levels.next(level)) {
      node* child = child_for_lookup(*n, level);
      if (!child)
        return false;
      path.push(step{n, level});
      n = child;
    }
    if (pf.shared) {
      std::unique_ptr<group>* link = &n->groups;
      while (*link && (*link)->name != pf.group)
        link = &(*link)->next;
      if (!*link || !(*link)->members.erase(key))
        return false;
      if ((*link)->members.empty())
        *link = std::move((*link)->next);
    } else if (!n->subs.erase(key)) {
      return false;
    }
    --size_;
    while (!path.empty() && n->empty()) {
      auto [parent, lvl] = path.pop();
      if (lvl == "+")
        parent->plus.reset();
      else if (lvl == "#")
        parent->hash.reset();
      else
        parent->children.erase(lvl);
      --nodes_;
      n = parent;
    }
    return true;
  }

  /// Calls `f(const Sub&)` once per non-shared subscription whose filter
  /// matches `topic`, and once per matching shared group (same share name and
  /// same filter) with one member chosen round-robin among the eligible
  /// members (among all members when none is eligible).
  ///
  /// MQTT rules: '+' matches exactly one level (possibly empty), '#' matches
  /// the parent level and any number of levels below, and topics starting
  /// with '$' are not matched by filters whose first level is '+' or '#'.
  /// A subscriber whose several filters match is reported once per filter.
  ///
  /// `f` must not modify this trie. Does not allocate unless more than 32
  /// '+' branches are pending at once.
  /// Thread-safe with respect to other const calls.
  /// Complexity: O(levels × matching '+' branches + results).
  template <class F>
  void match(std::string_view topic, F&& f) const {
    struct frame {
      const node* n;
      detail::level_cursor levels;
    };
    detail::small_stack<frame, 32> pending;
    // First level by hand: the '$' rule hides the root wildcards.
    detail::level_cursor levels{topic};
    std::string_view level;
    levels.next(level);
    if (!topic.starts_with('$')) {
      if (root_.hash)
        deliver(*root_.hash, f);
      if (root_.plus)
        pending.push(frame{root_.plus.get(), levels});
    }
    if (const node* c = root_.children.find(level))
      pending.push(frame{c, levels});
    while (!pending.empty()) {
      auto [n, rest] = pending.pop();
      for (;;) {
        if (n->hash)
          deliver(*n->hash, f);
        if (!rest.next(level)) {
          deliver(*n, f);
          break;
        }
        if (n->plus)
          pending.push(frame{n->plus.get(), rest});
        n = n->children.find(level);
        if (!n)
          break;
      }
    }
  }

  /// Calls `f(const std::string& filter, const Sub&)` for every
  /// subscription (shared ones with their `$share/<group>/` prefix), in no
  /// particular order. For listings (the admin API), not the message path.
  /// Complexity: O(nodes + subscriptions).
  template <class F>
  void for_each_subscription(F&& f) const {
    struct frame {
      const node* n;
      std::string filter;  // of this node; "" for the root
    };
    std::vector<frame> work{{&root_, {}}};
    while (!work.empty()) {
      auto fr = std::move(work.back());
      work.pop_back();
      const node& n = *fr.n;
      for (const auto& s : n.subs)
        f(fr.filter, s);
      for (const group* g = n.groups.get(); g; g = g->next.get()) {
        auto shared = "$share/" + g->name + "/" + fr.filter;
        for (const auto& s : g->members)
          f(shared, s);
      }
      auto child = [&](const std::string& level, const node& c) {
        work.push_back({&c, fr.n == &root_ ? level : fr.filter + "/" + level});
      };
      n.children.for_each(
          [&](std::string_view level, const node& c) { child(std::string(level), c); });
      if (n.plus)
        child("+", *n.plus);
      if (n.hash)
        child("#", *n.hash);
    }
  }

  /// Number of subscriptions (shared-group members counted individually).
  /// Complexity: O(1).
  [[nodiscard]] std::size_t size() const noexcept { return size_; }

  /// True when there is no subscription.
  [[nodiscard]] bool empty() const noexcept { return size_ == 0; }

  /// Number of trie nodes besides the root (0 when empty; for tests and
  /// memory accounting). Complexity: O(1).
  [[nodiscard]] std::size_t node_count() const noexcept { return nodes_; }

  /// Removes every subscription. Not thread-safe (exclusive access).
  void clear() {
    detail::destroy_subtree(root_);
    root_.subs = sub_list<Sub>{};
    root_.groups.reset();
    size_ = nodes_ = 0;
  }

 private:
  /// The members of one shared subscription group on one filter.
  struct group {
    explicit group(std::string_view n) : name(n) {}

    /// Chooses the next member round-robin, skipping ineligible ones; when
    /// none is eligible, plain round-robin over all. Thread-safe.
    [[nodiscard]] const Sub& pick() const noexcept {
      auto n = members.size();
      auto c = cursor.fetch_add(1, std::memory_order_relaxed);
      auto start = static_cast<std::size_t>(c % n);
      for (std::size_t step = 0; step < n; ++step) {
        auto i = start + step < n ? start + step : start + step - n;
        if (members[i].eligible()) {
          if (step > 0) {
            // Resume after the chosen member, so that ineligible members do
            // not hand their turn to the same neighbour every time.
            auto expected = c + 1;
            cursor.compare_exchange_strong(expected, c + 1 + static_cast<std::uint32_t>(step),
                                           std::memory_order_relaxed);
          }
          return members[i];
        }
      }
      return members[start];
    }

    std::string name;
    sub_list<Sub> members;
    mutable std::atomic<std::uint32_t> cursor{0};
    std::unique_ptr<group> next;  ///< the next group on the same node
  };

  /// What `match` reads on every level (level name, children, wildcard
  /// children) makes up the first 64 bytes; the subscribers follow.
  struct node {
    std::string level;  ///< this node's level name (key in the parent)
    detail::child_table<node> children;
    std::unique_ptr<node> plus;     ///< the '+' child
    std::unique_ptr<node> hash;     ///< the '#' child (a leaf)
    sub_list<Sub> subs;             ///< non-shared subscriptions ending here
    std::unique_ptr<group> groups;  ///< shared groups ending here (a list)

    node() = default;
    node(node&&) noexcept = default;
    node& operator=(node&&) noexcept = default;
    ~node() {
      while (groups)  // iteratively: a node may have many groups
        groups = std::move(groups->next);
    }

    [[nodiscard]] bool empty() const noexcept {
      return subs.empty() && !groups && children.empty() && !plus && !hash;
    }

    [[nodiscard]] group* find_group(std::string_view name) const noexcept {
      for (group* g = groups.get(); g; g = g->next.get())
        if (g->name == name)
          return g;
      return nullptr;
    }

    template <class F>
    void release_children(F&& f) {
      children.drain(f);
      f(std::move(plus));
      f(std::move(hash));
    }
  };

  node& child_for_insert(node& n, std::string_view level) {
    auto make = [this, level](std::unique_ptr<node>& p) -> node& {
      if (!p) {
        p = std::make_unique<node>();
        p->level = level;
        ++nodes_;
      }
      return *p;
    };
    if (level == "+")
      return make(n.plus);
    if (level == "#")
      return make(n.hash);
    bool created;
    auto& child = n.children.get_or_create(level, created);
    if (created)
      ++nodes_;
    return child;
  }

  [[nodiscard]] static node* child_for_lookup(const node& n, std::string_view level) noexcept {
    if (level == "+")
      return n.plus.get();
    if (level == "#")
      return n.hash.get();
    return n.children.find(level);
  }

  template <class F>
  static void deliver(const node& n, F& f) {
    for (const auto& s : n.subs)
      f(static_cast<const Sub&>(s));
    for (const group* g = n.groups.get(); g; g = g->next.get())
      f(g->pick());
  }

  node root_;
  std::size_t size_ = 0;
  std::size_t nodes_ = 0;
};

}  // namespace iotb::router
