/// @file
/// One load-generator MQTT connection (see client.hpp).

#include "tools/loadgen/client.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <algorithm>
#include <cstring>
#include <span>
#include <utility>
#include <variant>

#include <boost/asio/buffer.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

#include "broker/net/tls_layer.hpp"
#include "tools/loadgen/ws_client.hpp"

namespace iotb::loadgen {

namespace asio = boost::asio;
using boost::system::error_code;

client::client(asio::io_context& io, client_events& events, std::size_t index, client_options opts)
    : socket_(io), events_(events), index_(index), opts_(std::move(opts)) {
  in_.resize(opts_.read_buffer);
}

void client::start(const asio::ip::tcp::endpoint& target) {
  state_ = state::connecting;
  if (opts_.source) {
    error_code ec;
    socket_.open(target.protocol(), ec);
    // Let connect() pick the port (per destination), not bind(): with many
    // connections a port per source address runs out otherwise.
    int one = 1;
    if (!ec)
      ::setsockopt(socket_.native_handle(), IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
    if (!ec)
      socket_.bind(asio::ip::tcp::endpoint(*opts_.source, 0), ec);
    if (ec) {
      // Not through fail(): the owner may still be starting clients.
      asio::post(socket_.get_executor(), [this, why = "bind " + opts_.source->to_string() + ": " +
                                                      ec.message()] { fail(why); });
      return;
    }
  }
  socket_.async_connect(target, [this, target](const error_code& ec) {
    if (state_ == state::closed)
      return;
    if (ec) {
      fail("connect: " + ec.message());
      return;
    }
    error_code ignored;
    socket_.set_option(asio::ip::tcp::no_delay(true), ignored);
    if (opts_.tls)
      layers_.push_back(std::make_unique<net::tls_layer>(opts_.tls));  // queues the ClientHello
    if (opts_.ws_path) {
      ws_client_layer::options w;
      w.host = target.address().to_string() + ":" + std::to_string(target.port());
      w.path = *opts_.ws_path;
      layers_.push_back(std::make_unique<ws_client_layer>(std::move(w)));  // the upgrade request
    }
    if (!layers_.empty()) {
      raw_.resize(std::size_t{16} * 1024 + 512);
      between_.resize(layers_.size() - 1);
      if (!push_down(layers_.size() - 1))
        return;
    }
    mqtt::connect c;
    c.ver = opts_.ver;
    c.clean_start = !opts_.persistent;
    if (opts_.persistent && opts_.ver == mqtt::version::v5)
      c.props.session_expiry_interval = 300;
    c.keep_alive = opts_.keep_alive;
    c.client_id = opts_.client_id;
    c.username = opts_.username;
    c.password = opts_.password;
    mqtt::encode(c, out_);
    state_ = state::awaiting_connack;
    flush();
    read();
  });
}

void client::flush() {
  if (write_in_flight_ || state_ == state::closed)
    return;
  if (out_.empty() && !layers_have_output())
    return;
  write();
}

bool client::layers_have_output() const noexcept {
  return std::any_of(layers_.begin(), layers_.end(),
                     [](const auto& l) { return !l->output().empty(); });
}

std::string client::layer_error(std::string_view fallback) const {
  for (const auto& l : layers_)
    if (!l->error().empty())
      return std::string(l->error());
  return std::string(fallback);
}

bool client::push_down(std::size_t from) {
  for (std::size_t i = from; i > 0; --i) {
    auto o = layers_[i]->output();
    if (o.empty())
      continue;
    iovec v{const_cast<std::uint8_t*>(o.data()), o.size()};
    auto st = layers_[i - 1]->encode(&v, 1);
    layers_[i]->consume_output(o.size());
    if (st != net::layer_status::ok) {
      fail(layer_error("stream layer refused data"));
      return false;
    }
  }
  return true;
}

void client::ping() {
  if (state_ != state::ready)
    return;
  mqtt::encode(mqtt::pingreq{}, out_);
  flush();
}

void client::write() {
  if (!layers_.empty()) {
    // One encode per batch: one TLS record run, one WebSocket frame. The
    // layers hold data given before their handshakes complete.
    if (!out_.empty()) {
      iovec v{out_.data(), out_.size()};
      if (layers_.back()->encode(&v, 1) != net::layer_status::ok) {
        fail(layer_error("stream layer refused data"));
        return;
      }
      out_.clear();
    }
    if (!push_down(layers_.size() - 1))
      return;
    auto o = layers_.front()->output();
    if (o.empty())
      return;
    writing_.assign(o.begin(), o.end());
    layers_.front()->consume_output(o.size());
  } else {
    std::swap(out_, writing_);
  }
  write_in_flight_ = true;
  ++writes_;
  asio::async_write(socket_, asio::buffer(writing_), [this](const error_code& ec, std::size_t) {
    write_in_flight_ = false;
    if (state_ == state::closed)
      return;
    if (ec) {
      fail("write: " + ec.message());
      return;
    }
    writing_.clear();
    flush();
  });
}

void client::read() {
  auto target = !layers_.empty() ? asio::buffer(raw_)
                                 : asio::buffer(in_.data() + in_used_, in_.size() - in_used_);
  socket_.async_read_some(target, [this](const error_code& ec, std::size_t n) { on_read(ec, n); });
}

bool client::unwrap(std::size_t n) {
  using net::layer_status;
  // The top layer appends to the unread MQTT bytes.
  in_.resize(in_used_);
  std::span<const std::uint8_t> bytes(raw_.data(), n);
  bool failed = false;
  for (std::size_t i = 0; i < layers_.size() && !failed; ++i) {
    auto& up = i + 1 == layers_.size() ? in_ : between_[i];
    if (&up != &in_)
      up.clear();
    auto st = layers_[i]->decode(bytes, up);
    // After a close, what came before it still goes up (a DISCONNECT with
    // its reason); on_read fails the connection after handling it.
    stream_closed_ = stream_closed_ || st == layer_status::closed;
    failed = st == layer_status::failed;
    bytes = up;
  }
  in_used_ = in_.size();
  in_.resize(std::max(in_.capacity(), in_used_ + 1));
  if (failed) {
    fail(layer_error("stream layer failed"));
    return false;
  }
  // Handshake answers, pongs: down to the socket.
  return push_down(layers_.size() - 1);
}

void client::on_read(const error_code& ec, std::size_t n) {
  if (state_ == state::closed)
    return;
  if (ec) {
    fail(ec == asio::error::eof ? std::string("broker closed the connection")
                                : "read: " + ec.message());
    return;
  }
  ++reads_;
  if (layers_.empty())
    in_used_ += n;
  else if (!unwrap(n))
    return;
  std::size_t pos = 0;
  while (pos < in_used_) {
    auto f = mqtt::next_frame(mqtt::bytes(in_.data() + pos, in_used_ - pos),
                              mqtt::max_remaining_length + 5);
    if (!f) {
      if (f.error().code == mqtt::errc::need_more)
        break;
      fail(std::string("framing: ") + f.error().what);
      return;
    }
    if (!handle(*f))
      return;
    pos += f->total;
  }
  if (pos > 0) {
    std::memmove(in_.data(), in_.data() + pos, in_used_ - pos);
    in_used_ -= pos;
  }
  if (stream_closed_) {
    fail("broker closed the stream: " + layer_error("closed"));
    return;
  }
  if (in_used_ == in_.size())
    in_.resize(in_.size() * 2);  // a packet larger than the buffer
  flush();                       // acknowledgements of deliveries (and handshake data)
  events_.on_read_done(*this);
  if (state_ != state::closed)
    read();
}

bool client::handle(const mqtt::frame& f) {
  auto decoded = mqtt::decode_packet(f.header, f.body, opts_.ver);
  if (!decoded) {
    fail(std::string("decode: ") + decoded.error().what);
    return false;
  }
  auto& p = *decoded;
  if (auto* pub = std::get_if<mqtt::publish>(&p)) {
    if (state_ != state::ready) {
      fail("PUBLISH before the subscription was acknowledged");
      return false;
    }
    if (pub->q != mqtt::qos::at_most_once) {
      mqtt::pub_ack ack;
      ack.type = pub->q == mqtt::qos::at_least_once ? mqtt::packet_type::puback
                                                    : mqtt::packet_type::pubrec;
      ack.packet_id = pub->packet_id;
      mqtt::encode(ack, opts_.ver, out_);
    }
    events_.on_publish(*this, *pub);
    return state_ != state::closed;
  }
  if (auto* ack = std::get_if<mqtt::pub_ack>(&p)) {
    if (static_cast<std::uint8_t>(ack->code) >= 0x80) {
      fail(std::string(mqtt::to_string(ack->type)) +
           " refused: " + std::string(mqtt::to_string(ack->code)));
      return false;
    }
    mqtt::pub_ack reply;
    reply.packet_id = ack->packet_id;
    switch (ack->type) {
      case mqtt::packet_type::pubrec:  // our QoS 2 PUBLISH, step 2 of 4
        reply.type = mqtt::packet_type::pubrel;
        mqtt::encode(reply, opts_.ver, out_);
        return true;
      case mqtt::packet_type::pubrel:  // a QoS 2 delivery, step 3 of 4
        reply.type = mqtt::packet_type::pubcomp;
        mqtt::encode(reply, opts_.ver, out_);
        return true;
      default:  // PUBACK or PUBCOMP: our PUBLISH is complete
        events_.on_ack(*this, ack->packet_id);
        return state_ != state::closed;
    }
  }
  if (auto* ca = std::get_if<mqtt::connack>(&p)) {
    if (state_ != state::awaiting_connack) {
      fail("unexpected CONNACK");
      return false;
    }
    if (ca->code != mqtt::reason::success) {
      fail("CONNACK refused: " + std::string(mqtt::to_string(ca->code)));
      return false;
    }
    accepted_ = true;
    if (ca->props.receive_maximum)
      receive_maximum_ = *ca->props.receive_maximum;
    if (opts_.subscribe_filter.empty()) {
      state_ = state::ready;
      events_.on_ready(*this);
      return state_ != state::closed;
    }
    mqtt::subscribe s;
    s.packet_id = 1;
    s.filters.push_back({opts_.subscribe_filter, {opts_.sub_qos}});
    mqtt::encode(s, opts_.ver, out_);
    state_ = state::awaiting_suback;
    flush();
    return true;
  }
  if (auto* sa = std::get_if<mqtt::suback>(&p)) {
    if (state_ != state::awaiting_suback || sa->codes.size() != 1) {
      fail("unexpected SUBACK");
      return false;
    }
    if (static_cast<std::uint8_t>(sa->codes[0]) >= 0x80) {
      fail("SUBSCRIBE refused: " + std::string(mqtt::to_string(sa->codes[0])));
      return false;
    }
    state_ = state::ready;
    events_.on_ready(*this);
    return state_ != state::closed;
  }
  if (auto* d = std::get_if<mqtt::disconnect>(&p)) {
    fail("broker sent DISCONNECT: " + std::string(mqtt::to_string(d->code)));
    return false;
  }
  if (std::holds_alternative<mqtt::pingresp>(p))
    return true;
  fail("unexpected packet from the broker");
  return false;
}

void client::fail(const std::string& why) {
  if (state_ == state::closed)
    return;
  state_ = state::closed;
  error_code ignored;
  socket_.close(ignored);
  events_.on_failed(*this, why);
}

void client::disconnect() noexcept {
  if (state_ == state::closed)
    return;
  auto was = state_;
  state_ = state::closed;
  error_code ignored;
  if (was == state::ready && !write_in_flight_) {
    mqtt::buffer d;
    try {
      mqtt::encode(mqtt::disconnect{}, opts_.ver, d);
      if (!layers_.empty()) {
        // The DISCONNECT, then each layer's orderly end (a WebSocket close
        // frame, close_notify), down through the layers below it.
        iovec v{d.data(), d.size()};
        bool ok = layers_.back()->encode(&v, 1) == net::layer_status::ok;
        for (std::size_t i = layers_.size(); ok && i-- > 0;) {
          layers_[i]->shutdown();
          for (std::size_t j = i; ok && j > 0; --j) {
            auto o = layers_[j]->output();
            iovec w{const_cast<std::uint8_t*>(o.data()), o.size()};
            ok = o.empty() || layers_[j - 1]->encode(&w, 1) == net::layer_status::ok;
            layers_[j]->consume_output(o.size());
          }
        }
        auto o = layers_.front()->output();
        d.assign(o.begin(), o.end());
        if (!ok)
          d.clear();
      }
      // Best effort and never blocking: a broker that stopped reading must
      // not hang the load generator's exit.
      socket_.non_blocking(true, ignored);
      socket_.write_some(asio::buffer(d), ignored);
    } catch (...) {
    }
  }
  if (opts_.reset_on_close) {
    // RST instead of FIN: no TIME_WAIT, so the next storm finds free ports.
    socket_.set_option(asio::socket_base::linger(true, 0), ignored);
  } else {
    socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  }
  socket_.close(ignored);
}

}  // namespace iotb::loadgen
