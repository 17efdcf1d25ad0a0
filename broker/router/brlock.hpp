#pragma once
/// @file
/// A "big-reader" lock: a reader/writer lock for data that is read on every
/// publish and written rarely (on subscribe/unsubscribe).
///
/// It is made of N reader/writer shards, each on its own cache lines. A
/// reader locks only the shard of its thread (threads are given a slot
/// round-robin on their first read lock), so readers on different threads
/// do not bounce a shared cache line between cores. A writer locks every
/// shard, in index order, which excludes all readers and other writers.
/// Reading is thus as cheap as an uncontended rwlock; writing costs N lock
/// operations.
///
/// Each shard prefers writers (on glibc): once a writer waits for a shard,
/// new readers of that shard queue behind it, so a stream of readers cannot
/// starve writers. Consequently read locks are NOT recursive: a thread
/// holding a read lock must not take it again (nor a write lock), or it can
/// deadlock.
///
/// Thread-safety: all members may be called from any thread. A read lock
/// must be released by the thread that took it.

#include <algorithm>
#include <atomic>
#include <bit>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <thread>

#if defined(__GLIBC__)
#include <pthread.h>
#else
#include <shared_mutex>
#endif

namespace iotb::router {

/// The big-reader lock (see the file comment). Not copyable, not movable.
class brlock {
  struct shard;

 public:
  /// Alignment of each shard: two cache lines, so that adjacent-line
  /// prefetching does not couple neighbouring shards either.
  static constexpr std::size_t shard_alignment = 128;

  /// The default number of shards: twice the hardware threads rounded up to
  /// a power of two, within [16, 256].
  [[nodiscard]] static std::size_t default_shards() noexcept {
    std::size_t hw = std::max(1u, std::thread::hardware_concurrency());
    return std::clamp<std::size_t>(std::bit_ceil(2 * hw), 16, 256);
  }

  /// Creates a lock with `default_shards()` shards.
  brlock() : brlock(default_shards()) {}

  /// Creates a lock with `shards` shards (rounded up to a power of two, at
  /// least 1). Allocates `shards * 128` bytes.
  explicit brlock(std::size_t shards)
      : mask_(std::bit_ceil(std::max<std::size_t>(shards, 1)) - 1),
        shards_(std::make_unique<shard[]>(mask_ + 1)) {}

  brlock(const brlock&) = delete;
  brlock& operator=(const brlock&) = delete;

  /// Number of shards.
  [[nodiscard]] std::size_t shards() const noexcept { return mask_ + 1; }

  /// Takes the read side: locks the calling thread's shard. Blocks while a
  /// writer holds or waits for that shard. Complexity: O(1).
  void lock_shared() noexcept { my_shard().lock_shared(); }

  /// Releases the read side taken by this thread with `lock_shared`.
  void unlock_shared() noexcept { my_shard().unlock_shared(); }

  /// Takes the write side: locks every shard in index order.
  /// Complexity: O(shards).
  void lock() noexcept {
    for (std::size_t i = 0; i <= mask_; ++i)
      shards_[i].lock();
  }

  /// Releases the write side, in reverse order.
  void unlock() noexcept {
    for (std::size_t i = mask_ + 1; i-- > 0;)
      shards_[i].unlock();
  }

  /// RAII holder of the read side (see `lock_shared`).
  class [[nodiscard]] read_guard {
   public:
    /// Locks the read side of `l` for the calling thread.
    explicit read_guard(brlock& l) noexcept : shard_(&l.my_shard()) { shard_->lock_shared(); }
    ~read_guard() { shard_->unlock_shared(); }
    read_guard(const read_guard&) = delete;
    read_guard& operator=(const read_guard&) = delete;

   private:
    shard* shard_;
  };

  /// RAII holder of the write side (see `lock`).
  class [[nodiscard]] write_guard {
   public:
    /// Locks the write side of `l`.
    explicit write_guard(brlock& l) noexcept : lock_(&l) { lock_->lock(); }
    ~write_guard() { lock_->unlock(); }
    write_guard(const write_guard&) = delete;
    write_guard& operator=(const write_guard&) = delete;

   private:
    brlock* lock_;
  };

  /// The slot of the calling thread, assigned round-robin on first use
  /// (shared by all brlocks of the process).
  [[nodiscard]] static std::size_t this_thread_slot() noexcept {
    static std::atomic<std::size_t> next{0};
    thread_local const std::size_t slot = next.fetch_add(1, std::memory_order_relaxed);
    return slot;
  }

 private:
  /// One reader/writer lock on its own cache lines.
  struct alignas(shard_alignment) shard {
#if defined(__GLIBC__)
    shard() noexcept {
      pthread_rwlockattr_t attr;
      pthread_rwlockattr_init(&attr);
      pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
      pthread_rwlock_init(&rw, &attr);
      pthread_rwlockattr_destroy(&attr);
    }
    ~shard() {
      pthread_rwlock_destroy(&rw);
    }
    shard(const shard&) = delete;
    shard& operator=(const shard&) = delete;
    void lock_shared() noexcept {
      [[maybe_unused]] int rc = pthread_rwlock_rdlock(&rw);
      assert(rc == 0);
    }
    void unlock_shared() noexcept {
      pthread_rwlock_unlock(&rw);
    }
    void lock() noexcept {
      [[maybe_unused]] int rc = pthread_rwlock_wrlock(&rw);
      assert(rc == 0);
    }
    void unlock() noexcept {
      pthread_rwlock_unlock(&rw);
    }
    pthread_rwlock_t rw;
#else
    void lock_shared() noexcept {
      rw.lock_shared();
    }
    void unlock_shared() noexcept {
      rw.unlock_shared();
    }
    void lock() noexcept {
      rw.lock();
    }
    void unlock() noexcept {
      rw.unlock();
    }
    std::shared_mutex rw;
#endif
  };

  [[nodiscard]] shard& my_shard() const noexcept {
    return shards_[this_thread_slot() & mask_];
  }

  std::size_t mask_;
  std::unique_ptr<shard[]> shards_;
};

}  // namespace iotb::router
