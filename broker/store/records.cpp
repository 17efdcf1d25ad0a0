#include "broker/store/records.hpp"

#include "broker/store/verified.hpp"
#include "schemas/registry_generated.h"

namespace iotb::store::records {

namespace fb = flatbuffers;
namespace s = iotb::schema;

namespace {

fb::Offset<fb::Vector<fb::Offset<fb::String>>> strings(fb::FlatBufferBuilder& b,
                                                       const std::vector<std::string>& v) {
  std::vector<fb::Offset<fb::String>> offs;
  offs.reserve(v.size());
  for (auto& x : v)
    offs.push_back(b.CreateString(x));
  return b.CreateVector(offs);
}

std::vector<std::string> strings(const fb::Vector<fb::Offset<fb::String>>* v) {
  std::vector<std::string> out;
  if (v)
    for (auto* x : *v)
      out.push_back(fb_str(x));
  return out;
}

}  // namespace

std::vector<std::uint8_t> encode(const product_record& r) {
  fb::FlatBufferBuilder b(256);
  std::vector<fb::Offset<s::TopicCategory>> cats;
  for (auto& c : r.categories)
    cats.push_back(s::CreateTopicCategory(b, b.CreateString(c.suffix), c.pub, c.sub));
  auto root = s::CreateProduct(b, b.CreateString(r.product_key), b.CreateString(r.product_secret),
                               b.CreateString(r.name), static_cast<s::NodeType>(r.node),
                               static_cast<s::DataFormat>(r.format), r.dynamic_register,
                               b.CreateVector(cats), r.created_ms, b.CreateString(r.description));
  b.Finish(root);
  return fb_bytes(b);
}

expected<product_record, error> decode_product(std::span<const std::uint8_t> buf) {
  auto* p = verified<s::Product>(buf);
  if (!p)
    return unexpected{corrupt_record("product")};
  product_record r;
  r.product_key = fb_str(p->product_key());
  r.product_secret = fb_str(p->product_secret());
  r.name = fb_str(p->name());
  r.node = static_cast<node_type>(p->node_type());
  r.format = static_cast<data_format>(p->data_format());
  r.dynamic_register = p->dynamic_register();
  if (auto* cs = p->categories())
    for (auto* c : *cs)
      r.categories.push_back({fb_str(c->suffix()), c->pub(), c->sub()});
  r.created_ms = p->created_ms();
  r.description = fb_str(p->description());
  return r;
}

std::vector<std::uint8_t> encode(const device_record& r) {
  fb::FlatBufferBuilder b(256);
  std::vector<fb::Offset<s::Tag>> tags;
  for (auto& t : r.tags)
    tags.push_back(s::CreateTag(b, b.CreateString(t.key), b.CreateString(t.value)));
  auto root = s::CreateDevice(b, b.CreateString(r.product_key), b.CreateString(r.device_name),
                              b.CreateString(r.device_secret), b.CreateString(r.alias),
                              static_cast<s::DeviceState>(r.state), r.disabled, r.created_ms,
                              r.activated_ms, r.last_online_ms, b.CreateString(r.last_ip),
                              b.CreateVector(tags), r.last_offline_ms);
  b.Finish(root);
  return fb_bytes(b);
}

expected<device_record, error> decode_device(std::span<const std::uint8_t> buf) {
  auto* d = verified<s::Device>(buf);
  if (!d)
    return unexpected{corrupt_record("device")};
  device_record r;
  r.product_key = fb_str(d->product_key());
  r.device_name = fb_str(d->device_name());
  r.device_secret = fb_str(d->device_secret());
  r.alias = fb_str(d->alias());
  r.state = static_cast<device_state>(d->state());
  r.disabled = d->disabled();
  r.created_ms = d->created_ms();
  r.activated_ms = d->activated_ms();
  r.last_online_ms = d->last_online_ms();
  r.last_offline_ms = d->last_offline_ms();
  r.last_ip = fb_str(d->last_ip());
  if (auto* ts = d->tags())
    for (auto* t : *ts)
      r.tags.push_back({fb_str(t->key()), fb_str(t->value())});
  return r;
}

std::vector<std::uint8_t> encode(const app_record& r) {
  fb::FlatBufferBuilder b(256);
  auto root = s::CreateApp(b, b.CreateString(r.access_key_id), b.CreateString(r.access_key_secret),
                           b.CreateString(r.name), strings(b, r.products), strings(b, r.scopes),
                           r.created_ms);
  b.Finish(root);
  return fb_bytes(b);
}

expected<app_record, error> decode_app(std::span<const std::uint8_t> buf) {
  auto* a = verified<s::App>(buf);
  if (!a)
    return unexpected{corrupt_record("application")};
  app_record r;
  r.access_key_id = fb_str(a->access_key_id());
  r.access_key_secret = fb_str(a->access_key_secret());
  r.name = fb_str(a->name());
  r.products = strings(a->products());
  r.scopes = strings(a->scopes());
  r.created_ms = a->created_ms();
  return r;
}

std::vector<std::uint8_t> encode_log(const log_record& r) {
  fb::FlatBufferBuilder b(128);
  auto root = s::CreateDeviceLogEntry(b, r.time_ms, static_cast<s::LogKind>(r.kind),
                                      b.CreateString(r.text), b.CreateString(r.client_ip));
  b.Finish(root);
  return fb_bytes(b);
}

expected<log_record, error> decode_log(std::span<const std::uint8_t> buf) {
  auto* e = verified<s::DeviceLogEntry>(buf);
  if (!e)
    return unexpected{corrupt_record("device log")};
  log_record r;
  r.time_ms = e->time_ms();
  r.kind = static_cast<log_kind>(e->kind());
  r.text = fb_str(e->text());
  r.client_ip = fb_str(e->client_ip());
  return r;
}

std::vector<std::uint8_t> encode_change(const change_record& r) {
  fb::FlatBufferBuilder b(96);
  auto root = s::CreateChange(b, static_cast<s::ChangeKind>(r.kind), b.CreateString(r.product_key),
                              b.CreateString(r.device_name), r.time_ms);
  b.Finish(root);
  return fb_bytes(b);
}

expected<change_record, error> decode_change(std::span<const std::uint8_t> buf) {
  auto* c = verified<s::Change>(buf);
  if (!c)
    return unexpected{corrupt_record("change")};
  change_record r;
  r.kind = static_cast<change_kind>(c->kind());
  r.product_key = fb_str(c->product_key());
  r.device_name = fb_str(c->device_name());
  r.time_ms = c->time_ms();
  return r;
}

std::vector<std::uint8_t> encode_regnwl(std::string_view client_id, std::string_view token,
                                        std::uint64_t created_ms) {
  fb::FlatBufferBuilder b(96);
  auto root =
      s::CreateRegnwlClient(b, b.CreateString(client_id), b.CreateString(token), created_ms);
  b.Finish(root);
  return fb_bytes(b);
}

expected<std::string, error> decode_regnwl_token(std::span<const std::uint8_t> buf) {
  auto* c = verified<s::RegnwlClient>(buf);
  if (!c)
    return unexpected{corrupt_record("registration-free client")};
  return fb_str(c->device_token());
}

}  // namespace iotb::store::records
