#include "broker/net/tls_stream.hpp"

#include <algorithm>
#include <cstring>
#include <string>

#include "broker/tls/engine.hpp"

namespace iotb::net {

using tls::tls_engine;

namespace {

class category final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "iotb.tls_stream"; }
  std::string message(int ev) const override {
    switch (static_cast<tls_stream_errc>(ev)) {
      case tls_stream_errc::handshake_failed:
        return "TLS handshake failed";
      case tls_stream_errc::plaintext_http:
        return "plaintext HTTP on the TLS port";
      case tls_stream_errc::bad_record:
        return "bad TLS record";
      case tls_stream_errc::not_open:
        return "TLS stream not open";
    }
    return "unknown TLS stream error";
  }
};

}  // namespace

const boost::system::error_category& tls_stream_category() noexcept {
  static const category c;
  return c;
}

tls_stream::tls_stream(next_layer_type next, std::shared_ptr<const tls::tls_context> ctx)
    : next_(std::move(next)), engine_(tls_engine::make(std::move(ctx))), in_(read_chunk) {}

tls_stream::~tls_stream() = default;
tls_stream::tls_stream(tls_stream&&) noexcept = default;

std::string_view tls_stream::error() const noexcept {
  return engine_ ? engine_->error() : std::string_view{"no engine"};
}

std::string_view tls_stream::version() const noexcept {
  return engine_ ? engine_->version() : std::string_view{};
}

void tls_stream::absorb(std::size_t n) {
  if (!engine_ || engine_->failed())
    return;
  auto st = engine_->feed({in_.data(), std::min(n, in_.size())});
  if (st == tls_engine::status::failed)
    return;
  // Also during the handshake: the records that complete it may carry data.
  if (plain_pos_ == plain_.size()) {
    plain_.clear();
    plain_pos_ = 0;
  }
  if (engine_->read_plain(plain_) == tls_engine::status::closed)
    peer_closed_ = true;
}

bool tls_stream::encrypt(std::span<const std::uint8_t> plain) {
  return engine_ && engine_->write_plain(plain) == tls_engine::status::ok;
}

bool tls_stream::take_output() {
  if (!engine_ || !engine_->has_output())
    return false;
  auto o = engine_->output();
  out_.assign(o.begin(), o.end());
  engine_->consume_output(o.size());
  return true;
}

bool tls_stream::queue_shutdown() {
  // Only an established, healthy session ends with close_notify.
  return engine_ && engine_->handshake_done() && !engine_->failed() &&
         engine_->shutdown() == tls_engine::status::ok;
}

bool tls_stream::handshake_done() const noexcept {
  return engine_ && engine_->handshake_done();
}

bool tls_stream::failed() const noexcept {
  return !engine_ || engine_->failed();
}

boost::system::error_code tls_stream::failure() const noexcept {
  if (!engine_)
    return make_error_code(tls_stream_errc::not_open);
  if (engine_->handshake_done())
    return make_error_code(tls_stream_errc::bad_record);
  if (engine_->error() == "http request")
    return make_error_code(tls_stream_errc::plaintext_http);
  return make_error_code(tls_stream_errc::handshake_failed);
}

std::size_t tls_stream::take_plain(const boost::asio::mutable_buffer& dst) noexcept {
  auto n = std::min(dst.size(), plain_.size() - plain_pos_);
  if (n != 0)
    std::memcpy(dst.data(), plain_.data() + plain_pos_, n);
  plain_pos_ += n;
  return n;
}

void teardown(boost::beast::role_type role, tls_stream& s, boost::system::error_code& ec) {
  (void)role;
  s.next_layer().socket().close(ec);
}

}  // namespace iotb::net
