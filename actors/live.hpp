#pragma once
/// @file
/// Live data for the admin API: `GET /api/v1/ws` (SPEC §12). A viewer
/// (token in `Authorization` or `?token=`) sends JSON commands and gets
/// JSON frames:
/// - `{"subscribe":"metrics"}` → every second `{"type":"metrics",…}`;
/// - `{"subscribe":"trace","topic","clientId","device","payload"}` → one
///   `{"type":"trace",…}` per matching message;
/// - `{"subscribe":"events"}` → `{"type":"event","event":…}` for device
///   online/offline and registry changes;
/// - `{"unsubscribe":"metrics|trace|events"}`.
///
/// A trace never slows MQTT: dispatch calls the hub's tap only while a
/// viewer traces or watches events (one relaxed atomic load per message
/// otherwise); the tap filters and formats on the publisher's thread and
/// appends to each viewer's bounded queue — when it is full, frames are
/// dropped and `{"type":"dropped","count":N}` follows once it drains. A
/// trace also sends at most `maxRate` frames a second (default 1,000, at
/// most 10,000): the tap checks that budget and the queue's room without a
/// lock before it formats anything, so tracing `#` at 500,000 msgs/s costs
/// a topic match and two atomic adds per message beyond the budget. The
/// tap sits in dispatch rather than behind a router subscription because
/// it needs the publisher's client id, which the message does not carry.
///
/// Threads: viewers live on the admin io_context; the tap only locks a
/// viewer's queue (a leaf mutex) and posts one wake-up while it is idle.

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/tcp_stream.hpp>

#include "broker/net/tls_stream.hpp"

#include "actors/context.hpp"
#include "broker/admin/http_server.hpp"

namespace iotb::admin {
class identity;
}  // namespace iotb::admin

namespace iotb::actors {

struct trace_filter;  // live.cpp: one viewer's trace subscription

class live_hub : public std::enable_shared_from_this<live_hub> {
 public:
  /// Bounds of one viewer's queue of frames not yet written.
  static constexpr std::size_t max_queued_frames = 1000;
  static constexpr std::size_t max_queued_bytes = 4 * 1024 * 1024;

  live_hub(context_ptr ctx, boost::asio::io_context& ioc, admin::identity& ids);
  ~live_hub();

  /// The admin server's upgrade hook: takes `/api/v1/ws` requests over
  /// HTTP (`Stream` = `boost::beast::tcp_stream`) or HTTPS
  /// (`net::tls_stream`); both are instantiated in live.cpp.
  template <class Stream>
  bool upgrade(admin::request& req, Stream& stream, const std::string& remote);

  /// Starts the once-a-second tick (metrics, registry events).
  void start();
  /// Closes every viewer and stops the tap. Idempotent.
  void stop();

  class viewer;
  /// Dispatch's trace tap: each message while someone traces or watches
  /// events (any thread).
  void on_message(const message_ptr& m, std::string_view client_id);
  /// A viewer's subscriptions changed or it left: turn the tap on or off.
  void update_tap();
  /// A viewer closed.
  void forget(viewer* v);

 private:
  void tick();
  void poll_registry();

  context_ptr ctx_;
  boost::asio::io_context& ioc_;
  admin::identity& ids_;
  boost::asio::steady_timer timer_;
  /// What the tap reads per message: the viewers that trace or watch
  /// events, with their filters, rebuilt by `update_tap` (never per message).
  struct tap_entry {
    std::shared_ptr<viewer> v;
    std::shared_ptr<const trace_filter> filter;  ///< null: not tracing
    bool events = false;
  };

  std::mutex mu_;  // guards viewers_ and taps_ (leaf, but for a viewer's own mutex)
  std::vector<std::shared_ptr<viewer>> viewers_;
  std::shared_ptr<const std::vector<tap_entry>> taps_;
  std::uint64_t change_seq_ = 0;  // registry change feed (timer only)
  bool stopped_ = false;
};

extern template bool live_hub::upgrade(admin::request&, boost::beast::tcp_stream&,
                                       const std::string&);
extern template bool live_hub::upgrade(admin::request&, net::tls_stream&, const std::string&);

}  // namespace iotb::actors
