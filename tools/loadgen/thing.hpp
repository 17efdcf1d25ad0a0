#pragma once
/// @file
/// The `thing` scenario's wire format (SPEC §4): Alink property posts and
/// the broker's replies. Pure string work, no I/O; the scenario itself
/// (windows, pacing, the ledger) is scenario.hpp's.
///
/// Device i publishes on `/sys/${pk}/${dn}/thing/event/property/post`
///
///   {"id":"<i>.<seq>.<sent_ns>","version":"1.0","params":{…},
///    "method":"thing.event.property.post"}
///
/// and, connected with `_ss=1` (the broker subscribes it), gets the reply
/// on `…/post_reply`, which echoes the id:
///
///   {"id":"<i>.<seq>.<sent_ns>","code":200,"data":{},"message":"success",…}
///
/// So the reply alone tells which device and which post it answers and
/// when that post was sent (the latency), as the binary header of the
/// other scenarios' payloads does.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace iotb::loadgen {

/// What a post's Alink `id` carries.
struct post_id {
  std::uint32_t device = 0;   ///< publisher index
  std::uint64_t seq = 0;      ///< the publisher's sequence number
  std::uint64_t sent_ns = 0;  ///< steady-clock ns when it was encoded

  friend bool operator==(const post_id&, const post_id&) = default;
};

/// `id` as decimal `device.seq.sent_ns` (at most 52 bytes: the broker
/// accepts 1..64).
[[nodiscard]] std::string encode_post_id(const post_id& id);
/// The inverse: exactly three decimal fields (no signs, no leading
/// spaces, nothing after), the first within 32 bits; else nullopt.
[[nodiscard]] std::optional<post_id> decode_post_id(std::string_view text);

/// The property post's topic and its reply topic.
[[nodiscard]] std::string property_post_topic(std::string_view pk, std::string_view dn);
[[nodiscard]] std::string property_reply_topic(std::string_view pk, std::string_view dn);

/// Writes the post's JSON into `out` (replacing its contents). `params`
/// is the `params` object as JSON text; empty: values that validate
/// against tests/data/lamp-tsl.json and change with every post,
/// `{"Brightness":<seq % 101>,"LightSwitch":<seq % 2>}`.
void write_property_post(std::string& out, const post_id& id, std::string_view params);

/// What a reply said.
struct alink_reply {
  post_id id;
  int code = 0;
  bool data_empty = false;  ///< `"data":{}` (weak mode tags findings there)

  /// Code 200 and no findings: the post was validated and accepted whole.
  [[nodiscard]] bool accepted() const noexcept { return code == 200 && data_empty; }
};

/// Reads a reply as the broker writes it (compact JSON with top-level
/// `"id":"…"`, `"code":N` and `"data":…` before any nested object); not a
/// general JSON parser. nullopt: not such a reply, or an id that
/// `decode_post_id` refuses.
[[nodiscard]] std::optional<alink_reply> parse_alink_reply(std::string_view payload);

}  // namespace iotb::loadgen
