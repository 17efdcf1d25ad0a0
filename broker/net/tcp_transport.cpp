#include "broker/net/tcp_transport.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

#include "broker/log/log.hpp"
#include "broker/tls/engine.hpp"

namespace iotb::net {

namespace {

constexpr std::size_t read_chunk = 64 * 1024;
constexpr std::size_t max_iov = 64;

/// The read buffer of the calling I/O thread: idle connections own none.
std::uint8_t* thread_read_buffer() {
  thread_local std::unique_ptr<std::uint8_t[]> buf{new std::uint8_t[read_chunk]};
  return buf.get();
}

/// Protocol level byte of a CONNECT body, 0 when it cannot be found.
std::uint8_t peek_connect_level(mqtt::bytes body) {
  if (body.size() < 2)
    return 0;
  std::size_t name_len = (std::size_t{body[0]} << 8) | body[1];
  if (body.size() < 2 + name_len + 1)
    return 0;
  return body[2 + name_len];
}

}  // namespace

tcp_transport::tcp_transport(boost::asio::ip::tcp::socket socket,
                             std::shared_ptr<const transport_settings> settings,
                             connect_handler on_connect)
    : socket_(std::move(socket)),
      timer_(socket_.get_executor()),
      fd_(socket_.native_handle()),
      settings_(std::move(settings)),
      on_connect_(std::move(on_connect)) {
  boost::system::error_code ec;
  socket_.non_blocking(true, ec);
  socket_.set_option(boost::asio::ip::tcp::no_delay(true), ec);
  auto ep = socket_.remote_endpoint(ec);
  if (!ec)
    peer_ = ep.address().to_string() + ":" + std::to_string(ep.port());
  if (settings_->tls)
    tls_ = tls::tls_engine::make(settings_->tls);
}

tcp_transport::~tcp_transport() = default;

void tcp_transport::start() {
  last_rx_ = std::chrono::steady_clock::now();
  if (settings_->max_bytes_per_s != 0)
    bw_ = limits::token_bucket(settings_->max_bytes_per_s, std::chrono::seconds{1});
  idle_limit_ = settings_->connect_timeout;
  arm_timer();
  wait_readable();
}

void tcp_transport::wait_readable() {
  if (reading_ || awaiting_attach_ || throttled_ || bw_paused_ || stopped_ || closed_)
    return;
  reading_ = true;
  socket_.async_wait(boost::asio::socket_base::wait_read,
                     [self = shared_from_this()](const boost::system::error_code& ec) {
                       self->reading_ = false;
                       if (self->closed_ || self->stopped_)
                         return;
                       if (ec) {
                         self->fail({close_info::kind::io_error, {}, ec.message()});
                         return;
                       }
                       self->on_readable();
                     });
}

void tcp_transport::on_readable() {
  auto* buf = thread_read_buffer();
  // A few reads per wake-up when the peer keeps the buffer full, then yield
  // to other connections on this thread.
  for (int round = 0; round < 4; ++round) {
    auto n = ::read(fd_, buf, read_chunk);
    if (n > 0) {
      last_rx_ = std::chrono::steady_clock::now();
      if (!bw_.unlimited())
        bw_.consume(last_rx_, static_cast<std::uint32_t>(n));
      if (tls_) {
        if (!on_cipher({buf, static_cast<std::size_t>(n)}))
          return;
      } else {
        process({buf, static_cast<std::size_t>(n)});
      }
      if (stopped_ || closed_ || awaiting_attach_ || throttled_)
        return;
      if (!bw_.unlimited() && pause_for_bandwidth())
        return;
      if (static_cast<std::size_t>(n) < read_chunk)
        break;
      continue;
    }
    if (n == 0) {
      fail({close_info::kind::peer_closed, {}, {}});
      return;
    }
    if (errno == EINTR)
      continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK)
      break;
    fail({close_info::kind::io_error, {}, std::strerror(errno)});
    return;
  }
  wait_readable();
}

bool tcp_transport::pause_for_bandwidth() {
  auto wait = bw_.wait_time(last_rx_, 1);
  if (wait.count() <= 0)
    return false;
  // Over budget: stop reading (TCP flow control slows the sender) and
  // resume when the bucket has refilled.
  bw_paused_ = true;
  if (!bw_timer_)
    bw_timer_ = std::make_unique<boost::asio::steady_timer>(socket_.get_executor());
  bw_timer_->expires_after(wait);
  bw_timer_->async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
    self->bw_paused_ = false;
    if (ec || self->closed_ || self->stopped_)
      return;
    self->last_rx_ = std::chrono::steady_clock::now();  // paused by us, not idle
    self->wait_readable();
  });
  return true;
}

void tcp_transport::process(std::span<const std::uint8_t> data) {
  bool from_partial = !partial_.empty();
  if (from_partial)
    partial_.insert(partial_.end(), data.begin(), data.end());
  std::span<const std::uint8_t> in = from_partial ? std::span<const std::uint8_t>{partial_} : data;
  std::vector<mqtt::packet> batch;
  std::size_t off = 0;
  while (off < in.size()) {
    auto f = mqtt::next_frame(in.subspan(off), settings_->max_packet_size);
    if (!f) {
      if (f.error().code == mqtt::errc::need_more)
        break;
      if (!batch.empty())
        deliver(std::move(batch));
      fail({close_info::kind::decode_error, f.error(), {}});
      return;
    }
    if (!got_connect_) {
      off += f->total;
      if (!handle_connect(*f))
        return;
      break;  // paused until attach; the rest waits in partial_
    }
    auto p = mqtt::decode_packet(f->header, f->body, version_);
    if (!p) {
      if (!batch.empty())
        deliver(std::move(batch));
      fail({close_info::kind::decode_error, p.error(), {}});
      return;
    }
    batch.push_back(std::move(*p));
    off += f->total;
  }
  if (from_partial) {
    partial_.erase(partial_.begin(), partial_.begin() + static_cast<std::ptrdiff_t>(off));
  } else {
    partial_.assign(in.begin() + static_cast<std::ptrdiff_t>(off), in.end());
  }
  if (partial_.empty() && partial_.capacity() > 4096)
    partial_.shrink_to_fit();
  if (!batch.empty())
    deliver(std::move(batch));
}

bool tcp_transport::handle_connect(const mqtt::frame& f) {
  if (f.header.type != mqtt::packet_type::connect) {
    IOTB_LOG(info, "net") << "peer=" << peer_ << " closed: first packet is "
                          << mqtt::to_string(f.header.type) << ", not CONNECT";
    do_close();
    return false;
  }
  auto c = mqtt::decode_connect(f.header.flags, f.body);
  if (!c) {
    auto level = peek_connect_level(f.body);
    IOTB_LOG(info, "net") << "peer=" << peer_ << " CONNECT refused: " << c.error().what;
    auto code = mqtt::to_reason(c.error().code);
    if (level == 5 || c.error().code == mqtt::errc::unsupported_version) {
      std::vector<std::uint8_t> out;
      mqtt::encode(mqtt::connack{false, code, {}},
                   level == 5 ? mqtt::version::v5 : mqtt::version::v311, out);
      reject(std::move(out));
    } else {
      do_close();
    }
    return false;
  }
  version_ = c->ver;
  got_connect_ = true;
  awaiting_attach_ = true;
  timer_.cancel();
  on_connect_(shared_from_this(), std::move(*c));
  return true;
}

void tcp_transport::deliver(std::vector<mqtt::packet>&& batch) {
  if (!owner_)
    return;
  auto n = batches_in_flight_.fetch_add(1, std::memory_order_acq_rel) + 1;
  if (static_cast<std::size_t>(n) >= settings_->max_batches_in_flight)
    throttled_ = true;
  owner_->on_packets(std::move(batch));
}

void tcp_transport::batch_done() {
  auto prev = batches_in_flight_.fetch_sub(1, std::memory_order_acq_rel);
  if (static_cast<std::size_t>(prev) == settings_->max_batches_in_flight) {
    boost::asio::post(socket_.get_executor(), [self = shared_from_this()] {
      self->throttled_ = false;
      self->wait_readable();
    });
  }
}

void tcp_transport::fail(close_info info) {
  if (stopped_)
    return;
  stopped_ = true;
  timer_.cancel();
  if (owner_) {
    auto owner = std::move(owner_);
    owner->on_closed(info);
  } else if (!awaiting_attach_) {
    do_close();
  }
}

void tcp_transport::attach(std::shared_ptr<transport_listener> owner, std::uint16_t keep_alive) {
  boost::asio::post(socket_.get_executor(),
                    [self = shared_from_this(), owner = std::move(owner), keep_alive]() mutable {
                      if (self->closed_)
                        return;
                      self->owner_ = std::move(owner);
                      self->awaiting_attach_ = false;
                      if (self->stopped_) {
                        auto o = std::move(self->owner_);
                        o->on_closed({close_info::kind::peer_closed, {}, {}});
                        return;
                      }
                      self->last_rx_ = std::chrono::steady_clock::now();
                      self->idle_limit_ = std::chrono::milliseconds{keep_alive * 1500};
                      if (keep_alive > 0)
                        self->arm_timer();
                      if (!self->partial_.empty())
                        self->process({});
                      self->wait_readable();
                    });
}

bool tcp_transport::on_cipher(std::span<const std::uint8_t> data) {
  thread_local std::vector<std::uint8_t> plain;
  plain.clear();
  tls::tls_engine::status st;
  bool send_failed = false;
  {
    std::lock_guard lk(tls_mu_);
    st = tls_->feed(data);
    if (st != tls::tls_engine::status::failed)
      if (auto r = tls_->read_plain(plain);
          r == tls::tls_engine::status::failed || r == tls::tls_engine::status::closed)
        st = r;
    flush_tls_locked(send_failed);  // handshake records, alerts
    if (st == tls::tls_engine::status::failed) {
      IOTB_LOG(info, "net") << "peer=" << peer_ << " TLS failed: " << tls_->error();
    }
  }
  if (st == tls::tls_engine::status::failed) {
    if (got_connect_)
      fail({close_info::kind::io_error, {}, "TLS error"});
    else
      do_close();
    return false;
  }
  if (!plain.empty())
    process(plain);
  if (st == tls::tls_engine::status::closed && !stopped_ && !closed_) {
    fail({close_info::kind::peer_closed, {}, {}});
    return false;
  }
  if (send_failed && !stopped_ && !closed_) {
    fail({close_info::kind::io_error, {}, "TLS send failed"});
    return false;
  }
  return !(stopped_ || closed_);
}

bool tcp_transport::flush_tls_locked(bool& failed) {
  while (tls_->has_output()) {
    auto out = tls_->output();
    auto n = ::send(fd_, out.data(), out.size(), MSG_NOSIGNAL);
    if (n > 0) {
      tls_->consume_output(static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (!write_wait_) {
        write_wait_ = true;
        boost::asio::post(socket_.get_executor(),
                          [self = shared_from_this()] { self->arm_write_wait(); });
      }
      return false;
    }
    failed = true;
    return false;
  }
  return true;
}

void tcp_transport::arm_write_wait() {
  if (closed_)
    return;
  socket_.async_wait(boost::asio::socket_base::wait_write,
                     [self = shared_from_this()](const boost::system::error_code& ec) {
                       if (ec || self->closed_)
                         return;
                       if (self->tls_) {
                         std::unique_lock lk(self->tls_mu_);
                         self->write_wait_ = false;
                         bool failed = false;
                         if (!self->flush_tls_locked(failed))
                           return;  // re-armed, or failed (the reader will see the error)
                       }
                       if (self->owner_)
                         self->owner_->on_writable();
                     });
}

tcp_transport::write_status tcp_transport::write_tls(out_queue& q) {
  // Encrypt in steps and only while the socket keeps up, so that a slow
  // reader's backlog stays in the out_queue (where its limits apply), not
  // in the engine.
  constexpr std::size_t step = 64 * 1024;
  std::lock_guard lk(tls_mu_);
  bool failed = false;
  if (!flush_tls_locked(failed))
    return failed ? write_status::failed : write_status::would_block;
  iovec iov[max_iov];
  while (!q.empty()) {
    auto n = q.gather(iov, max_iov);
    std::size_t taken = 0;
    for (std::size_t i = 0; i < n && taken < step; ++i) {
      auto st =
          tls_->write_plain({static_cast<const std::uint8_t*>(iov[i].iov_base), iov[i].iov_len});
      if (st == tls::tls_engine::status::failed)
        return write_status::failed;
      taken += iov[i].iov_len;
    }
    q.consume(taken);
    if (!flush_tls_locked(failed))
      return failed ? write_status::failed : write_status::would_block;
  }
  return write_status::done;
}

tcp_transport::write_status tcp_transport::write(out_queue& q) {
  if (tls_)
    return write_tls(q);
  iovec iov[max_iov];
  while (!q.empty()) {
    msghdr msg{};
    msg.msg_iov = iov;
    msg.msg_iovlen = q.gather(iov, max_iov);
    auto n = ::sendmsg(fd_, &msg, MSG_NOSIGNAL);
    if (n > 0) {
      q.consume(static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      boost::asio::post(socket_.get_executor(),
                        [self = shared_from_this()] { self->arm_write_wait(); });
      return write_status::would_block;
    }
    return write_status::failed;
  }
  return write_status::done;
}

void tcp_transport::reject(std::vector<std::uint8_t> bytes) {
  boost::asio::post(socket_.get_executor(),
                    [self = shared_from_this(),
                     buf = std::make_shared<std::vector<std::uint8_t>>(std::move(bytes))] {
                      if (self->closed_)
                        return;
                      // Best effort: the refusal is tiny and the socket buffer empty.
                      if (self->tls_) {
                        std::lock_guard lk(self->tls_mu_);
                        bool failed = false;
                        if (self->tls_->write_plain(*buf) != tls::tls_engine::status::failed)
                          self->flush_tls_locked(failed);
                      } else {
                        [[maybe_unused]] auto n =
                            ::send(self->fd_, buf->data(), buf->size(), MSG_NOSIGNAL);
                      }
                      self->do_close();
                    });
}

void tcp_transport::close() {
  boost::asio::post(socket_.get_executor(), [self = shared_from_this()] { self->do_close(); });
}

void tcp_transport::arm_timer() {
  auto deadline = last_rx_ + idle_limit_;
  timer_.expires_at(deadline);
  timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
    if (ec || self->closed_ || self->stopped_)
      return;
    self->on_timer();
  });
}

void tcp_transport::on_timer() {
  auto now = std::chrono::steady_clock::now();
  if (now - last_rx_ < idle_limit_) {
    arm_timer();
    return;
  }
  if (!got_connect_) {
    IOTB_LOG(info, "net") << "peer=" << peer_ << " closed: no CONNECT within "
                          << settings_->connect_timeout.count() << " s";
    do_close();
    return;
  }
  fail({close_info::kind::keep_alive_timeout, {}, {}});
}

void tcp_transport::do_close() {
  if (closed_)
    return;
  closed_ = true;
  stopped_ = true;
  boost::system::error_code ec;
  if (tls_) {
    // A normal close ends the TLS session with close_notify (best effort,
    // non-blocking), so the peer can tell it from a truncation attack.
    std::lock_guard lk(tls_mu_);
    if (tls_->handshake_done() && !tls_->failed() &&
        tls_->shutdown() == tls::tls_engine::status::ok) {
      bool failed = false;
      (void)flush_tls_locked(failed);
    }
  }
  timer_.cancel();
  if (bw_timer_)
    bw_timer_->cancel();
  socket_.close(ec);
  owner_.reset();
  on_connect_ = nullptr;
}

}  // namespace iotb::net
