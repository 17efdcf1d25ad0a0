#pragma once
/// @file
/// The thing model (TSL, SPEC §4): the platform's TSL JSON parsed into a
/// typed model, checked against the platform's limits, and exported back.
///
/// Accepted JSON (the platform's export; unknown fields are ignored):
/// `{"schema","profile":{"productKey"},"properties":[…],"events":[…],"services":[…]}`
/// with optional `functionBlockId`/`functionBlockName` (a custom module).
/// Spec values are accepted as strings (`"min":"0"`, what the platform
/// writes) or numbers; the export writes strings, as the platform does.
///
/// Pure: no I/O, no globals, no exceptions (RapidJSON with default flags and
/// an iterative parser; nesting is capped before parsing). Unit-tested in
/// tsl.test.cpp; fuzzed by tests/fuzz/tsl_fuzz.cpp. Thread-safe: a parsed
/// `thing_model` is an immutable value and may be shared read-only.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "broker/util/expected.hpp"

namespace iotb::thing {

// -- limits (SPEC §4 and the platform's documentation) ----------------------------

/// Properties + events + services in one module (built-ins included).
inline constexpr std::size_t max_features = 300;
/// Longest `text` (specs.length), in characters.
inline constexpr std::size_t max_text_length = 10240;
/// Largest `array` (specs.size).
inline constexpr std::size_t max_array_size = 512;
/// Fields of one `struct`.
inline constexpr std::size_t max_struct_fields = 50;
/// Parameters of one event or service (input or output).
inline constexpr std::size_t max_params = 300;
/// Entries of one `enum` (ours: the platform documents none).
inline constexpr std::size_t max_enum_values = 1024;
/// Identifier: 1..50 of [A-Za-z0-9_], not starting with a digit.
inline constexpr std::size_t max_identifier_length = 50;
/// `name`, `unit`, `unitName`, `desc`, enum labels: at most this many bytes.
inline constexpr std::size_t max_label_bytes = 1024;
/// Largest TSL document accepted by `parse_tsl`.
inline constexpr std::size_t max_tsl_bytes = 4 * 1024 * 1024;
/// Deepest JSON nesting accepted before parsing (the model needs ~10).
inline constexpr std::size_t max_tsl_depth = 32;

// -- the model ------------------------------------------------------------------------

/// A TSL data type (`dataType.type`).
enum class data_kind : std::uint8_t {
  int32,    ///< "int": a 32-bit integer
  float32,  ///< "float"
  float64,  ///< "double"
  text,     ///< "text": a string of at most specs.length characters
  enum_,    ///< "enum": an integer, one of specs' keys
  bool_,    ///< "bool": 0 or 1
  date,     ///< "date": UTC milliseconds, as a string of digits (or a number)
  struct_,  ///< "struct": an object of the fields in specs (no nesting)
  array,    ///< "array": specs.size items of specs.item (int/float/double/text/struct)
};

/// "int", "float", ... as the TSL JSON spells it.
[[nodiscard]] const char* kind_name(data_kind k) noexcept;
/// The kind named `s`, or nullopt.
[[nodiscard]] std::optional<data_kind> kind_from_name(std::string_view s) noexcept;

struct param;

/// `dataType`: the kind and its specs; only the members of the kind are used.
struct data_type {
  data_kind kind = data_kind::int32;
  // int, float, double
  std::optional<double> min;  ///< inclusive lower bound
  std::optional<double> max;  ///< inclusive upper bound
  std::optional<double> step;
  std::string unit;
  std::string unit_name;
  // text
  std::size_t length = max_text_length;
  // enum and bool: value → label, sorted by value (bool: 0 and 1)
  std::vector<std::pair<std::int64_t, std::string>> values;
  // array
  std::size_t size = 0;
  std::vector<data_type> item;  ///< exactly one element for an array
  // struct
  std::vector<param> fields;

  bool operator==(const data_type&) const;
};

/// An identifier with a data type: a struct field, an event's output
/// parameter, a service's input or output parameter.
struct param {
  std::string identifier;
  std::string name;
  data_type type;
  bool operator==(const param&) const = default;
};

/// `accessMode`.
enum class access_mode : std::uint8_t { read, read_write };

/// A property.
struct property {
  std::string identifier;
  std::string name;
  std::string desc;
  access_mode access = access_mode::read_write;
  bool required = false;
  data_type type;
  bool operator==(const property&) const = default;
};

/// `events[].type`.
enum class event_type : std::uint8_t { info, alert, error };

/// "info", "alert" or "error": the TSL's name of an event type.
const char* event_type_name(event_type t);

/// An event (the built-in `post` carries the properties as output).
struct event {
  std::string identifier;
  std::string name;
  std::string desc;
  event_type type = event_type::info;
  bool required = false;
  std::string method;  ///< thing.event.<id>.post (thing.event.property.post for `post`)
  std::vector<param> output;
  bool operator==(const event&) const = default;
};

/// `services[].callType`.
enum class call_type : std::uint8_t { async, sync };

/// A service (the built-ins `set` and `get` are the property services).
struct service {
  std::string identifier;
  std::string name;
  std::string desc;
  call_type call = call_type::async;
  bool required = false;
  std::string method;  ///< thing.service.<id> (thing.service.property.set|get)
  std::vector<param> input;
  /// The built-in `get` lists property identifiers as its inputData
  /// (`["temp","hum"]`) instead of parameters; they are kept here.
  std::vector<std::string> input_refs;
  std::vector<param> output;
  bool operator==(const service&) const = default;
};

/// One module's thing model.
struct thing_model {
  std::string schema;
  std::string product_key;
  std::string function_block_id;  ///< empty: the default module
  std::string function_block_name;
  std::vector<property> properties;
  std::vector<event> events;
  std::vector<service> services;

  /// The property `id`, or nullptr. Linear: the callers that validate many
  /// posts build an index (validate.hpp's `model_index`).
  [[nodiscard]] const property* find_property(std::string_view id) const noexcept;
  [[nodiscard]] const event* find_event(std::string_view id) const noexcept;
  [[nodiscard]] const service* find_service(std::string_view id) const noexcept;
  bool operator==(const thing_model&) const = default;
};

// -- parse and export -------------------------------------------------------------

/// Why a TSL document was refused.
enum class tsl_errc : std::uint8_t {
  bad_json,        ///< not JSON, or the top level is not an object
  too_large,       ///< over max_tsl_bytes
  too_deep,        ///< nesting over max_tsl_depth
  missing_field,   ///< a required field is absent
  wrong_type,      ///< a field has the wrong JSON type
  bad_value,       ///< a value is invalid (unknown type name, min > max, bad enum key…)
  bad_identifier,  ///< an identifier breaks the identifier rules or is reserved
  duplicate,       ///< an identifier is used twice in the same scope
  limit_exceeded,  ///< more than a limit allows (features, struct fields, array size…)
};

/// "bad_json", "missing_field", ...
[[nodiscard]] const char* errc_name(tsl_errc e) noexcept;

/// A refusal naming where: `path` is a JSON path such as
/// `properties[3].dataType.specs.max` (empty for the whole document).
struct tsl_error {
  tsl_errc code;
  std::string path;
  std::string message;
  /// "properties[3].dataType.specs.max: min is greater than max".
  [[nodiscard]] std::string to_string() const;
};

/// Parses and checks a TSL JSON document. Errors: see tsl_errc; the first
/// problem found is reported.
[[nodiscard]] expected<thing_model, tsl_error> parse_tsl(std::string_view json);

/// The platform's TSL JSON for `m`: compact, specs values as strings.
/// `parse_tsl(export_tsl(m)) == m` for every `m` that parse_tsl returned.
[[nodiscard]] std::string export_tsl(const thing_model& m);

/// True when `s` follows the identifier rules (1..50 of [A-Za-z0-9_], not
/// starting with a digit).
[[nodiscard]] bool valid_identifier(std::string_view s) noexcept;

/// True for the identifiers the platform reserves (`set`, `get`, `post`,
/// `property`, `time`, `value`): refused for properties and for events and
/// services other than the built-in `post`, `set` and `get`.
[[nodiscard]] bool reserved_identifier(std::string_view s) noexcept;

/// True when the nesting of the JSON text `s` (objects and arrays, outside
/// strings) never exceeds `max_depth`. Cheap pre-check before parsing.
[[nodiscard]] bool json_depth_within(std::string_view s, std::size_t max_depth) noexcept;

}  // namespace iotb::thing
