/// @file
/// The `thing` scenario's wire format (see thing.hpp).

#include "tools/loadgen/thing.hpp"

#include <charconv>
#include <limits>

namespace iotb::loadgen {

namespace {

/// Appends `v` in decimal.
void append_number(std::string& out, std::uint64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

/// Parses a whole decimal field (digits only, at least one).
std::optional<std::uint64_t> parse_field(std::string_view s) {
  if (s.empty() || s.size() > 20)
    return std::nullopt;
  std::uint64_t v = 0;
  auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (r.ec != std::errc{} || r.ptr != s.data() + s.size())
    return std::nullopt;
  return v;
}

}  // namespace

std::string encode_post_id(const post_id& id) {
  std::string out;
  out.reserve(52);
  append_number(out, id.device);
  out += '.';
  append_number(out, id.seq);
  out += '.';
  append_number(out, id.sent_ns);
  return out;
}

std::optional<post_id> decode_post_id(std::string_view text) {
  auto a = text.find('.');
  if (a == std::string_view::npos)
    return std::nullopt;
  auto b = text.find('.', a + 1);
  if (b == std::string_view::npos)
    return std::nullopt;
  auto device = parse_field(text.substr(0, a));
  auto seq = parse_field(text.substr(a + 1, b - a - 1));
  auto sent = parse_field(text.substr(b + 1));
  if (!device || !seq || !sent || *device > std::numeric_limits<std::uint32_t>::max())
    return std::nullopt;
  return post_id{static_cast<std::uint32_t>(*device), *seq, *sent};
}

std::string property_post_topic(std::string_view pk, std::string_view dn) {
  std::string t = "/sys/";
  t.append(pk).append("/").append(dn).append("/thing/event/property/post");
  return t;
}

std::string property_reply_topic(std::string_view pk, std::string_view dn) {
  return property_post_topic(pk, dn) + "_reply";
}

void write_property_post(std::string& out, const post_id& id, std::string_view params) {
  out.assign(R"({"id":")");
  append_number(out, id.device);
  out += '.';
  append_number(out, id.seq);
  out += '.';
  append_number(out, id.sent_ns);
  out.append(R"(","version":"1.0","params":)");
  if (params.empty()) {
    out.append(R"({"Brightness":)");
    append_number(out, id.seq % 101);
    out.append(R"(,"LightSwitch":)");
    append_number(out, id.seq % 2);
    out += '}';
  } else {
    out.append(params);
  }
  out.append(R"(,"method":"thing.event.property.post"})");
}

std::optional<alink_reply> parse_alink_reply(std::string_view payload) {
  constexpr std::string_view id_key = R"("id":")";
  constexpr std::string_view code_key = R"("code":)";
  constexpr std::string_view data_key = R"("data":)";
  auto i = payload.find(id_key);
  if (i == std::string_view::npos)
    return std::nullopt;
  i += id_key.size();
  auto end = payload.find('"', i);
  if (end == std::string_view::npos)
    return std::nullopt;
  auto id = decode_post_id(payload.substr(i, end - i));
  if (!id)
    return std::nullopt;
  auto c = payload.find(code_key, end);
  if (c == std::string_view::npos)
    return std::nullopt;
  c += code_key.size();
  int code = 0;
  auto r = std::from_chars(payload.data() + c, payload.data() + payload.size(), code);
  if (r.ec != std::errc{})
    return std::nullopt;
  alink_reply out;
  out.id = *id;
  out.code = code;
  auto d = payload.find(data_key, static_cast<std::size_t>(r.ptr - payload.data()));
  out.data_empty =
      d != std::string_view::npos && payload.substr(d + data_key.size()).starts_with("{}");
  return out;
}

}  // namespace iotb::loadgen
