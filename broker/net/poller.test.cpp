#include "broker/net/poller.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <memory>
#include <vector>

#include <boost/asio/io_context.hpp>

namespace {

using namespace std::chrono_literals;
using iotb::net::poll_watcher;
using iotb::net::poller;

/// Records what the poller tells it; `react` runs on each readiness.
class recorder final : public poll_watcher {
 public:
  void on_ready(std::uint32_t events) override {
    ready.push_back(events);
    if (react)
      react(events);
  }
  void on_tick(std::chrono::steady_clock::time_point /*now*/) override {
    ++ticks;
    if (tick_react)
      tick_react();
  }

  std::vector<std::uint32_t> ready;
  int ticks = 0;
  std::function<void(std::uint32_t)> react;
  std::function<void()> tick_react;
};

/// A connected, non-blocking pair of stream sockets.
struct socket_pair {
  socket_pair() {
    EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fd), 0);
  }
  ~socket_pair() {
    for (int f : fd)
      if (f >= 0)
        ::close(f);
  }
  socket_pair(const socket_pair&) = delete;
  socket_pair& operator=(const socket_pair&) = delete;
  void send(const char* s) const {
    ASSERT_GT(::write(fd[1], s, std::char_traits<char>::length(s)), 0);
  }
  int fd[2] = {-1, -1};
};

std::size_t count_in(const recorder& r) {
  std::size_t n = 0;
  for (auto e : r.ready)
    n += (e & EPOLLIN) != 0 ? 1 : 0;
  return n;
}

TEST(Poller, EdgeTriggeredInputOncePerArrival) {
  boost::asio::io_context ctx;
  poller p(ctx);
  socket_pair sp;
  auto w = std::make_shared<recorder>();
  auto h = p.add(sp.fd[0], w);
  ASSERT_NE(h, 0U);
  EXPECT_EQ(p.size(), 1U);
  p.start();
  sp.send("a");
  ctx.run_for(100ms);
  EXPECT_EQ(count_in(*w), 1U);
  // The byte stays unread: an edge-triggered set says nothing more...
  ctx.restart();
  ctx.run_for(100ms);
  EXPECT_EQ(count_in(*w), 1U);
  // ...until new bytes arrive.
  sp.send("b");
  ctx.restart();
  ctx.run_for(100ms);
  EXPECT_EQ(count_in(*w), 2U);
  p.remove(sp.fd[0], h);
}

TEST(Poller, HangUpIsReported) {
  boost::asio::io_context ctx;
  poller p(ctx);
  socket_pair sp;
  auto w = std::make_shared<recorder>();
  auto h = p.add(sp.fd[0], w);
  p.start();
  ::close(sp.fd[1]);
  sp.fd[1] = -1;
  ctx.run_for(100ms);
  ASSERT_FALSE(w->ready.empty());
  EXPECT_NE(w->ready.back() & (EPOLLRDHUP | EPOLLHUP), 0U);
  p.remove(sp.fd[0], h);
}

TEST(Poller, RemovedWatcherHearsNothingAndIsReleased) {
  boost::asio::io_context ctx;
  poller p(ctx);
  socket_pair a;
  socket_pair b;
  auto wa = std::make_shared<recorder>();
  auto wb = std::make_shared<recorder>();
  auto ha = p.add(a.fd[0], wa);
  auto hb = p.add(b.fd[0], wb);
  // A's callback removes B: should both be in one batch, B's event is
  // dropped (its slot's generation changed), never delivered to a stranger.
  wa->react = [&](std::uint32_t) { p.remove(b.fd[0], hb); };
  p.start();
  b.send("x");
  a.send("y");
  ctx.run_for(100ms);
  EXPECT_EQ(p.size(), 1U);
  auto seen_b = count_in(*wb);
  EXPECT_LE(seen_b, 1U);
  b.send("z");
  ctx.restart();
  ctx.run_for(100ms);
  EXPECT_EQ(count_in(*wb), seen_b);  // nothing after the removal
  EXPECT_EQ(wb.use_count(), 1);      // the poller let go of it
  // A handle removed twice, or a stale one, is ignored.
  p.remove(b.fd[0], hb);
  // A new registration may reuse B's slot; B's old handle must not remove it.
  socket_pair c;
  auto wc = std::make_shared<recorder>();
  auto hc = p.add(c.fd[0], wc);
  EXPECT_NE(hc, hb);
  p.remove(c.fd[0], hb);
  EXPECT_EQ(p.size(), 2U);
  p.remove(a.fd[0], ha);
  p.remove(c.fd[0], hc);
  EXPECT_EQ(p.size(), 0U);
}

TEST(Poller, TicksEveryWatcher) {
  boost::asio::io_context ctx;
  poller p(ctx);
  socket_pair a;
  socket_pair b;
  auto wa = std::make_shared<recorder>();
  auto wb = std::make_shared<recorder>();
  auto ha = p.add(a.fd[0], wa);
  auto hb = p.add(b.fd[0], wb);
  // B removes itself at its second tick (a connection closing on its
  // keep-alive); A goes on being ticked.
  wb->tick_react = [&p, &b, hb, raw = wb.get()] {
    if (raw->ticks == 2)
      p.remove(b.fd[0], hb);
  };
  p.start();
  ctx.run_for(poller::tick_interval * 5 + 100ms);
  EXPECT_GE(wa->ticks, 4);
  EXPECT_EQ(wb->ticks, 2);
  EXPECT_EQ(p.size(), 1U);
  p.stop();
  p.remove(a.fd[0], ha);
}

TEST(Poller, RefusedDescriptorGivesNoHandle) {
  boost::asio::io_context ctx;
  poller p(ctx);
  auto w = std::make_shared<recorder>();
  EXPECT_EQ(p.add(-1, w), 0U);
  EXPECT_EQ(p.size(), 0U);
  EXPECT_EQ(w.use_count(), 1);
}

}  // namespace
