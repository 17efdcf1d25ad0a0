#pragma once
/// @file
/// `ring<T>`: a FIFO that owns no memory while empty.
///
/// Why not `std::deque`: libstdc++'s deque allocates its map and a 512-byte
/// node when it is constructed, so a session with three empty queues held
/// 1.7 KB of heap per idle connection (issue 14, heaptrack). `ring` is a
/// circular buffer (power-of-two capacity, 4 at the first push) that frees
/// its storage whenever a pop empties it, so an idle connection's queues
/// cost a pointer and three counters each (an allocation per burst is the
/// price: a few tens of nanoseconds with glibc's thread cache).
///
/// Unlike a deque, growing moves the elements: a push invalidates
/// references and iterators (callers here take none across a push to the
/// same ring). Erasing in the middle shifts the later elements (windows
/// are small; erasing the front, the common case, is O(1)).
///
/// Thread-safety: none (owned by one actor).

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <memory>
#include <new>
#include <utility>

namespace iotb::util {

template <class T>
class ring {
 public:
  ring() noexcept = default;
  ring(const ring&) = delete;
  ring& operator=(const ring&) = delete;
  ring(ring&& o) noexcept : buf_(o.buf_), cap_(o.cap_), head_(o.head_), size_(o.size_) {
    o.buf_ = nullptr;
    o.cap_ = o.head_ = o.size_ = 0;
  }
  ring& operator=(ring&& o) noexcept {
    if (this != &o) {
      release();
      std::swap(buf_, o.buf_);
      std::swap(cap_, o.cap_);
      std::swap(head_, o.head_);
      std::swap(size_, o.size_);
    }
    return *this;
  }
  ~ring() { release(); }

  template <bool Const>
  class basic_iterator {
   public:
    using iterator_category = std::random_access_iterator_tag;
    using value_type = T;
    using difference_type = std::ptrdiff_t;
    using pointer = std::conditional_t<Const, const T*, T*>;
    using reference = std::conditional_t<Const, const T&, T&>;
    using owner = std::conditional_t<Const, const ring*, ring*>;

    basic_iterator() = default;
    basic_iterator(owner r, std::size_t i) : r_(r), i_(i) {}
    operator basic_iterator<true>() const { return {r_, i_}; }  // NOLINT: iterator → const_iterator

    reference operator*() const { return (*r_)[i_]; }
    pointer operator->() const { return &(*r_)[i_]; }
    reference operator[](difference_type n) const { return (*r_)[i_ + n]; }
    basic_iterator& operator++() {
      ++i_;
      return *this;
    }
    basic_iterator operator++(int) { return {r_, i_++}; }
    basic_iterator& operator--() {
      --i_;
      return *this;
    }
    basic_iterator operator--(int) { return {r_, i_--}; }
    basic_iterator& operator+=(difference_type n) {
      i_ += n;
      return *this;
    }
    basic_iterator& operator-=(difference_type n) {
      i_ -= n;
      return *this;
    }
    friend basic_iterator operator+(basic_iterator it, difference_type n) { return it += n; }
    friend basic_iterator operator+(difference_type n, basic_iterator it) { return it += n; }
    friend basic_iterator operator-(basic_iterator it, difference_type n) { return it -= n; }
    friend difference_type operator-(const basic_iterator& a, const basic_iterator& b) {
      return static_cast<difference_type>(a.i_) - static_cast<difference_type>(b.i_);
    }
    friend bool operator==(const basic_iterator& a, const basic_iterator& b) {
      return a.i_ == b.i_;
    }
    friend auto operator<=>(const basic_iterator& a, const basic_iterator& b) {
      return a.i_ <=> b.i_;
    }
    [[nodiscard]] std::size_t index() const noexcept { return i_; }

   private:
    owner r_ = nullptr;
    std::size_t i_ = 0;
  };
  using iterator = basic_iterator<false>;
  using const_iterator = basic_iterator<true>;

  [[nodiscard]] bool empty() const noexcept { return size_ == 0; }
  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  /// Slots allocated (0 while nothing was pushed or after the ring emptied).
  [[nodiscard]] std::size_t capacity() const noexcept { return cap_; }

  T& operator[](std::size_t i) noexcept { return buf_[(head_ + i) & (cap_ - 1)]; }
  const T& operator[](std::size_t i) const noexcept { return buf_[(head_ + i) & (cap_ - 1)]; }
  T& front() noexcept { return (*this)[0]; }
  const T& front() const noexcept { return (*this)[0]; }
  T& back() noexcept { return (*this)[size_ - 1]; }
  const T& back() const noexcept { return (*this)[size_ - 1]; }

  iterator begin() noexcept { return {this, 0}; }
  iterator end() noexcept { return {this, size_}; }
  const_iterator begin() const noexcept { return {this, 0}; }
  const_iterator end() const noexcept { return {this, size_}; }

  template <class... Args>
  T& emplace_back(Args&&... args) {
    if (size_ == cap_)
      grow();
    T* slot = &buf_[(head_ + size_) & (cap_ - 1)];
    std::construct_at(slot, std::forward<Args>(args)...);
    ++size_;
    return *slot;
  }
  void push_back(const T& v) { emplace_back(v); }
  void push_back(T&& v) { emplace_back(std::move(v)); }

  void pop_front() noexcept {
    std::destroy_at(&front());
    head_ = (head_ + 1) & (cap_ - 1);
    if (--size_ == 0)
      release();
  }

  /// Removes the element at `pos`; later elements move up by one.
  /// @returns an iterator to the element after the removed one.
  iterator erase(const_iterator pos) {
    auto i = pos.index();
    if (i == 0) {
      pop_front();
      return begin();
    }
    for (auto k = i; k + 1 < size_; ++k)
      (*this)[k] = std::move((*this)[k + 1]);
    std::destroy_at(&back());
    --size_;
    return {this, i};
  }

  /// Removes every element and frees the storage.
  void clear() noexcept { release(); }

 private:
  void grow() {
    auto cap = cap_ == 0 ? std::size_t{4} : cap_ * 2;
    auto* nb = static_cast<T*>(::operator new (cap * sizeof(T), std::align_val_t{alignof(T)}));
    for (std::size_t i = 0; i < size_; ++i) {
      std::construct_at(&nb[i], std::move((*this)[i]));
      std::destroy_at(&(*this)[i]);
    }
    if (buf_ != nullptr)
      ::operator delete (buf_, std::align_val_t{alignof(T)});
    buf_ = nb;
    cap_ = cap;
    head_ = 0;
  }
  void release() noexcept {
    for (std::size_t i = 0; i < size_; ++i)
      std::destroy_at(&(*this)[i]);
    if (buf_ != nullptr)
      ::operator delete (buf_, std::align_val_t{alignof(T)});
    buf_ = nullptr;
    cap_ = head_ = size_ = 0;
  }

  T* buf_ = nullptr;
  std::size_t cap_ = 0;
  std::size_t head_ = 0;
  std::size_t size_ = 0;
};

}  // namespace iotb::util
