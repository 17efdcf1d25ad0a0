#pragma once
/// @file
/// One `io_context` per I/O thread, each with the `poller` its connections'
/// sockets are registered in; a connection lives on one of them for its
/// whole life, so its handlers never run concurrently.

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include "broker/net/poller.hpp"

namespace iotb::net {

/// A fixed set of single-threaded io_contexts.
/// Thread-safety: `next()` may be called from any thread; `start`/`stop`/
/// `join` from the owning thread only.
class io_pool {
 public:
  /// Creates `n` contexts (at least one).
  explicit io_pool(unsigned n);
  ~io_pool();

  /// Starts one thread per context.
  void start();
  /// Asks every context to stop once pending handlers ran.
  void stop();
  /// Waits for the threads.
  void join();

  /// The I/O thread (its poller) for the next connection (round-robin).
  [[nodiscard]] poller& next() noexcept;
  /// The first context (listeners live here).
  [[nodiscard]] boost::asio::io_context& front() noexcept { return *contexts_.front(); }
  [[nodiscard]] std::size_t size() const noexcept { return contexts_.size(); }

 private:
  using guard = boost::asio::executor_work_guard<boost::asio::io_context::executor_type>;
  std::vector<std::unique_ptr<boost::asio::io_context>> contexts_;
  std::vector<guard> guards_;
  /// After the contexts: destroyed first (a poller's descriptor belongs to
  /// its context).
  std::vector<std::unique_ptr<poller>> pollers_;
  std::vector<std::thread> threads_;
  std::atomic<std::size_t> next_{0};
};

}  // namespace iotb::net
