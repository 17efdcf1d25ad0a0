#pragma once
/// @file
/// TLS as a stream layer: `tls::tls_engine` (memory BIOs) behind the
/// `stream_layer` interface.

#include <memory>
#include <string>

#include "broker/net/stream_layer.hpp"

namespace iotb::tls {
class tls_context;
class tls_engine;
}  // namespace iotb::tls

namespace iotb::net {

class tls_layer final : public stream_layer {
 public:
  /// A server-side session of `ctx`. Never null engine: a failed
  /// allocation makes every call fail.
  explicit tls_layer(std::shared_ptr<const tls::tls_context> ctx);
  ~tls_layer() override;

  layer_status decode(std::span<const std::uint8_t> in, std::vector<std::uint8_t>& up) override;
  layer_status encode(const iovec* iov, std::size_t n) override;
  void shutdown() override;
  [[nodiscard]] std::span<const std::uint8_t> output() const noexcept override;
  void consume_output(std::size_t n) noexcept override;
  [[nodiscard]] std::string_view error() const noexcept override { return error_; }

 private:
  std::unique_ptr<tls::tls_engine> engine_;
  std::string error_;
};

}  // namespace iotb::net
