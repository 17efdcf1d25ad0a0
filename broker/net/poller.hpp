#pragma once
/// @file
/// Socket readiness without a system call per wait (issue 14).
///
/// Asio's `async_wait` re-arms the descriptor with `epoll_ctl(MOD)` on every
/// call (its non-speculative path), so waiting for each read cost one
/// system call per packet. A `poller` owns one epoll set per I/O thread in
/// which every connection is registered once, edge-triggered, for input and
/// output; the set itself is one descriptor in the thread's `io_context`,
/// so one Asio wait (one `epoll_ctl`) covers every connection that became
/// ready in the meantime. Nothing is allocated per wait either.
///
/// The poller also ticks (every `tick_interval`) every registered watcher:
/// connections check their CONNECT deadline and keep-alive there instead
/// of each holding an Asio timer (an idle connection saved ~260 bytes and
/// a timer-queue operation per connect).
///
/// Edge-triggered means a watcher hears of readiness once per change: it
/// must read until EAGAIN, or remember that bytes may be left (see
/// `socket_transport::readable_`).
///
/// Thread-safety: none. A poller belongs to its I/O thread; `add`, `remove`
/// and the callbacks run there only.

#include <sys/epoll.h>

#include <cstdint>
#include <memory>
#include <vector>

#include <chrono>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>

namespace iotb::net {

/// What a registered descriptor is told.
class poll_watcher {
 public:
  virtual ~poll_watcher() = default;
  /// `events`: EPOLLIN, EPOLLOUT, EPOLLHUP, EPOLLERR, EPOLLRDHUP as epoll
  /// reported them.
  virtual void on_ready(std::uint32_t events) = 0;
  /// The poller's periodic tick (deadlines, keep-alive).
  virtual void on_tick(std::chrono::steady_clock::time_point now) = 0;
};

class poller {
 public:
  /// A registration: pass it back to `remove`.
  using handle = std::uint64_t;

  /// How often every watcher hears `on_tick`: the resolution of the
  /// keep-alive and CONNECT deadlines (1.5 × keep-alive is enforced at most
  /// this much late).
  static constexpr std::chrono::milliseconds tick_interval{250};

  explicit poller(boost::asio::io_context& ctx);
  ~poller();
  poller(const poller&) = delete;
  poller& operator=(const poller&) = delete;

  /// Starts waiting and ticking (posted to the I/O thread).
  void start();
  /// Stops ticking (the context is stopping).
  void stop();

  /// Registers `fd` (edge-triggered, input and output) and keeps `w` alive
  /// until `remove`. @returns the handle, or 0 when epoll refused (errno).
  handle add(int fd, std::shared_ptr<poll_watcher> w);

  /// Unregisters; events already fetched for `h` are dropped. Call before
  /// closing the descriptor.
  void remove(int fd, handle h);

  [[nodiscard]] boost::asio::io_context& context() noexcept { return ctx_; }
  /// Descriptors registered now.
  [[nodiscard]] std::size_t size() const noexcept { return live_; }

 private:
  struct slot {
    std::shared_ptr<poll_watcher> w;
    std::uint32_t gen = 1;
  };
  void wait();
  void drain();
  void tick();

  boost::asio::io_context& ctx_;
  int epfd_;
  boost::asio::posix::stream_descriptor desc_;
  boost::asio::steady_timer ticker_;
  std::vector<slot> slots_;
  std::vector<std::uint32_t> free_;
  std::size_t live_ = 0;
};

}  // namespace iotb::net
