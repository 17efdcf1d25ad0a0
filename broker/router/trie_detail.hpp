#pragma once
/// @file
/// Building blocks shared by `topic_trie` and `retained_store`: splitting a
/// topic into levels without allocating, the children table of a trie node,
/// a small stack with inline storage, and the `$share/<group>/<filter>`
/// parser. Internal: not part of the public API.
///
/// Thread-safety: none of these types is synchronised; the owning container
/// provides the locking.

#include <cstddef>
#include <memory>
#include <new>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

namespace iotb::router::detail {

/// Iterates the '/'-separated levels of a topic name or filter as views into
/// the original string. Empty levels are reported ("a//b" yields "a", "", "b";
/// "/a" yields "", "a"; "a/" yields "a", ""); the empty string has one empty
/// level. Complexity: O(length) over all calls.
class level_cursor {
 public:
  /// Starts before the first level of `s` (which must outlive the cursor).
  explicit level_cursor(std::string_view s) noexcept : rest_(s) {}

  /// Stores the next level in `level`.
  /// @returns false (leaving `level` untouched) when all levels were consumed.
  bool next(std::string_view& level) noexcept {
    if (done_)
      return false;
    auto slash = rest_.find('/');
    if (slash == std::string_view::npos) {
      level = rest_;
      done_ = true;
    } else {
      level = rest_.substr(0, slash);
      rest_.remove_prefix(slash + 1);
    }
    return true;
  }

  /// True when `next` would return false.
  [[nodiscard]] bool done() const noexcept { return done_; }

 private:
  std::string_view rest_;
  bool done_ = false;
};

/// A topic filter with its optional MQTT 5 shared-subscription prefix split off.
struct parsed_filter {
  std::string_view group;   ///< share name; empty when not shared
  std::string_view filter;  ///< the filter proper
  bool shared = false;      ///< true for `$share/<group>/<filter>`
};

/// Splits `$share/<group>/<filter>`; any other string is a plain filter.
/// Complexity: O(length of the group name).
[[nodiscard]] inline parsed_filter parse_filter(std::string_view f) noexcept {
  constexpr std::string_view prefix = "$share/";
  if (f.starts_with(prefix)) {
    auto rest = f.substr(prefix.size());
    auto slash = rest.find('/');
    if (slash != std::string_view::npos)
      return {rest.substr(0, slash), rest.substr(slash + 1), true};
  }
  return {{}, f, false};
}

/// A LIFO stack keeping its first `N` elements inline (uninitialised until
/// pushed), so that the common, shallow case never touches the heap. `T`
/// must be trivially copyable and destructible.
template <class T, std::size_t N>
class small_stack {
  static_assert(std::is_trivially_copyable_v<T> && std::is_trivially_destructible_v<T>);

 public:
  small_stack() noexcept {}  // leaves the inline buffer uninitialised
  small_stack(const small_stack&) = delete;
  small_stack& operator=(const small_stack&) = delete;

  /// Pushes a copy of `x`. Allocates only beyond `N` elements.
  void push(const T& x) {
    if (size_ < N)
      ::new (static_cast<void*>(inline_ + size_++ * sizeof(T))) T(x);
    else
      overflow_.push_back(x);
  }

  /// Removes and returns the top element. Precondition: `!empty()`.
  T pop() noexcept {
    if (!overflow_.empty()) {
      T x = overflow_.back();
      overflow_.pop_back();
      return x;
    }
    --size_;
    return *std::launder(reinterpret_cast<T*>(inline_ + size_ * sizeof(T)));
  }

  /// True when no element is stored.
  [[nodiscard]] bool empty() const noexcept { return size_ == 0; }

 private:
  alignas(T) std::byte inline_[N * sizeof(T)];
  std::size_t size_ = 0;
  std::vector<T> overflow_;
};

/// The children of a trie node, keyed by level name. `Node` must have a
/// member `std::string level` holding its own name, set before insertion
/// and never changed afterwards (keys are views into it).
///
/// A single child (the usual case below the first levels: chains like
/// `dev42/user/get`) is held inline, so that walking a chain costs one
/// cache miss per level and no allocation besides the child. Two or more
/// children live in an `unordered_map<std::string_view, unique_ptr<Node>>`.
/// `Node` may be incomplete where the table is declared.
template <class Node>
class child_table {
 public:
  /// The child named `level`, or nullptr. Complexity: O(1) average.
  [[nodiscard]] Node* find(std::string_view level) const noexcept {
    if (one_)
      return std::string_view{one_->level} == level ? one_.get() : nullptr;
    if (map_) {
      auto i = map_->find(level);
      return i == map_->end() ? nullptr : i->second.get();
    }
    return nullptr;
  }

  /// The child named `level`, created (and `created` set) when missing.
  /// Complexity: O(1) average.
  Node& get_or_create(std::string_view level, bool& created) {
    created = false;
    if (auto* n = find(level))
      return *n;
    created = true;
    auto child = std::make_unique<Node>();
    child->level = level;
    auto* result = child.get();
    if (!one_ && !map_) {
      one_ = std::move(child);
      return *result;
    }
    if (one_) {
      map_ = std::make_unique<map_type>();
      std::string_view key{one_->level};
      map_->emplace(key, std::move(one_));
    }
    map_->emplace(std::string_view{result->level}, std::move(child));
    return *result;
  }

  /// Destroys the child named `level` (which must have no children itself,
  /// see `drain`). @returns true if it existed. Complexity: O(1) average.
  bool erase(std::string_view level) {
    if (one_) {
      if (std::string_view{one_->level} != level)
        return false;
      one_.reset();
      return true;
    }
    if (!map_)
      return false;
    auto i = map_->find(level);
    if (i == map_->end())
      return false;
    map_->erase(i);
    if (map_->size() == 1) {  // back to the inline representation
      one_ = std::move(map_->begin()->second);
      map_.reset();
    }
    return true;
  }

  /// True when there is no child.
  [[nodiscard]] bool empty() const noexcept { return !one_ && !map_; }

  /// Number of children.
  [[nodiscard]] std::size_t size() const noexcept { return one_ ? 1 : map_ ? map_->size() : 0; }

  /// Calls `f(std::string_view level, const Node& child)` for every child.
  template <class F>
  void for_each(F&& f) const {
    if (one_)
      f(std::string_view{one_->level}, static_cast<const Node&>(*one_));
    else if (map_)
      for (const auto& [level, child] : *map_)
        f(level, static_cast<const Node&>(*child));
  }

  /// Moves every child out, calling `f(std::unique_ptr<Node>&&)` for each,
  /// and leaves the table empty. Used for destruction without recursion.
  template <class F>
  void drain(F&& f) {
    if (one_)
      f(std::move(one_));
    if (map_) {
      for (auto& kv : *map_)
        f(std::move(kv.second));
      map_.reset();
    }
  }

 private:
  using map_type = std::unordered_map<std::string_view, std::unique_ptr<Node>>;
  std::unique_ptr<Node> one_;      ///< the only child, or null
  std::unique_ptr<map_type> map_;  ///< two or more children, or null
};

/// Destroys the subtree below `root` (not `root` itself) iteratively: a
/// filter or topic may have ~32k levels, too deep for recursive destructors.
/// `Node` must provide `template <class F> void release_children(F&&)`
/// which hands every owned child to `f` as `std::unique_ptr<Node>&&`.
template <class Node>
void destroy_subtree(Node& root) {
  std::vector<std::unique_ptr<Node>> work;
  auto take = [&work](std::unique_ptr<Node>&& child) {
    if (child)
      work.push_back(std::move(child));
  };
  root.release_children(take);
  while (!work.empty()) {
    auto cur = std::move(work.back());
    work.pop_back();
    cur->release_children(take);
  }  // `cur` dies here without children: no recursion.
}

}  // namespace iotb::router::detail
