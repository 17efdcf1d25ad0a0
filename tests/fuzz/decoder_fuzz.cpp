// libFuzzer target for the MQTT decoder.
//
// The first input byte picks the protocol version; the rest is treated as a
// byte stream: framed with next_frame, each frame decoded with
// decode_packet. Every packet that decodes is encoded again and decoded
// again, and the second value must equal the first (values are compared,
// not bytes: the encoders write the canonical form, inputs need not be).
// For PUBLISH the publish_view encoder and encoded_size are checked too.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <variant>

#include "broker/mqtt/codec.hpp"

namespace {

using namespace iotb::mqtt;

constexpr std::uint32_t max_packet_size = 1 << 20;

[[noreturn]] void fail(const char* why) {
  std::fprintf(stderr, "decoder_fuzz: %s\n", why);
  std::abort();
}

void check(bool ok, const char* why) {
  if (!ok)
    fail(why);
}

/// The publish_view encoder must agree with the owning encoder.
void check_publish_view(const publish& p, version v, const buffer& expected_bytes) {
  publish_view view;
  view.topic = p.topic;
  view.payload = p.payload;
  view.q = p.q;
  view.dup = p.dup;
  view.retain = p.retain;
  view.packet_id = p.packet_id;
  view.props = &p.props;
  view.topic_alias = p.props.topic_alias.value_or(0);
  view.sub_ids = p.props.subscription_identifiers.data();
  view.sub_id_count = p.props.subscription_identifiers.size();
  check(encoded_size(view, v) == expected_bytes.size(), "encoded_size differs from encode");
  buffer head;
  auto n = encode(view, v, head, false);
  check(n == head.size(), "encode(publish_view) returned a wrong size");
  check(n + p.payload.size() == expected_bytes.size(), "head + payload size differs");
  check(std::memcmp(head.data(), expected_bytes.data(), head.size()) == 0,
        "encode without payload is not a prefix of encode with payload");
}

void round_trip(const packet& p, version v) {
  buffer out;
  encode(p, v, out);
  auto f = next_frame(out, max_remaining_length + 5);
  if (!f)
    fail(f.error().what);
  check(f->total == out.size(), "re-encoded packet is not exactly one frame");
  auto again = decode_packet(f->header, f->body, v);
  if (!again) {
    std::fprintf(stderr, "decoder_fuzz: re-decoding failed: %s\n", again.error().what);
    std::abort();
  }
  check(*again == p, "decode(encode(p)) != p");
  if (const auto* pub = std::get_if<publish>(&p))
    check_publish_view(*pub, v, out);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0)
    return 0;
  static constexpr version versions[] = {version::v31, version::v311, version::v5};
  auto v = versions[data[0] % 3];
  bytes in{data + 1, size - 1};
  while (!in.empty()) {
    auto f = next_frame(in, max_packet_size);
    if (!f) {
      check(f.error().what != nullptr, "error without explanation");
      break;
    }
    check(f->total <= in.size() && f->body.size() == f->header.remaining_length,
          "frame out of bounds");
    auto p = decode_packet(f->header, f->body, v);
    if (p)
      round_trip(*p, v);
    else
      check(p.error().what != nullptr && p.error().code != errc::need_more, "bad decode error");
    in = in.subspan(f->total);
  }
  return 0;
}
