#include "broker/net/tls_layer.hpp"

#include "broker/tls/engine.hpp"

namespace iotb::net {

using tls::tls_engine;

tls_layer::tls_layer(std::shared_ptr<const tls::tls_context> ctx)
    : engine_(tls_engine::make(std::move(ctx))) {}

tls_layer::~tls_layer() = default;

layer_status tls_layer::decode(std::span<const std::uint8_t> in, std::vector<std::uint8_t>& up) {
  if (!engine_) {
    error_ = "tls: no engine";
    return layer_status::failed;
  }
  auto st = engine_->feed(in);
  if (st != tls_engine::status::failed)
    if (auto r = engine_->read_plain(up);
        r == tls_engine::status::failed || r == tls_engine::status::closed)
      st = r;
  if (st == tls_engine::status::failed) {
    error_ = "TLS failed: " + std::string(engine_->error());
    return layer_status::failed;
  }
  if (st == tls_engine::status::closed) {
    error_ = "TLS close_notify";
    return layer_status::closed;
  }
  return layer_status::ok;
}

layer_status tls_layer::encode(const iovec* iov, std::size_t n) {
  if (!engine_)
    return layer_status::failed;
  for (std::size_t i = 0; i < n; ++i) {
    auto st =
        engine_->write_plain({static_cast<const std::uint8_t*>(iov[i].iov_base), iov[i].iov_len});
    if (st == tls_engine::status::failed)
      return layer_status::failed;
    if (st == tls_engine::status::closed)
      return layer_status::closed;
  }
  return layer_status::ok;
}

void tls_layer::shutdown() {
  // A normal close ends the TLS session with close_notify, so the peer can
  // tell it from a truncation attack.
  if (engine_ && engine_->handshake_done() && !engine_->failed())
    (void)engine_->shutdown();
}

std::span<const std::uint8_t> tls_layer::output() const noexcept {
  if (!engine_)
    return {};
  return engine_->output();
}

void tls_layer::consume_output(std::size_t n) noexcept {
  if (engine_)
    engine_->consume_output(n);
}

}  // namespace iotb::net
