#pragma once
/// @file
/// TLS as an Asio/Beast stream: `tls::tls_engine` (memory BIOs, BoringSSL)
/// over a `beast::tcp_stream`. It models Asio's AsyncReadStream and
/// AsyncWriteStream, so `beast::http::async_read`/`async_write` and
/// `beast::websocket::stream<tls_stream>` run over it unchanged; timeouts
/// stay those of the `tcp_stream` underneath (`beast::get_lowest_layer`).
///
/// Why not `boost::asio::ssl::stream`: it needs OpenSSL's headers and
/// symbols, and BoringSSL (whose symbols are unversioned) is the only
/// OpenSSL-API library the broker may load. Every OpenSSL-API call stays
/// in broker/tls/; this adapter only moves bytes between the socket and
/// the engine.
///
/// Use (server side): `async_handshake`, then reads and writes, then
/// optionally `async_shutdown` (sends close_notify) before closing the
/// lowest layer.
///
/// Concurrency: as any Asio stream — at most one read and one write in
/// flight, all operations and their handlers on the stream's executor
/// (a strand). The handshake and shutdown are never concurrent with a
/// write. A read never writes to the socket: what the engine must send
/// after the handshake (a TLS 1.3 KeyUpdate answer) goes out with the
/// next write.
///
/// Memory: a read takes at most `read_chunk` bytes of ciphertext from the
/// socket and only when no plaintext is buffered, so a connection holds at
/// most about one record's worth of plaintext beyond what its reader asked
/// for; a write encrypts at most `write_chunk` bytes per call.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <vector>

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/compose.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/role.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/websocket/teardown.hpp>
#include <boost/system/error_code.hpp>

namespace iotb::tls {
class tls_context;
class tls_engine;
}  // namespace iotb::tls

namespace iotb::net {

/// Errors of a `tls_stream` (category "iotb.tls_stream").
enum class tls_stream_errc {
  /// The handshake failed (a bad or unexpected ClientHello, no shared
  /// cipher, a refused certificate); `tls_stream::error()` says why.
  handshake_failed = 1,
  /// The peer sent plaintext HTTP to the TLS port (a request line where a
  /// ClientHello belongs); the caller may answer it in plaintext.
  plaintext_http,
  /// A fatal error after the handshake (bad MAC, garbage records).
  bad_record,
  /// A write after `async_shutdown`, or on an engine that could not be
  /// made (out of memory).
  not_open,
};

/// The error category of `tls_stream_errc`.
[[nodiscard]] const boost::system::error_category& tls_stream_category() noexcept;
/// Makes an error_code of `e` (found by ADL).
[[nodiscard]] inline boost::system::error_code make_error_code(tls_stream_errc e) noexcept {
  return {static_cast<int>(e), tls_stream_category()};
}

}  // namespace iotb::net

template <>
struct boost::system::is_error_code_enum<iotb::net::tls_stream_errc> : std::true_type {};

namespace iotb::net {

class tls_stream {
 public:
  using next_layer_type = boost::beast::tcp_stream;
  using executor_type = next_layer_type::executor_type;
  using error_code = boost::system::error_code;

  /// Ciphertext read from the socket at once.
  static constexpr std::size_t read_chunk = 16 * 1024 + 512;
  /// Plaintext encrypted by one `async_write_some`.
  static constexpr std::size_t write_chunk = std::size_t{64} * 1024;

  /// A server session of `ctx` over `next` (a connected TCP stream).
  tls_stream(next_layer_type next, std::shared_ptr<const tls::tls_context> ctx);
  ~tls_stream();
  tls_stream(tls_stream&&) noexcept;
  tls_stream& operator=(tls_stream&&) = delete;  // as beast::tcp_stream's

  [[nodiscard]] executor_type get_executor() noexcept { return next_.get_executor(); }
  [[nodiscard]] next_layer_type& next_layer() noexcept { return next_; }
  [[nodiscard]] const next_layer_type& next_layer() const noexcept { return next_; }

  /// Why the engine failed ("http request", "no shared cipher", ...), or
  /// empty.
  [[nodiscard]] std::string_view error() const noexcept;
  /// "TLSv1.2" or "TLSv1.3" once the handshake is done, else empty.
  [[nodiscard]] std::string_view version() const noexcept;

  /// Runs the server handshake: `void(error_code)`. Errors:
  /// `tls_stream_errc::handshake_failed` or `plaintext_http` (any alert is
  /// sent first), or the socket's (`beast::error::timeout`,
  /// `asio::error::eof`, ...).
  template <class Handler>
  auto async_handshake(Handler&& handler) {
    return boost::asio::async_compose<Handler, void(error_code)>(handshake_op{this}, handler,
                                                                 next_);
  }

  /// Reads plaintext: `void(error_code, std::size_t)`. Errors:
  /// `asio::error::eof` after the peer's close_notify (or its TCP FIN),
  /// `tls_stream_errc::bad_record`, or the socket's.
  template <class MutableBuffers, class Handler>
  auto async_read_some(const MutableBuffers& buffers, Handler&& handler) {
    return boost::asio::async_compose<Handler, void(error_code, std::size_t)>(
        read_op<MutableBuffers>{this, buffers}, handler, next_);
  }

  /// Encrypts up to `write_chunk` bytes of `buffers` and sends them (with
  /// anything the engine queued before): `void(error_code, std::size_t)`.
  template <class ConstBuffers, class Handler>
  auto async_write_some(const ConstBuffers& buffers, Handler&& handler) {
    return boost::asio::async_compose<Handler, void(error_code, std::size_t)>(
        write_op<ConstBuffers>{this, buffers}, handler, next_);
  }

  /// Sends close_notify (when the handshake completed and nothing failed):
  /// `void(error_code)`. Later writes fail with `not_open`; the socket
  /// stays open (close the lowest layer, or shut down its send side).
  template <class Handler>
  auto async_shutdown(Handler&& handler) {
    return boost::asio::async_compose<Handler, void(error_code)>(shutdown_op{this}, handler, next_);
  }

 private:
  // The engine steps, written once (tls_stream.cpp).
  /// Feeds `n` bytes of `in_` to the engine and decrypts what it can.
  void absorb(std::size_t n);
  /// Encrypts `plain`; false when the engine refuses (closed or failed).
  [[nodiscard]] bool encrypt(std::span<const std::uint8_t> plain);
  /// Moves the engine's pending output into `out_`; false if there is none.
  [[nodiscard]] bool take_output();
  /// Queues close_notify; false when there is nothing to send.
  [[nodiscard]] bool queue_shutdown();
  [[nodiscard]] bool handshake_done() const noexcept;
  [[nodiscard]] bool failed() const noexcept;
  /// The error for a failed engine (handshake or record).
  [[nodiscard]] error_code failure() const noexcept;
  /// Copies buffered plaintext into `dst`; returns how much.
  std::size_t take_plain(const boost::asio::mutable_buffer& dst) noexcept;
  [[nodiscard]] bool has_plain() const noexcept { return plain_pos_ < plain_.size(); }

  struct handshake_op {
    tls_stream* s;
    bool reading = false;
    template <class Self>
    void operator()(Self& self, error_code ec = {}, std::size_t n = 0) {
      if (ec)
        return self.complete(ec);
      if (reading)
        s->absorb(n);
      reading = false;
      // Plaintext HTTP gets no alert: the caller may answer it in HTTP.
      if (s->failed() && s->failure() == tls_stream_errc::plaintext_http)
        return self.complete(s->failure());
      if (s->take_output())  // handshake messages, or an alert before failing
        return boost::asio::async_write(s->next_, boost::asio::buffer(s->out_), std::move(self));
      if (s->failed())
        return self.complete(s->failure());
      if (s->handshake_done())
        return self.complete(error_code{});
      reading = true;
      s->next_.async_read_some(boost::asio::buffer(s->in_), std::move(self));
    }
  };

  template <class MutableBuffers>
  struct read_op {
    tls_stream* s;
    MutableBuffers buffers;
    bool reading = false;
    template <class Self>
    void operator()(Self& self, error_code ec = {}, std::size_t n = 0) {
      if (reading) {
        reading = false;
        if (ec)
          return self.complete(ec, 0);
        s->absorb(n);
      }
      if (boost::asio::buffer_size(buffers) == 0)
        return self.complete(error_code{}, 0);
      if (s->has_plain()) {
        std::size_t got = 0;
        for (auto it = boost::asio::buffer_sequence_begin(buffers);
             it != boost::asio::buffer_sequence_end(buffers) && s->has_plain(); ++it)
          got += s->take_plain(*it);
        return self.complete(error_code{}, got);
      }
      if (s->failed())
        return self.complete(s->failure(), 0);
      if (s->peer_closed_)
        return self.complete(boost::asio::error::eof, 0);
      reading = true;
      s->next_.async_read_some(boost::asio::buffer(s->in_), std::move(self));
    }
  };

  template <class ConstBuffers>
  struct write_op {
    tls_stream* s;
    ConstBuffers buffers;
    std::size_t sent = 0;
    bool writing = false;
    template <class Self>
    void operator()(Self& self, error_code ec = {}, std::size_t = 0) {
      if (writing)
        return self.complete(ec, ec ? 0 : sent);
      std::size_t left = write_chunk;
      for (auto it = boost::asio::buffer_sequence_begin(buffers);
           it != boost::asio::buffer_sequence_end(buffers) && left > 0; ++it) {
        boost::asio::const_buffer b = *it;
        auto take = std::min(b.size(), left);
        if (!s->encrypt({static_cast<const std::uint8_t*>(b.data()), take}))
          return self.complete(
              s->failed() ? s->failure() : make_error_code(tls_stream_errc::not_open), 0);
        sent += take;
        left -= take;
      }
      if (!s->take_output())
        return self.complete(error_code{}, sent);
      writing = true;
      boost::asio::async_write(s->next_, boost::asio::buffer(s->out_), std::move(self));
    }
  };

  struct shutdown_op {
    tls_stream* s;
    bool writing = false;
    template <class Self>
    void operator()(Self& self, error_code ec = {}, std::size_t = 0) {
      if (writing || !s->queue_shutdown() || !s->take_output())
        return self.complete(ec);
      writing = true;
      boost::asio::async_write(s->next_, boost::asio::buffer(s->out_), std::move(self));
    }
  };

  next_layer_type next_;
  std::unique_ptr<tls::tls_engine> engine_;
  std::vector<std::uint8_t> in_;     // ciphertext read (read_chunk)
  std::vector<std::uint8_t> out_;    // ciphertext being written
  std::vector<std::uint8_t> plain_;  // decrypted, not yet read
  std::size_t plain_pos_ = 0;
  bool peer_closed_ = false;
};

/// WebSocket teardown over TLS (found by ADL from `websocket::stream`):
/// close_notify, then the TCP teardown (FIN, drain, close).
template <class Handler>
void async_teardown(boost::beast::role_type role, tls_stream& s, Handler&& handler) {
  auto ex = boost::asio::get_associated_executor(handler, s.get_executor());
  s.async_shutdown(boost::asio::bind_executor(
      ex, [&s, role, h = std::forward<Handler>(handler)](boost::system::error_code) mutable {
        boost::beast::websocket::async_teardown(role, s.next_layer().socket(), std::move(h));
      }));
}

/// Synchronous teardown (Beast requires it to exist; the broker never
/// calls it): closes the socket.
void teardown(boost::beast::role_type role, tls_stream& s, boost::system::error_code& ec);

}  // namespace iotb::net
