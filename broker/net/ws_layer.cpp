#include "broker/net/ws_layer.hpp"

#include <algorithm>
#include <cstring>

#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

#include "broker/tls/digest.hpp"

namespace iotb::net {

namespace http = boost::beast::http;

namespace {

constexpr std::uint8_t op_continuation = 0x0;
constexpr std::uint8_t op_text = 0x1;
constexpr std::uint8_t op_binary = 0x2;
constexpr std::uint8_t op_close = 0x8;
constexpr std::uint8_t op_ping = 0x9;
constexpr std::uint8_t op_pong = 0xA;

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

/// The MQTT subprotocol among those offered ("mqtt, mqttv3.1"), or empty.
std::string pick_subprotocol(std::string_view offered) {
  std::string_view fallback;
  while (!offered.empty()) {
    auto comma = offered.find(',');
    auto tok = trim(offered.substr(0, comma));
    offered = comma == std::string_view::npos ? std::string_view{} : offered.substr(comma + 1);
    if (iequals(tok, "mqtt"))
      return std::string(tok);
    if (iequals(tok, "mqttv3.1") && fallback.empty())
      fallback = tok;
  }
  return std::string(fallback);
}

std::string_view printable(std::string_view s) {
  return s.substr(0, 80);
}

}  // namespace

layer_status ws_layer::decode(std::span<const std::uint8_t> in, std::vector<std::uint8_t>& up) {
  switch (state_) {
    case state::handshake:
      return handshake(in, up);
    case state::open:
      return frames(in, up);
    case state::closed:
      return layer_status::closed;
  }
  return layer_status::failed;
}

layer_status ws_layer::handshake(std::span<const std::uint8_t> in, std::vector<std::uint8_t>& up) {
  auto before = request_.size();
  request_.append(reinterpret_cast<const char*>(in.data()), in.size());
  // The end of the header block may straddle two reads.
  auto from = before >= 3 ? before - 3 : 0;
  auto end = request_.find("\r\n\r\n", from);
  if (end == std::string::npos) {
    if (request_.size() > opts_.max_handshake)
      return refuse(431, "Request Header Fields Too Large",
                    "websocket: upgrade request larger than " +
                        std::to_string(opts_.max_handshake) + " bytes");
    return layer_status::ok;
  }
  auto len = end + 4;
  if (len > opts_.max_handshake)
    return refuse(
        431, "Request Header Fields Too Large",
        "websocket: upgrade request larger than " + std::to_string(opts_.max_handshake) + " bytes");
  auto st = upgrade(len);
  if (st != layer_status::ok)
    return st;
  // Frames the client sent right behind its request.
  std::string rest = request_.substr(len);
  request_.clear();
  request_.shrink_to_fit();
  if (rest.empty())
    return layer_status::ok;
  return frames({reinterpret_cast<const std::uint8_t*>(rest.data()), rest.size()}, up);
}

layer_status ws_layer::upgrade(std::size_t len) {
  http::request_parser<http::empty_body> parser;
  parser.header_limit(static_cast<std::uint32_t>(opts_.max_handshake));
  parser.eager(true);
  boost::beast::error_code ec;
  parser.put(boost::asio::buffer(request_.data(), len), ec);
  if (ec || !parser.is_header_done())
    return refuse(400, "Bad Request",
                  "websocket: malformed upgrade request" + (ec ? ": " + ec.message() : ""));
  const auto& req = parser.get();
  auto target = std::string_view(req.target());
  auto path = target.substr(0, target.find('?'));
  if (req.method() != http::verb::get)
    return refuse(405, "Method Not Allowed",
                  "websocket: upgrade with method " + std::string(req.method_string()));
  if (path != opts_.path)
    return refuse(404, "Not Found",
                  "websocket: upgrade for path '" + std::string(printable(path)) + "', not '" +
                      opts_.path + "'");
  if (!boost::beast::websocket::is_upgrade(req))
    return refuse(400, "Bad Request", "websocket: not a WebSocket upgrade request");
  if (req[http::field::sec_websocket_version] != "13")
    return refuse(426, "Upgrade Required",
                  "websocket: unsupported version '" +
                      std::string(printable(req[http::field::sec_websocket_version])) + "'",
                  "Sec-WebSocket-Version: 13\r\n");
  auto key = trim(req[http::field::sec_websocket_key]);
  auto raw = tls::base64_decode(key);
  if (!raw || raw->size() != 16)
    return refuse(400, "Bad Request", "websocket: bad Sec-WebSocket-Key");
  subprotocol_ = pick_subprotocol(req[http::field::sec_websocket_protocol]);
  if (subprotocol_.empty())
    return refuse(400, "Bad Request",
                  "websocket: no 'mqtt' subprotocol offered (Sec-WebSocket-Protocol: '" +
                      std::string(printable(req[http::field::sec_websocket_protocol])) + "')");
  std::string resp =
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Accept: " +
      tls::websocket_accept(key) + "\r\nSec-WebSocket-Protocol: " + subprotocol_ + "\r\n\r\n";
  out_.insert(out_.end(), resp.begin(), resp.end());
  state_ = state::open;
  return layer_status::ok;
}

layer_status ws_layer::frames(std::span<const std::uint8_t> in, std::vector<std::uint8_t>& up) {
  std::size_t i = 0;
  while (i < in.size() && state_ == state::open) {
    if (in_header_) {
      if (!header_.feed(in, i))
        break;
      if (auto st = start_frame(header_.header()); st != layer_status::ok)
        return st;
      if (remaining_ != 0)
        continue;
      // An empty frame is complete at once.
    } else {
      auto take = static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, in.size() - i));
      auto* dst_vec = (opcode_ & 0x8) ? &control_ : &up;
      auto at = dst_vec->size();
      dst_vec->resize(at + take);
      auto* dst = dst_vec->data() + at;
      for (std::size_t k = 0; k < take; ++k)
        dst[k] = in[i + k] ^ mask_[(mask_pos_ + k) & 3];
      mask_pos_ += take;
      remaining_ -= take;
      i += take;
      if (remaining_ != 0)
        break;
    }
    // The frame is complete.
    in_header_ = true;
    header_.reset();
    if (opcode_ & 0x8)
      if (auto st = end_control(); st != layer_status::ok)
        return st;
  }
  return state_ == state::closed ? layer_status::closed : layer_status::ok;
}

layer_status ws_layer::start_frame(const ws_frame_header& h) {
  fin_ = h.fin;
  opcode_ = h.opcode;
  if (h.reserved)
    return protocol_error(close_protocol_error, "websocket: reserved bits set");
  if (!h.masked)
    return protocol_error(close_protocol_error, "websocket: unmasked frame from a client");
  if (h.length >> 63)
    return protocol_error(close_protocol_error, "websocket: frame length with the top bit set");
  std::memcpy(mask_, h.mask, 4);
  mask_pos_ = 0;
  const auto len = h.length;
  remaining_ = len;
  in_header_ = false;
  switch (opcode_) {
    case op_text:
      return protocol_error(close_unsupported_data, "websocket: text frame (MQTT needs binary)");
    case op_binary:
      if (in_message_)
        return protocol_error(close_protocol_error,
                              "websocket: new message inside a fragmented one");
      in_message_ = !fin_;
      break;
    case op_continuation:
      if (!in_message_)
        return protocol_error(close_protocol_error, "websocket: continuation without a message");
      in_message_ = !fin_;
      break;
    case op_close:
    case op_ping:
    case op_pong:
      if (!fin_ || len > 125)
        return protocol_error(close_protocol_error, "websocket: bad control frame");
      control_.clear();
      return layer_status::ok;
    default:
      return protocol_error(close_protocol_error,
                            "websocket: unknown opcode " + std::to_string(opcode_));
  }
  if (len > opts_.max_frame)
    return protocol_error(close_too_big, "websocket: frame of " + std::to_string(len) +
                                             " bytes, more than " +
                                             std::to_string(opts_.max_frame));
  return layer_status::ok;
}

layer_status ws_layer::end_control() {
  if (opcode_ == op_ping) {
    iovec v{control_.data(), control_.size()};
    put_frame(op_pong, &v, 1);
    return layer_status::ok;
  }
  if (opcode_ == op_pong)
    return layer_status::ok;
  // Close: answer with the peer's code and end.
  std::uint16_t code = close_normal;
  if (control_.size() == 1)
    return protocol_error(close_protocol_error, "websocket: close frame of one byte");
  if (control_.size() >= 2)
    code = static_cast<std::uint16_t>((control_[0] << 8) | control_[1]);
  if (!close_sent_)
    put_close(code, {});
  state_ = state::closed;
  error_ = "websocket: close " + std::to_string(code) + " from the peer";
  return layer_status::closed;
}

layer_status ws_layer::encode(const iovec* iov, std::size_t n) {
  if (state_ == state::closed)
    return layer_status::closed;
  if (state_ != state::open)
    return layer_status::failed;
  put_frame(op_binary, iov, n);
  return layer_status::ok;
}

void ws_layer::put_frame(std::uint8_t opcode, const iovec* iov, std::size_t n) {
  std::uint64_t len = 0;
  for (std::size_t i = 0; i < n; ++i)
    len += iov[i].iov_len;
  if (out_pos_ == out_.size()) {
    out_.clear();
    out_pos_ = 0;
  }
  out_.push_back(static_cast<std::uint8_t>(0x80 | opcode));
  if (len < 126) {
    out_.push_back(static_cast<std::uint8_t>(len));
  } else if (len <= 0xFFFF) {
    out_.push_back(126);
    out_.push_back(static_cast<std::uint8_t>(len >> 8));
    out_.push_back(static_cast<std::uint8_t>(len));
  } else {
    out_.push_back(127);
    for (int k = 7; k >= 0; --k)
      out_.push_back(static_cast<std::uint8_t>(len >> (8 * k)));
  }
  for (std::size_t i = 0; i < n; ++i) {
    auto* p = static_cast<const std::uint8_t*>(iov[i].iov_base);
    out_.insert(out_.end(), p, p + iov[i].iov_len);
  }
}

void ws_layer::put_close(std::uint16_t code, std::string_view reason) {
  reason = reason.substr(0, 123);
  std::uint8_t c[2] = {static_cast<std::uint8_t>(code >> 8), static_cast<std::uint8_t>(code)};
  iovec v[2] = {{c, 2}, {const_cast<char*>(reason.data()), reason.size()}};
  put_frame(op_close, v, 2);
  close_sent_ = true;
}

void ws_layer::shutdown() {
  if (state_ == state::open && !close_sent_)
    put_close(close_normal, {});
  if (state_ == state::open)
    state_ = state::closed;
}

void ws_layer::consume_output(std::size_t n) noexcept {
  out_pos_ = std::min(out_.size(), out_pos_ + n);
  if (out_pos_ == out_.size()) {
    out_.clear();
    out_pos_ = 0;
    if (out_.capacity() > 256 * 1024)
      out_.shrink_to_fit();
  }
}

layer_status ws_layer::refuse(int status, std::string_view reason, std::string why,
                              std::string_view extra_header) {
  std::string body = std::string(reason) + "\n";
  std::string resp = "HTTP/1.1 " + std::to_string(status) + " " + std::string(reason) +
                     "\r\nConnection: close\r\nContent-Type: text/plain\r\n" +
                     std::string(extra_header) + "Content-Length: " + std::to_string(body.size()) +
                     "\r\n\r\n" + body;
  out_.insert(out_.end(), resp.begin(), resp.end());
  state_ = state::closed;
  close_sent_ = true;  // no WebSocket close on an HTTP refusal
  error_ = std::move(why);
  return layer_status::failed;
}

layer_status ws_layer::protocol_error(std::uint16_t code, std::string why) {
  if (!close_sent_)
    put_close(code, why.substr(why.find(' ') + 1));
  state_ = state::closed;
  error_ = std::move(why);
  return layer_status::failed;
}

}  // namespace iotb::net
