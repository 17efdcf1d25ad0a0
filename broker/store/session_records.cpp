// The session store's records: messages and session records to and from
// their FlatBuffers form (declared in session_store.hpp). Pure: no LMDB.

#include "broker/store/session_store.hpp"
#include "broker/store/verified.hpp"
#include "schemas/sessions_generated.h"

namespace iotb::store {

namespace fb = flatbuffers;
namespace s = iotb::schema;

std::vector<std::uint8_t> encode_message(const message& m, std::uint64_t received_ms) {
  fb::FlatBufferBuilder b(128 + m.topic.size() + m.payload.size());
  auto bytes = encode_message(m, received_ms, b);
  return {bytes.begin(), bytes.end()};
}

std::span<const std::uint8_t> encode_message(const message& m, std::uint64_t received_ms,
                                             fb::FlatBufferBuilder& b) {
  b.Clear();
  const auto& p = m.props;
  auto topic = b.CreateString(m.topic);
  auto payload =
      b.CreateVector(reinterpret_cast<const std::uint8_t*>(m.payload.data()), m.payload.size());
  fb::Offset<fb::String> ct, rt;
  fb::Offset<fb::Vector<std::uint8_t>> cd;
  if (p.content_type)
    ct = b.CreateString(*p.content_type);
  if (p.response_topic)
    rt = b.CreateString(*p.response_topic);
  if (p.correlation_data)
    cd = b.CreateVector(reinterpret_cast<const std::uint8_t*>(p.correlation_data->data()),
                        p.correlation_data->size());
  fb::Offset<fb::Vector<fb::Offset<s::UserProperty>>> ups;
  if (!p.user_properties.empty()) {
    std::vector<fb::Offset<s::UserProperty>> v;
    v.reserve(p.user_properties.size());
    for (auto& [k, val] : p.user_properties)
      v.push_back(s::CreateUserProperty(b, b.CreateString(k), b.CreateString(val)));
    ups = b.CreateVector(v);
  }
  s::StoredMessageBuilder mb(b);
  mb.add_id(m.id);
  mb.add_topic(topic);
  mb.add_payload(payload);
  mb.add_qos(static_cast<std::uint8_t>(m.q));
  mb.add_retain(m.retain);
  mb.add_received_ms(received_ms);
  if (p.message_expiry_interval) {
    mb.add_has_expiry(true);
    mb.add_expiry_interval(*p.message_expiry_interval);
  }
  mb.add_payload_format(p.payload_format_indicator.value_or(255));
  if (p.content_type)
    mb.add_content_type(ct);
  if (p.response_topic)
    mb.add_response_topic(rt);
  if (p.correlation_data)
    mb.add_correlation_data(cd);
  if (!p.user_properties.empty())
    mb.add_user_properties(ups);
  mb.add_origin(m.origin);
  b.Finish(mb.Finish());
  return {b.GetBufferPointer(), b.GetSize()};
}

expected<std::shared_ptr<message>, error> decode_message(
    std::span<const std::uint8_t> bytes, std::uint64_t now_ms,
    std::chrono::steady_clock::time_point now) {
  auto r = verified<s::StoredMessage>(bytes, 1);
  if (!r || !r->topic())
    return unexpected{corrupt_record("message")};
  if (r->qos() > 2)
    return unexpected{corrupt_record("message")};
  std::string payload;
  if (auto pl = r->payload())
    payload.assign(reinterpret_cast<const char*>(pl->data()), pl->size());
  auto age_ms = now_ms > r->received_ms() ? now_ms - r->received_ms() : 0;
  auto m = make_message(r->topic()->str(), std::move(payload), static_cast<mqtt::qos>(r->qos()),
                        r->retain(), r->id(), r->origin(), now - std::chrono::milliseconds{age_ms});
  auto& p = m->props;
  if (r->has_expiry())
    p.message_expiry_interval = r->expiry_interval();
  if (r->payload_format() != 255)
    p.payload_format_indicator = r->payload_format();
  if (r->content_type())
    p.content_type = r->content_type()->str();
  if (r->response_topic())
    p.response_topic = r->response_topic()->str();
  if (auto cd = r->correlation_data())
    p.correlation_data = std::string(reinterpret_cast<const char*>(cd->data()), cd->size());
  if (auto ups = r->user_properties())
    for (auto u : *ups)
      p.user_properties.emplace_back(fb_str(u->key()), fb_str(u->value()));
  return m;
}

std::vector<std::uint8_t> encode_session(const session_record& r) {
  fb::FlatBufferBuilder b(256);
  std::vector<fb::Offset<s::Subscription>> subs;
  subs.reserve(r.subs.size());
  for (auto& x : r.subs)
    subs.push_back(s::CreateSubscription(
        b, b.CreateString(x.filter), static_cast<std::uint8_t>(x.opts.max_qos), x.opts.no_local,
        x.opts.retain_as_published, x.opts.retain_handling, x.sub_id, x.system));
  auto off = s::CreateSession(b, b.CreateString(r.client_id), r.store_id,
                              static_cast<std::uint8_t>(r.version), r.expiry, r.disconnected_ms,
                              r.kind, b.CreateString(r.product_key), b.CreateString(r.device_name),
                              b.CreateVector(subs));
  b.Finish(off);
  return fb_bytes(b);
}

expected<session_record, error> decode_session(std::span<const std::uint8_t> bytes) {
  auto s = verified<s::Session>(bytes);
  if (!s || s->store_id() == 0)
    return unexpected{corrupt_record("session")};
  session_record r;
  r.client_id = fb_str(s->client_id());
  r.store_id = s->store_id();
  r.version = static_cast<mqtt::version>(s->version());
  r.expiry = s->expiry();
  r.disconnected_ms = s->disconnected_ms();
  r.kind = s->kind();
  r.product_key = fb_str(s->product_key());
  r.device_name = fb_str(s->device_name());
  if (auto subs = s->subscriptions()) {
    for (auto x : *subs) {
      if (!x->filter() || x->max_qos() > 2 || x->retain_handling() > 2)
        return unexpected{corrupt_record("session")};
      subscription_record sr;
      sr.filter = x->filter()->str();
      sr.opts.max_qos = static_cast<mqtt::qos>(x->max_qos());
      sr.opts.no_local = x->no_local();
      sr.opts.retain_as_published = x->retain_as_published();
      sr.opts.retain_handling = x->retain_handling();
      sr.sub_id = x->sub_id();
      sr.system = x->system();
      r.subs.push_back(std::move(sr));
    }
  }
  return r;
}

}  // namespace iotb::store
