#include "broker/net/poller.hpp"

#include <boost/asio/post.hpp>

namespace iotb::net {

namespace {

/// Events fetched per `epoll_wait`; a fuller set is drained in more rounds.
constexpr int max_events = 256;
/// Rounds per wake-up before other handlers (timers, posts) get the thread.
constexpr int max_rounds = 4;

constexpr std::uint64_t pack(std::uint32_t index, std::uint32_t gen) {
  return (std::uint64_t{gen} << 32) | index;
}

}  // namespace

poller::poller(boost::asio::io_context& ctx)
    : ctx_(ctx), epfd_(::epoll_create1(EPOLL_CLOEXEC)), desc_(ctx), ticker_(ctx) {
  if (epfd_ >= 0)
    desc_.assign(epfd_);  // owns it from now on
}

poller::~poller() = default;

void poller::start() {
  boost::asio::post(ctx_, [this] {
    wait();
    tick();
  });
}

void poller::stop() {
  boost::asio::post(ctx_, [this] { ticker_.cancel(); });
}

void poller::tick() {
  ticker_.expires_after(tick_interval);
  ticker_.async_wait([this](const boost::system::error_code& ec) {
    if (ec)
      return;
    auto now = std::chrono::steady_clock::now();
    // By index: a watcher may remove itself (or, through its owner, not).
    for (std::size_t i = 0; i < slots_.size(); ++i) {
      if (!slots_[i].w)
        continue;
      auto keep = slots_[i].w;
      keep->on_tick(now);
    }
    tick();
  });
}

void poller::wait() {
  if (!desc_.is_open())
    return;
  desc_.async_wait(boost::asio::posix::stream_descriptor::wait_read,
                   [this](const boost::system::error_code& ec) {
                     if (ec)
                       return;  // closed (shutdown)
                     drain();
                     wait();
                   });
}

void poller::drain() {
  epoll_event evs[max_events];
  for (int round = 0; round < max_rounds; ++round) {
    int n = ::epoll_wait(epfd_, evs, max_events, 0);
    if (n <= 0)
      return;
    for (int i = 0; i < n; ++i) {
      auto index = static_cast<std::uint32_t>(evs[i].data.u64);
      auto gen = static_cast<std::uint32_t>(evs[i].data.u64 >> 32);
      if (index >= slots_.size() || slots_[index].gen != gen || !slots_[index].w)
        continue;                   // removed by an earlier event of this batch
      auto keep = slots_[index].w;  // the callback may remove it
      keep->on_ready(evs[i].events);
    }
    if (n < max_events)
      return;
  }
}

poller::handle poller::add(int fd, std::shared_ptr<poll_watcher> w) {
  std::uint32_t index;
  if (!free_.empty()) {
    index = free_.back();
    free_.pop_back();
  } else {
    index = static_cast<std::uint32_t>(slots_.size());
    slots_.emplace_back();
  }
  auto& s = slots_[index];
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
  ev.data.u64 = pack(index, s.gen);
  if (epfd_ < 0 || ::epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev) != 0) {
    free_.push_back(index);
    return 0;
  }
  s.w = std::move(w);
  ++live_;
  return ev.data.u64;
}

void poller::remove(int fd, handle h) {
  auto index = static_cast<std::uint32_t>(h);
  auto gen = static_cast<std::uint32_t>(h >> 32);
  if (h == 0 || index >= slots_.size() || slots_[index].gen != gen)
    return;
  epoll_event ev{};
  (void)::epoll_ctl(epfd_, EPOLL_CTL_DEL, fd, &ev);
  auto& s = slots_[index];
  ++s.gen;
  if (s.gen == 0)
    s.gen = 1;  // 0 never names a live registration
  --live_;
  free_.push_back(index);
  auto w = std::move(s.w);  // released last: its destructor may re-enter
}

}  // namespace iotb::net
