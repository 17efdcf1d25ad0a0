/// @file
/// The scenario's `thing` kind (see scenario.hpp): devices that post
/// properties and get the broker's replies on their own connections.

#include "tools/loadgen/scenario.hpp"

namespace iotb::loadgen {

void scenario::add_devices() {
  // Each device's replies come in order (one thing handler, one session),
  // so the ledger's ordered mode tells a missing reply at once.
  for (std::size_t i = 0; i < cfg_.clients; ++i) {
    const auto& d = cfg_.devices.at(i);
    add_publisher(property_post_topic(d.product_key, d.device_name), 1, delivery_mode::ordered, &d);
  }
}

void scenario::on_reply(client& c, const mqtt::publish& msg) {
  auto* p = publisher_of(c);
  auto r = p != nullptr ? parse_alink_reply(msg.payload) : std::nullopt;
  if (!r || r->id.device != static_cast<std::size_t>(p - pubs_.data())) {
    finish("device " + std::to_string(c.index()) + ": not its property-post reply on '" +
           msg.topic + "': " + msg.payload.substr(0, 200));
    return;
  }
  auto d = p->book.deliver(r->id.seq, p->last_reply);
  if (!d.unknown && !d.duplicate && !r->accepted()) {
    // Answered, but not as a clean 200: the window moves on; not delivered.
    if (r_.rejected++ == 0)
      r_.first_rejected = msg.payload.substr(0, 300);
    opened(r->id.device, d.opened);
    return;
  }
  account(r->id.device, r->id.sent_ns, d);
}

}  // namespace iotb::loadgen
