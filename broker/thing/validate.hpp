#pragma once
/// @file
/// Checking Alink `params` against a thing model (SPEC §4): property posts
/// (`{"temp":23.5}` and `{"temp":{"value":23.5,"time":1524448722000}}`),
/// event output (`{"value":{…},"time":…}` or the bare object), service
/// input and output.
///
/// Check modes (a product setting):
/// - weak: every problem is a `finding`, tagged per identifier; the valid
///   values are kept in `accepted` and the post is answered 200 (the reply's
///   `data` names the problems, as the platform's does:
///   `{"RGBColor":"tsl parse: params not exist -> RGBColor"}`).
/// - strict: the first problem rejects the whole post with its code; nothing
///   is accepted.
/// A malformed post (params not an object, over 500 properties) is refused
/// with 460 in both modes.
///
/// Alink codes used (the platform's device error codes; see
/// docs/thing-model.md for sources — "seen" means observed in the platform's
/// own output, "by pattern" means the platform's per-type numbering as
/// reimplemented by others, not yet confirmed against its table):
///
/// | code | meaning                                         | source   |
/// |------|-------------------------------------------------|----------|
/// | 200  | success                                         | docs     |
/// | 400  | request error (internal)                        | docs     |
/// | 429  | too many requests                               | docs     |
/// | 460  | request parameter error: empty, not an object,  | docs     |
/// |      | over 500 properties, bad `time`, duplicate key  |          |
/// | 500  | server error                                    | docs     |
/// | 6207 | the payload is not JSON                         | docs     |
/// | 6300 | no method (neither in the payload nor the topic)| docs     |
/// | 6304 | identifier not in the thing model (or struct)   | seen     |
/// | 6306 | int: not an integer, out of int32 or min/max    | seen     |
/// | 6307 | float/double: not a number, out of range        | by pattern |
/// | 6308 | bool: not 0 or 1                                | by pattern |
/// | 6309 | enum: not an integer, not a listed value        | by pattern |
/// | 6310 | text: not a string, longer than specs.length    | seen     |
/// | 6311 | date: not UTC milliseconds (digits)             | by pattern |
/// | 6312 | struct: not an object                           | by pattern |
/// | 6324 | array: not an array, more than specs.size items | by pattern |
///
/// Pure; the results point into the caller's `rapidjson::Value`s (valid
/// while the request document lives). Checking recurses only as deep as the
/// model (≤ 3), but `check_failed_data` writes the offending values back, so
/// pass values from a depth-capped parse (alink.hpp's `parse_request`).
/// Thread-safe on const inputs.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <rapidjson/document.h>

#include "broker/thing/tsl.hpp"

namespace iotb::thing {

/// Alink reply codes (see the table above).
enum class alink_code : int {
  success = 200,
  request_error = 400,
  too_many_requests = 429,
  bad_params = 460,
  server_error = 500,
  not_json = 6207,
  no_method = 6300,
  unknown_identifier = 6304,
  bad_int = 6306,
  bad_float = 6307,
  bad_bool = 6308,
  bad_enum = 6309,
  bad_text = 6310,
  bad_date = 6311,
  bad_struct = 6312,
  bad_array = 6324,
};

/// The product's data check mode.
enum class check_mode : std::uint8_t { weak, strict };

/// Most properties in one post (SPEC §4).
inline constexpr std::size_t max_post_properties = 500;

/// One problem with one value.
struct finding {
  std::string identifier;  ///< the top-level identifier ("pos")
  std::string path;        ///< where inside it ("pos.x", "list[3]"); = identifier at top level
  alink_code code;
  std::string message;  ///< "tsl parse: data type is not int -> temp" (the platform's wording)
  const rapidjson::Value* value = nullptr;  ///< the offending value (nullptr: none)
  std::optional<std::int64_t> time;         ///< its `time`, if the post gave one
};

/// A value that passed.
struct accepted_value {
  std::string_view identifier;
  const rapidjson::Value* value = nullptr;
  std::optional<std::int64_t> time;  ///< from the `{"value","time"}` form
};

/// The outcome of a check.
struct check_result {
  alink_code code = alink_code::success;  ///< the reply's code
  std::string message = "success";        ///< the reply's message
  std::vector<finding> findings;          ///< weak: all; strict: the first
  std::vector<accepted_value> accepted;   ///< strict: all or none
  [[nodiscard]] bool ok() const noexcept { return code == alink_code::success; }
};

/// Property lookup by identifier for a model (O(log n)); refers to `m`,
/// which must outlive it.
class model_index {
 public:
  explicit model_index(const thing_model& m);
  [[nodiscard]] const property* find(std::string_view id) const noexcept;
  [[nodiscard]] const thing_model& model() const noexcept { return *model_; }

 private:
  const thing_model* model_;
  std::vector<std::pair<std::string_view, const property*>> sorted_;
};

/// Checks one value against a type. `path` names it in the finding.
[[nodiscard]] std::optional<finding> check_value(const data_type& t, const rapidjson::Value& v,
                                                 std::string_view path);

/// A property post's `params` (thing.event.property.post).
[[nodiscard]] check_result check_properties(const model_index& idx, const rapidjson::Value& params,
                                            check_mode mode);
/// An event post's `params` against the event's outputData.
[[nodiscard]] check_result check_event(const event& e, const rapidjson::Value& params,
                                       check_mode mode);
/// A service call's `params` against its inputData (before sending it).
[[nodiscard]] check_result check_service_input(const service& s, const rapidjson::Value& params,
                                               check_mode mode);
/// A service reply's `data` against its outputData.
[[nodiscard]] check_result check_service_output(const service& s, const rapidjson::Value& data,
                                                check_mode mode);

/// The weak-mode reply `data`: `{"<identifier>":"<message>",…}`, compact.
[[nodiscard]] std::string findings_reply_data(const check_result& r);
/// `checkFailedData` for forwarding (rules, server-side subscription):
/// `{"<identifier>":{"code":6306,"message":"…","value":…,"time":…},…}`.
[[nodiscard]] std::string check_failed_data(const check_result& r);

}  // namespace iotb::thing
