/// @file
/// The fixed header and framing: `decode_fixed_header` and `next_frame`.

#include "broker/mqtt/codec.hpp"
#include "broker/mqtt/reader.hpp"

namespace iotb::mqtt {

expected<fixed_header, decode_error> decode_fixed_header(bytes in, std::uint32_t max_packet_size) {
  if (in.empty())
    return detail::fail(errc::need_more, "fixed header incomplete");
  auto type = static_cast<std::uint8_t>(in[0] >> 4);
  if (type == 0)
    return detail::fail(errc::bad_packet_type, "reserved packet type 0");
  std::uint32_t length = 0;
  std::size_t i = 1;
  for (;; ++i) {
    if (i > 4)
      return detail::fail(errc::bad_remaining_length, "remaining length longer than 4 bytes");
    if (i >= in.size())
      return detail::fail(errc::need_more, "fixed header incomplete");
    auto b = in[i];
    length |= std::uint32_t{static_cast<std::uint8_t>(b & 0x7F)} << (7 * (i - 1));
    if ((b & 0x80) == 0)
      break;
  }
  fixed_header h{static_cast<packet_type>(type), static_cast<std::uint8_t>(in[0] & 0x0F), length,
                 static_cast<std::uint8_t>(i + 1)};
  if (std::uint64_t{h.size} + length > max_packet_size)
    return detail::fail(errc::packet_too_large, "packet larger than the maximum packet size");
  return h;
}

expected<frame, decode_error> next_frame(bytes in, std::uint32_t max_packet_size) {
  auto h = decode_fixed_header(in, max_packet_size);
  if (!h)
    return unexpected{h.error()};
  std::size_t total = std::size_t{h->size} + h->remaining_length;
  if (in.size() < total)
    return detail::fail(errc::need_more, "packet body incomplete");
  return frame{*h, in.subspan(h->size, h->remaining_length), total};
}

}  // namespace iotb::mqtt
