// The session's outbound side: deliveries from subscriptions, the
// in-flight window (Receive Maximum, packet ids), paging the durable queue
// in, and PUBLISH encoding. The inbound side and the session's lifecycle
// are in session.cpp.

#include <algorithm>

#include "actors/session.hpp"
#include "broker/log/log.hpp"

namespace iotb::actors {

using namespace iotb::mqtt;

void session::on_deliver(const message_ptr& m, qos granted, bool retain, const sub_id_list& sub_ids,
                         std::uint64_t seq) {
  if (seq != 0) {
    // A durable entry: already in memory (read from the store), or to be
    // read from there later (spilled), or next in line.
    if (seq <= mem_upto_ || spilled_ || store_id_ == 0)
      return;
    if (!online_) {
      spilled_ = true;  // an offline session keeps its queue on disk only
      return;
    }
  }
  auto left = m->remaining_expiry(env_.now());
  if (left && *left == 0) {
    env_.dropped(metrics::drop_reason::expired);
    if (seq != 0) {
      mem_upto_ = seq;
      env_.acked(seq, m->id);
    }
    return;
  }
  pending p{m, granted, retain, sub_ids, seq};
  if (granted == qos::at_most_once) {
    if (!online_)
      return;
    if (env_.out().size() > cfg_.max_output_buffer) {
      env_.dropped(metrics::drop_reason::slow_consumer);
      return;
    }
    send_publish(p, 0, false);
    return;
  }
  if (online_ && queue_.empty() && start_delivery(p)) {
    mem_upto_ = std::max(mem_upto_, seq);
    return;
  }
  if (queue_.size() >= cfg_.max_queued_messages ||
      (!queue_.empty() && queue_bytes_ + m->payload.size() > cfg_.max_queued_bytes)) {
    if (seq != 0) {
      spilled_ = true;  // stays on disk (from this seq on); read back when the queue drains
      return;
    }
    env_.dropped(metrics::drop_reason::queue_full);
    return;
  }
  mem_upto_ = std::max(mem_upto_, seq);
  queue_bytes_ += m->payload.size();
  queue_.push_back(std::move(p));
}

void session::completed(const pending& p) {
  if (p.seq != 0 && p.msg)
    env_.acked(p.seq, p.msg->id);
}

void session::page_in() {
  auto room =
      cfg_.max_queued_messages > queue_.size() ? cfg_.max_queued_messages - queue_.size() : 0;
  if (room == 0)
    return;
  auto entries = env_.page(mem_upto_, room);
  if (entries.size() < room)
    spilled_ = false;  // everything stored is in memory now
  for (auto& e : entries) {
    if (!queue_.empty() && queue_bytes_ + e.msg->payload.size() > cfg_.max_queued_bytes) {
      spilled_ = true;  // the byte budget is spent: the rest stays on disk
      return;
    }
    mem_upto_ = std::max(mem_upto_, e.seq);
    queue_bytes_ += e.msg->payload.size();
    queue_.push_back(pending{std::move(e.msg), e.q, e.retain, e.sub_id, e.seq});
  }
}

void session::pop_queue() {
  queue_bytes_ -= std::min(queue_bytes_, queue_.front().msg->payload.size());
  queue_.pop_front();
}

bool session::start_delivery(const pending& p) {
  auto window = std::min<std::size_t>(client_receive_max_, cfg_.max_inflight);
  if (inflight_.size() >= window || env_.out().size() > cfg_.max_output_buffer)
    return false;
  auto id = next_packet_id();
  inflight_.push_back(outflight{p, id, false});
  // Entries read back after a restart may have been sent before it.
  send_publish(p, id, p.seq != 0 && p.seq <= dup_upto_);
  return true;
}

void session::pump() {
  if (!online_)
    return;
  if (spilled_ && queue_.size() < cfg_.max_queued_messages / 2 + 1)
    page_in();
  while (!queue_.empty()) {
    auto& p = queue_.front();
    auto left = p.msg->remaining_expiry(env_.now());
    if (left && *left == 0) {
      env_.dropped(metrics::drop_reason::expired);
      completed(p);
      pop_queue();
      continue;
    }
    if (!start_delivery(p))
      return;
    pop_queue();
    if (queue_.empty() && spilled_)
      page_in();
  }
}

std::uint16_t session::next_packet_id() {
  // The window is far below 65535, so a free id is always near.
  for (;;) {
    last_packet_id_ =
        static_cast<std::uint16_t>(last_packet_id_ == 65535 ? 1 : last_packet_id_ + 1);
    auto used = std::any_of(inflight_.begin(), inflight_.end(),
                            [&](const outflight& f) { return f.packet_id == last_packet_id_; });
    if (!used)
      return last_packet_id_;
  }
}

void session::send_publish(const pending& p, std::uint16_t packet_id, bool dup) {
  const auto& m = *p.msg;
  publish_view v;
  v.topic = m.topic;
  v.payload = m.payload;
  v.q = p.q;
  v.dup = dup;
  v.retain = p.retain;
  v.packet_id = packet_id;
  if (ver_ == version::v5) {
    v.props = &m.props;
    if (!p.sub_ids.empty()) {
      v.sub_ids = p.sub_ids.data();
      v.sub_id_count = p.sub_ids.size();
    }
    if (m.props.message_expiry_interval)
      v.expiry_override = m.remaining_expiry(env_.now());
    if (client_alias_max_ > 0) {
      auto it = alias_out_.find(m.topic);
      if (it != alias_out_.end()) {
        v.topic_alias = it->second;
        v.topic = {};
      } else if (next_alias_out_ <= client_alias_max_) {
        v.topic_alias = next_alias_out_;
        alias_out_.emplace(m.topic, next_alias_out_++);
      }
    }
    if (client_max_packet_ != 0 && encoded_size(v, ver_) > client_max_packet_) {
      // MQTT 5 §3.1.2.25: discard, and treat QoS 1/2 as completed.
      env_.dropped(metrics::drop_reason::too_large);
      if (packet_id != 0) {
        auto it = std::find_if(inflight_.begin(), inflight_.end(),
                               [&](const outflight& f) { return f.packet_id == packet_id; });
        if (it != inflight_.end()) {
          completed(it->p);
          inflight_.erase(it);
        }
      }
      return;
    }
  }
  auto msg = p.msg;
  env_.out().emit([&](buffer& b) { encode(v, ver_, b, false); });
  env_.out().append_ref(msg, m.payload.data(), m.payload.size());
  env_.sent_publish();
}

}  // namespace iotb::actors
