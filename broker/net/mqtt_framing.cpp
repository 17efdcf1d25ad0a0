#include "broker/net/mqtt_framing.hpp"

namespace iotb::net {

namespace {

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

bool mqtt_framing::first_packet(const mqtt::frame& f, framing_output& out) {
  connect_attempt a;
  if (f.header.type != mqtt::packet_type::connect) {
    a.not_connect = true;
    a.error = {mqtt::errc::protocol_error, "first packet is not CONNECT"};
    out.connect = std::move(a);
    broken_ = true;
    return false;
  }
  auto c = mqtt::decode_connect(f.header.flags, f.body);
  if (!c) {
    a.error = c.error();
    a.level = peek_connect_level(f.body);
    out.connect = std::move(a);
    broken_ = true;
    return false;
  }
  version_ = c->ver;
  got_connect_ = true;
  paused_ = true;
  a.connect = std::move(*c);
  out.connect = std::move(a);
  return true;
}

void mqtt_framing::feed(std::span<const std::uint8_t> data, framing_output& out) {
  if (broken_)
    return;
  bool from_partial = !partial_.empty();
  if (from_partial)
    partial_.insert(partial_.end(), data.begin(), data.end());
  std::span<const std::uint8_t> in = from_partial ? std::span<const std::uint8_t>{partial_} : data;
  std::size_t off = 0;
  while (off < in.size() && !paused_) {
    auto f = mqtt::next_frame(in.subspan(off), got_connect_ ? max_packet_ : max_connect_);
    if (!f) {
      if (f.error().code == mqtt::errc::need_more)
        break;
      broken_ = true;
      if (!got_connect_) {
        connect_attempt a;
        a.error = f.error();
        out.connect = std::move(a);
      } else {
        out.error = f.error();
      }
      return;
    }
    if (!got_connect_) {
      off += f->total;
      if (!first_packet(*f, out))
        return;
      continue;  // paused: the rest waits in partial_ until resume()
    }
    auto p = mqtt::decode_packet(f->header, f->body, version_);
    if (!p) {
      broken_ = true;
      out.error = p.error();
      return;
    }
    out.batch.push_back(std::move(*p));
    off += f->total;
  }
  if (from_partial) {
    partial_.erase(partial_.begin(), partial_.begin() + static_cast<std::ptrdiff_t>(off));
  } else {
    partial_.assign(in.begin() + static_cast<std::ptrdiff_t>(off), in.end());
  }
  if (partial_.empty() && partial_.capacity() > 4096)
    partial_.shrink_to_fit();
}

}  // namespace iotb::net
