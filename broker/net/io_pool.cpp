#include "broker/net/io_pool.hpp"

#include <pthread.h>

#include <string>

namespace iotb::net {

io_pool::io_pool(unsigned n) {
  if (n == 0)
    n = 1;
  for (unsigned i = 0; i < n; ++i) {
    // Concurrency hint 1: each context is run by exactly one thread, so Asio
    // can skip internal locking.
    contexts_.push_back(std::make_unique<boost::asio::io_context>(1));
    guards_.emplace_back(contexts_.back()->get_executor());
    pollers_.push_back(std::make_unique<poller>(*contexts_.back()));
  }
}

io_pool::~io_pool() {
  stop();
  join();
  pollers_.clear();  // before the contexts they belong to
}

void io_pool::start() {
  for (auto& p : pollers_)
    p->start();
  for (std::size_t i = 0; i < contexts_.size(); ++i) {
    threads_.emplace_back([this, i] {
      auto name = "iotb-io-" + std::to_string(i);
      pthread_setname_np(pthread_self(), name.c_str());
      contexts_[i]->run();
    });
  }
}

void io_pool::stop() {
  for (auto& p : pollers_)
    p->stop();
  guards_.clear();
  for (auto& c : contexts_)
    c->stop();
}

void io_pool::join() {
  for (auto& t : threads_)
    if (t.joinable())
      t.join();
  threads_.clear();
}

poller& io_pool::next() noexcept {
  auto i = next_.fetch_add(1, std::memory_order_relaxed);
  return *pollers_[i % pollers_.size()];
}

}  // namespace iotb::net
