/// @file
/// WebSocket client layer (see ws_client.hpp).

#include "tools/loadgen/ws_client.hpp"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <string_view>

#include "broker/tls/digest.hpp"
#include "broker/tls/random.hpp"

namespace iotb::loadgen {

using net::layer_status;

namespace {

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

/// True when the comma-separated `list` holds `token` (case-insensitive).
bool has_token(std::string_view list, std::string_view token) {
  while (!list.empty()) {
    auto comma = list.find(',');
    if (iequals(trim(list.substr(0, comma)), token))
      return true;
    list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
  }
  return false;
}

std::uint8_t hex_value(char c) {
  return static_cast<std::uint8_t>(c <= '9' ? c - '0' : c - 'a' + 10);
}

/// XORs `n` bytes at `p` with the 4-byte `mask`, eight bytes at a time.
void apply_mask(std::uint8_t* p, std::size_t n, const std::uint8_t* mask) {
  std::uint8_t m8[8];
  for (int k = 0; k < 8; ++k)
    m8[k] = mask[k & 3];
  std::uint64_t m;
  std::memcpy(&m, m8, 8);
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    std::uint64_t v;
    std::memcpy(&v, p + i, 8);
    v ^= m;
    std::memcpy(p + i, &v, 8);
  }
  for (; i < n; ++i)
    p[i] ^= mask[i & 3];
}

}  // namespace

ws_client_layer::ws_client_layer(options opts) : opts_(std::move(opts)) {
  // 16 bytes for the key, 8 to seed the masking keys.
  auto hex = tls::random_hex(24);
  std::string raw(24, '\0');
  for (std::size_t i = 0; i < 24; ++i)
    raw[i] = static_cast<char>(hex_value(hex[2 * i]) << 4 | hex_value(hex[2 * i + 1]));
  key_ = tls::base64_encode(std::string_view(raw).substr(0, 16));
  std::memcpy(&rng_, raw.data() + 16, 8);
  rng_ |= 1;  // xorshift needs a non-zero state
  std::string req =
      "GET " + opts_.path + " HTTP/1.1\r\nHost: " + opts_.host +
      "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " + key_ +
      "\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: " + opts_.subprotocol + "\r\n\r\n";
  out_.assign(req.begin(), req.end());
}

layer_status ws_client_layer::decode(std::span<const std::uint8_t> in,
                                     std::vector<std::uint8_t>& up) {
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

layer_status ws_client_layer::handshake(std::span<const std::uint8_t> in,
                                        std::vector<std::uint8_t>& up) {
  auto before = response_.size();
  response_.append(reinterpret_cast<const char*>(in.data()), in.size());
  // The end of the header block may straddle two reads.
  auto end = response_.find("\r\n\r\n", before >= 3 ? before - 3 : 0);
  if (end == std::string::npos || end + 4 > opts_.max_handshake) {
    if (response_.size() > opts_.max_handshake)
      return fail("websocket: upgrade answer larger than " + std::to_string(opts_.max_handshake) +
                  " bytes");
    return layer_status::ok;
  }
  auto len = end + 4;
  if (auto st = check_answer(len); st != layer_status::ok)
    return st;
  // Frames the server sent right behind its answer.
  std::string rest = response_.substr(len);
  response_.clear();
  response_.shrink_to_fit();
  state_ = state::open;
  established_ = true;
  if (!pending_.empty()) {
    put_data(pending_);
    pending_.clear();
    pending_.shrink_to_fit();
  }
  if (rest.empty())
    return layer_status::ok;
  return frames({reinterpret_cast<const std::uint8_t*>(rest.data()), rest.size()}, up);
}

layer_status ws_client_layer::check_answer(std::size_t len) {
  std::string_view text(response_.data(), len - 2);  // each line ends with CRLF
  auto line_end = text.find("\r\n");
  auto status = text.substr(0, line_end);
  // "HTTP/1.1 101 Switching Protocols"
  if (status.size() < 12 || status.substr(0, 5) != "HTTP/" || status.substr(8, 4) != " 101")
    return fail("websocket: upgrade refused: '" + std::string(status.substr(0, 80)) + "'");
  bool upgrade = false;
  bool connection = false;
  std::string_view accept;
  std::string_view protocol;
  auto rest = text.substr(line_end + 2);
  while (!rest.empty()) {
    auto eol = rest.find("\r\n");
    auto line = rest.substr(0, eol);
    rest = eol == std::string_view::npos ? std::string_view{} : rest.substr(eol + 2);
    auto colon = line.find(':');
    if (colon == std::string_view::npos)
      return fail("websocket: malformed header line in the upgrade answer");
    auto name = line.substr(0, colon);
    auto value = trim(line.substr(colon + 1));
    if (iequals(name, "Upgrade"))
      upgrade = iequals(value, "websocket");
    else if (iequals(name, "Connection"))
      connection = has_token(value, "upgrade");
    else if (iequals(name, "Sec-WebSocket-Accept"))
      accept = value;
    else if (iequals(name, "Sec-WebSocket-Protocol"))
      protocol = value;
  }
  if (!upgrade || !connection)
    return fail("websocket: the answer lacks 'Upgrade: websocket' or 'Connection: Upgrade'");
  if (accept != tls::websocket_accept(key_))
    return fail("websocket: wrong Sec-WebSocket-Accept");
  if (!iequals(protocol, opts_.subprotocol))
    return fail("websocket: the server chose subprotocol '" + std::string(protocol.substr(0, 40)) +
                "', not '" + opts_.subprotocol + "'");
  return layer_status::ok;
}

layer_status ws_client_layer::frames(std::span<const std::uint8_t> in,
                                     std::vector<std::uint8_t>& up) {
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
      // Server frames are not masked: the payload is the stream itself.
      auto take = static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, in.size() - i));
      auto& dst = (opcode_ & 0x8) ? control_ : up;
      dst.insert(dst.end(), in.begin() + static_cast<std::ptrdiff_t>(i),
                 in.begin() + static_cast<std::ptrdiff_t>(i + take));
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

layer_status ws_client_layer::start_frame(const net::ws_frame_header& h) {
  bool fin = h.fin;
  opcode_ = h.opcode;
  if (h.reserved)
    return fail("websocket: reserved bits set");
  if (h.masked)
    return fail("websocket: masked frame from the server");
  const auto len = h.length;
  remaining_ = len;
  in_header_ = false;
  switch (opcode_) {
    case op_text:
      return fail("websocket: text frame from the server (MQTT needs binary)");
    case op_binary:
      if (in_message_)
        return fail("websocket: new message inside a fragmented one");
      in_message_ = !fin;
      break;
    case op_continuation:
      if (!in_message_)
        return fail("websocket: continuation without a message");
      in_message_ = !fin;
      break;
    case op_close:
    case op_ping:
    case op_pong:
      if (!fin || len > 125)
        return fail("websocket: bad control frame");
      control_.clear();
      return layer_status::ok;
    default:
      return fail("websocket: unknown opcode " + std::to_string(opcode_));
  }
  if (len > opts_.max_frame_in)
    return fail("websocket: frame of " + std::to_string(len) + " bytes, more than " +
                std::to_string(opts_.max_frame_in));
  return layer_status::ok;
}

layer_status ws_client_layer::end_control() {
  if (opcode_ == op_ping) {
    put_masked(op_pong, control_);
    return layer_status::ok;
  }
  if (opcode_ == op_pong)
    return layer_status::ok;
  // Close: echo the code and end.
  std::uint16_t code = 1005;  // no status received
  if (control_.size() >= 2)
    code = static_cast<std::uint16_t>((control_[0] << 8) | control_[1]);
  if (!close_sent_) {
    std::uint8_t c[2] = {static_cast<std::uint8_t>(code >> 8), static_cast<std::uint8_t>(code)};
    put_masked(op_close, std::span<const std::uint8_t>(c, code == 1005 ? 0 : 2));
    close_sent_ = true;
  }
  state_ = state::closed;
  error_ = "websocket: close " + std::to_string(code) + " from the broker";
  return layer_status::closed;
}

layer_status ws_client_layer::encode(const iovec* iov, std::size_t n) {
  if (state_ == state::closed)
    return layer_status::closed;
  if (state_ == state::handshake) {
    for (std::size_t i = 0; i < n; ++i) {
      auto* p = static_cast<const std::uint8_t*>(iov[i].iov_base);
      pending_.insert(pending_.end(), p, p + iov[i].iov_len);
    }
    return layer_status::ok;
  }
  if (n == 1) {
    put_data({static_cast<const std::uint8_t*>(iov[0].iov_base), iov[0].iov_len});
    return layer_status::ok;
  }
  std::vector<std::uint8_t> joined;
  for (std::size_t i = 0; i < n; ++i) {
    auto* p = static_cast<const std::uint8_t*>(iov[i].iov_base);
    joined.insert(joined.end(), p, p + iov[i].iov_len);
  }
  put_data(joined);
  return layer_status::ok;
}

void ws_client_layer::put_data(std::span<const std::uint8_t> payload) {
  while (!payload.empty()) {
    auto take = std::min(payload.size(), opts_.max_frame_out);
    put_masked(op_binary, payload.first(take));
    payload = payload.subspan(take);
  }
}

void ws_client_layer::put_masked(std::uint8_t opcode, std::span<const std::uint8_t> payload) {
  if (out_pos_ == out_.size()) {
    out_.clear();
    out_pos_ = 0;
  }
  std::uint8_t mask[4];
  next_mask(mask);
  put_frame(out_, opcode, payload, mask);
}

void ws_client_layer::put_frame(std::vector<std::uint8_t>& out, std::uint8_t opcode,
                                std::span<const std::uint8_t> payload, const std::uint8_t* mask) {
  auto len = static_cast<std::uint64_t>(payload.size());
  std::uint8_t hdr[14];
  std::size_t h = 0;
  hdr[h++] = static_cast<std::uint8_t>(0x80 | opcode);
  std::uint8_t masked = mask ? 0x80 : 0;
  if (len < 126) {
    hdr[h++] = static_cast<std::uint8_t>(masked | len);
  } else if (len <= 0xFFFF) {
    hdr[h++] = masked | 126;
    hdr[h++] = static_cast<std::uint8_t>(len >> 8);
    hdr[h++] = static_cast<std::uint8_t>(len);
  } else {
    hdr[h++] = masked | 127;
    for (int k = 7; k >= 0; --k)
      hdr[h++] = static_cast<std::uint8_t>(len >> (8 * k));
  }
  if (mask) {
    std::memcpy(hdr + h, mask, 4);
    h += 4;
  }
  out.insert(out.end(), hdr, hdr + h);
  auto at = out.size();
  out.insert(out.end(), payload.begin(), payload.end());
  if (mask)
    apply_mask(out.data() + at, payload.size(), mask);
}

void ws_client_layer::next_mask(std::uint8_t (&mask)[4]) noexcept {
  rng_ ^= rng_ >> 12;
  rng_ ^= rng_ << 25;
  rng_ ^= rng_ >> 27;
  auto v = static_cast<std::uint32_t>((rng_ * 0x2545F4914F6CDD1DULL) >> 32);
  std::memcpy(mask, &v, 4);
}

void ws_client_layer::shutdown() {
  if (state_ == state::open && !close_sent_) {
    std::uint8_t c[2] = {0x03, 0xE8};  // 1000 normal closure
    put_masked(op_close, c);
    close_sent_ = true;
  }
  if (state_ == state::open)
    state_ = state::closed;
}

void ws_client_layer::consume_output(std::size_t n) noexcept {
  out_pos_ = std::min(out_.size(), out_pos_ + n);
  if (out_pos_ == out_.size()) {
    out_.clear();
    out_pos_ = 0;
  }
}

layer_status ws_client_layer::fail(std::string why) {
  state_ = state::closed;
  error_ = std::move(why);
  return layer_status::failed;
}

}  // namespace iotb::loadgen
