#include "broker/net/socket_transport.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <boost/asio/post.hpp>

#include "broker/log/log.hpp"
#include "broker/util/clock.hpp"

namespace iotb::net {

namespace {

constexpr std::size_t read_chunk = std::size_t{64} * 1024;
constexpr std::size_t max_iov = 64;
/// Plaintext handed to the layers per step: a slow reader's backlog stays
/// in the out_queue (where its limits apply), not in a layer.
constexpr std::size_t layer_step = std::size_t{64} * 1024;
constexpr std::size_t max_layers = 2;  // WebSocket over TLS
/// How often a keep-alive that ran out is looked at again while the peer's
/// bytes wait unread in the socket.
constexpr std::chrono::seconds unread_recheck{1};

/// The read buffer of the calling I/O thread: idle connections own none.
std::uint8_t* thread_read_buffer() {
  thread_local std::unique_ptr<std::uint8_t[]> buf{new std::uint8_t[read_chunk]};
  return buf.get();
}

}  // namespace

/// "ip:port" ("[ip]:port" for IPv6) of the socket's peer; empty on error.
std::string peer_name(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (::getpeername(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0)
    return {};
  char host[INET6_ADDRSTRLEN] = {};
  if (ss.ss_family == AF_INET) {
    const auto& a = reinterpret_cast<const sockaddr_in&>(ss);
    ::inet_ntop(AF_INET, &a.sin_addr, host, sizeof host);
    return std::string{host} + ":" + std::to_string(ntohs(a.sin_port));
  }
  if (ss.ss_family == AF_INET6) {
    const auto& a = reinterpret_cast<const sockaddr_in6&>(ss);
    ::inet_ntop(AF_INET6, &a.sin6_addr, host, sizeof host);
    return "[" + std::string{host} + "]:" + std::to_string(ntohs(a.sin6_port));
  }
  return {};
}

socket_transport::socket_transport(int fd, poller& p,
                                   std::shared_ptr<const transport_settings> settings,
                                   connect_handler on_connect,
                                   std::vector<std::unique_ptr<stream_layer>> layers)
    : transport(std::move(settings)),
      poller_(p),
      fd_(fd),
      on_connect_(std::move(on_connect)),
      framing_(settings_->max_packet_size, settings_->max_connect_size),
      layers_(std::move(layers)) {
  int one = 1;
  (void)::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  peer_ = peer_name(fd_);
  if (layers_.size() > max_layers)
    layers_.resize(max_layers);
}

socket_transport::~socket_transport() {
  if (!closed_)
    ::close(fd_);  // never started, or epoll refused it
}

void socket_transport::start() {
  if (auto* lm = settings_->listener_metrics) {
    lm->accepted.inc();
    lm->connections.add();
    counted_ = true;
  }
  auto now = clock::now();
  last_rx_ = now;
  connect_deadline_ = now + settings_->connect_timeout;
  if (settings_->max_bytes_per_s != 0)
    bw_ = limits::token_bucket(settings_->max_bytes_per_s, std::chrono::seconds{1});
  poll_handle_ = poller_.add(fd_, shared_from_this());
  if (poll_handle_ == 0) {
    IOTB_LOG_LIMITED(warn, "net") << "peer=" << peer_
                                  << " closed: epoll refused the socket: " << std::strerror(errno);
    do_close();
    return;
  }
  // Bytes that came before the registration raised no edge: read now.
  wait_readable();
}

void socket_transport::on_ready(std::uint32_t events) {
  if (closed_)
    return;
  if ((events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0) {
    readable_ = true;
    if ((events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0)
      peer_done_ = true;  // no edge will follow the end: read up to it
    if (may_read() && !read_posted_)
      on_readable();
  }
  if (write_armed_ && !closed_ && (events & (EPOLLOUT | EPOLLHUP | EPOLLERR)) != 0)
    on_write_ready();
}

void socket_transport::wait_readable() {
  if (!readable_ || read_posted_ || !may_read())
    return;
  read_posted_ = true;
  boost::asio::post(poller_.context(), [self = shared_from_this()] {
    self->read_posted_ = false;
    if (self->may_read() && self->readable_)
      self->on_readable();
  });
}

void socket_transport::on_readable() {
  auto* buf = thread_read_buffer();
  // A few reads per wake-up when the peer keeps the buffer full, then yield
  // to other connections on this thread.
  for (int round = 0; round < 4; ++round) {
    auto n = ::read(fd_, buf, read_chunk);
    if (n > 0) {
      last_rx_ = clock::now();
      if (auto* lm = settings_->listener_metrics)
        lm->bytes_received.inc(static_cast<std::uint64_t>(n));
      if (!bw_.unlimited())
        bw_.consume(last_rx_, static_cast<std::uint32_t>(n));
      if (!on_input({buf, static_cast<std::size_t>(n)}))
        return;
      if (awaiting_attach_ || throttled_)
        return;
      if (!bw_.unlimited() && pause_for_bandwidth())
        return;
      if (static_cast<std::size_t>(n) < read_chunk && !peer_done_) {
        // A short read emptied the receive queue; bytes arriving after it
        // raise a new edge (as nginx relies on), so no read to see EAGAIN.
        // Not so for an end (FIN, reset) that came with the bytes already
        // read: then read on until it shows.
        readable_ = false;
        return;
      }
      continue;
    }
    if (n == 0) {
      fail({close_info::kind::peer_closed, {}, {}});
      return;
    }
    if (errno == EINTR)
      continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      readable_ = false;  // drained: the next edge tells
      return;
    }
    fail({close_info::kind::io_error, {}, std::strerror(errno)});
    return;
  }
  wait_readable();  // more may wait: yield to other connections, then go on
}

bool socket_transport::pause_for_bandwidth() {
  auto wait = bw_.wait_time(last_rx_, 1);
  if (wait.count() <= 0)
    return false;
  // Over budget: stop reading (TCP flow control slows the sender) and
  // resume when the bucket has refilled.
  bw_paused_ = true;
  if (!bw_timer_)
    bw_timer_ = std::make_unique<boost::asio::steady_timer>(poller_.context());
  bw_timer_->expires_after(wait);
  bw_timer_->async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
    self->bw_paused_ = false;
    if (ec || self->closed_ || self->stopped_)
      return;
    self->last_rx_ = clock::now();  // paused by us, not idle
    self->wait_readable();
  });
  return true;
}

bool socket_transport::on_input(std::span<const std::uint8_t> data) {
  if (layers_.empty()) {
    frame(data);
    return !(stopped_ || closed_);
  }
  std::span<const std::uint8_t> plain;
  bool more = decode_layers(data, plain);
  if (!plain.empty() && !closed_)
    frame(plain);
  if (!more && !stopped_ && !closed_)
    fail({close_info::kind::peer_closed, {}, {}});
  return !(stopped_ || closed_);
}

bool socket_transport::decode_layers(std::span<const std::uint8_t> data,
                                     std::span<const std::uint8_t>& plain) {
  thread_local std::vector<std::uint8_t> scratch[max_layers];
  auto st = layer_status::ok;
  std::string why;
  bool send_failed = false;
  {
    std::lock_guard lk(mu_);
    std::span<const std::uint8_t> cur = data;
    for (std::size_t i = 0; i < layers_.size(); ++i) {
      auto& buf = scratch[i];
      buf.clear();
      auto s = layers_[i]->decode(cur, buf);
      cur = buf;
      if (s == layer_status::failed) {
        st = s;
        why = layers_[i]->error();
        cur = {};
        break;
      }
      if (s == layer_status::closed)
        st = s;  // what came before the end still goes up
    }
    plain = cur;
    flush_layers_locked(send_failed);  // handshake answers, pongs, alerts, close frames
  }
  if (st == layer_status::failed) {
    IOTB_LOG_EVENT(info, "net") << "peer=" << peer_ << " " << settings_->listener_name << ": "
                                << why;
    if (framing_.got_connect())
      fail({close_info::kind::io_error, {}, why});
    else
      do_close();
    return false;
  }
  if (send_failed && !stopped_ && !closed_) {
    fail({close_info::kind::io_error, {}, "send failed"});
    return false;
  }
  return st == layer_status::ok;
}

void socket_transport::frame(std::span<const std::uint8_t> plain) {
  framing_output out;
  framing_.feed(plain, out);
  if (out.connect) {
    on_connect_attempt(std::move(*out.connect));
    return;
  }
  if (auto* m = settings_->metrics)
    for (const auto& p : out.batch)
      m->packets_received[static_cast<std::size_t>(mqtt::type_of(p))].inc();
  if (!out.batch.empty())
    deliver(std::move(out.batch));
  if (out.error)
    fail({close_info::kind::decode_error, *out.error, {}});
}

void socket_transport::on_connect_attempt(connect_attempt&& a) {
  // Reading pauses until the connect gate attaches, rejects or closes.
  awaiting_attach_ = true;
  if (a.connect) {
    version_ = a.connect->ver;
    idle_limit_ = {};  // no keep-alive check until attach sets it
  }
  auto handler = std::move(on_connect_);
  on_connect_ = nullptr;
  if (handler)
    handler(shared_from_this(), std::move(a));
  else
    do_close();
}

void socket_transport::deliver(std::vector<mqtt::packet>&& batch) {
  if (!owner_)
    return;
  auto n = batches_in_flight_.fetch_add(1, std::memory_order_acq_rel) + 1;
  if (static_cast<std::size_t>(n) >= settings_->max_batches_in_flight)
    throttled_ = true;
  owner_->on_packets(std::move(batch));
}

void socket_transport::batch_done() {
  auto prev = batches_in_flight_.fetch_sub(1, std::memory_order_acq_rel);
  if (static_cast<std::size_t>(prev) == settings_->max_batches_in_flight) {
    boost::asio::post(poller_.context(), [self = shared_from_this()] {
      self->throttled_ = false;
      self->wait_readable();
    });
  }
}

void socket_transport::fail(const close_info& info) {
  if (stopped_)
    return;
  stopped_ = true;
  if (owner_) {
    auto owner = std::move(owner_);
    owner->on_closed(info);
  } else if (!awaiting_attach_) {
    do_close();
  }
}

void socket_transport::attach(std::shared_ptr<transport_listener> owner, std::uint16_t keep_alive) {
  boost::asio::post(poller_.context(),
                    [self = shared_from_this(), owner = std::move(owner), keep_alive]() mutable {
                      if (self->closed_)
                        return;
                      self->owner_ = std::move(owner);
                      self->awaiting_attach_ = false;
                      self->framing_.resume();
                      if (self->stopped_) {
                        auto o = std::move(self->owner_);
                        o->on_closed({close_info::kind::peer_closed, {}, {}});
                        return;
                      }
                      self->last_rx_ = clock::now();
                      self->idle_limit_ = std::chrono::milliseconds{keep_alive * 1500};
                      if (self->framing_.buffered() != 0)
                        self->frame({});
                      self->wait_readable();
                    });
}

bool socket_transport::flush_layers_locked(bool& failed) {
  // Each layer's output is the input of the one below it.
  for (auto i = layers_.size(); i-- > 1;) {
    auto out = layers_[i]->output();
    if (out.empty())
      continue;
    iovec v{const_cast<std::uint8_t*>(out.data()), out.size()};
    if (layers_[i - 1]->encode(&v, 1) == layer_status::failed) {
      failed = true;
      return false;
    }
    layers_[i]->consume_output(out.size());
  }
  auto& low = *layers_.front();
  for (;;) {
    auto out = low.output();
    if (out.empty())
      return true;
    auto n = ::send(fd_, out.data(), out.size(), MSG_NOSIGNAL);
    if (n > 0) {
      if (auto* lm = settings_->listener_metrics)
        lm->bytes_sent.inc(static_cast<std::uint64_t>(n));
      low.consume_output(static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (!write_wait_) {
        write_wait_ = true;
        boost::asio::post(poller_.context(),
                          [self = shared_from_this()] { self->arm_write_wait(); });
      }
      return false;
    }
    failed = true;
    return false;
  }
}

void socket_transport::arm_write_wait() {
  if (closed_ || write_armed_)
    return;
  write_armed_ = true;
  // The edge may have come between the writer's EAGAIN and this post: ask.
  pollfd p{fd_, POLLOUT, 0};
  if (::poll(&p, 1, 0) > 0 && (p.revents & (POLLOUT | POLLERR | POLLHUP)) != 0)
    on_write_ready();
}

void socket_transport::on_write_ready() {
  write_armed_ = false;
  if (!layers_.empty()) {
    std::unique_lock lk(mu_);
    write_wait_ = false;
    bool failed = false;
    if (!flush_layers_locked(failed))
      return;  // re-armed, or failed (the reader will see the error)
  }
  if (owner_)
    owner_->on_writable();
}

transport::write_status socket_transport::write_layered(out_queue& q) {
  std::lock_guard lk(mu_);
  bool failed = false;
  if (!flush_layers_locked(failed))
    return failed ? write_status::failed : write_status::would_block;
  auto& top = *layers_.back();
  iovec iov[max_iov];
  while (!q.empty()) {
    auto n = q.gather(iov, max_iov);
    std::size_t taken = 0;
    std::size_t k = 0;
    for (; k < n && taken < layer_step; ++k)
      taken += iov[k].iov_len;
    if (top.encode(iov, k) != layer_status::ok)
      return write_status::failed;
    q.consume(taken);
    if (!flush_layers_locked(failed))
      return failed ? write_status::failed : write_status::would_block;
  }
  return write_status::done;
}

transport::write_status socket_transport::write(out_queue& q) {
  if (!layers_.empty())
    return write_layered(q);
  iovec iov[max_iov];
  while (!q.empty()) {
    msghdr msg{};
    msg.msg_iov = iov;
    msg.msg_iovlen = q.gather(iov, max_iov);
    auto n = ::sendmsg(fd_, &msg, MSG_NOSIGNAL);
    if (n > 0) {
      if (auto* lm = settings_->listener_metrics)
        lm->bytes_sent.inc(static_cast<std::uint64_t>(n));
      q.consume(static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      boost::asio::post(poller_.context(), [self = shared_from_this()] { self->arm_write_wait(); });
      return write_status::would_block;
    }
    return write_status::failed;
  }
  return write_status::done;
}

void socket_transport::reject(std::vector<std::uint8_t> bytes) {
  boost::asio::post(
      poller_.context(), [self = shared_from_this(),
                          buf = std::make_shared<std::vector<std::uint8_t>>(std::move(bytes))] {
        if (self->closed_)
          return;
        // Best effort: the refusal is tiny and the socket buffer empty.
        if (!self->layers_.empty()) {
          std::lock_guard lk(self->mu_);
          iovec v{buf->data(), buf->size()};
          bool failed = false;
          if (self->layers_.back()->encode(&v, 1) == layer_status::ok)
            (void)self->flush_layers_locked(failed);
        } else {
          [[maybe_unused]] auto n = ::send(self->fd_, buf->data(), buf->size(), MSG_NOSIGNAL);
        }
        self->do_close();
      });
}

void socket_transport::close() {
  boost::asio::post(poller_.context(), [self = shared_from_this()] { self->do_close(); });
}

bool socket_transport::readable_now() const {
  pollfd p{fd_, POLLIN, 0};
  return ::poll(&p, 1, 0) > 0 && (p.revents & (POLLIN | POLLHUP)) != 0;
}

void socket_transport::on_tick(std::chrono::steady_clock::time_point now) {
  if (closed_ || stopped_)
    return;
  if (!framing_.got_connect()) {
    if (now < connect_deadline_)
      return;
    IOTB_LOG_EVENT(info, "net") << "peer=" << peer_ << " closed: no complete CONNECT within "
                                << settings_->connect_timeout.count() << " s of accept ("
                                << framing_.buffered() << " bytes of it read)";
    do_close();
    return;
  }
  if (idle_limit_.count() == 0 || now - last_rx_ < idle_limit_ || now < recheck_at_)
    return;
  // The clock says the peer is silent, but a broker that stalled (SIGSTOP,
  // a slow disk) or paused reading may simply not have read it yet.
  if (readable_now()) {
    recheck_at_ = now + unread_recheck;
    return;
  }
  fail({close_info::kind::keep_alive_timeout, {}, {}});
}

void socket_transport::do_close() {
  if (closed_)
    return;
  closed_ = true;
  stopped_ = true;
  if (!layers_.empty()) {
    // An orderly end from the top down (a WebSocket close frame inside
    // TLS, then close_notify); best effort, non-blocking.
    std::lock_guard lk(mu_);
    bool failed = false;
    for (auto i = layers_.size(); i-- > 0 && !failed;) {
      layers_[i]->shutdown();
      (void)flush_layers_locked(failed);
    }
  }
  if (bw_timer_)
    bw_timer_->cancel();
  poller_.remove(fd_, poll_handle_);
  poll_handle_ = 0;
  ::close(fd_);
  if (counted_) {
    settings_->listener_metrics->connections.sub();
    counted_ = false;
  }
  owner_.reset();
  on_connect_ = nullptr;
}

}  // namespace iotb::net
