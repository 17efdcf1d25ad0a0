#pragma once
/// @file
/// The rules language (SPEC §9): one SQL statement per rule,
///
///     SELECT temperature AS t, deviceName() AS dn FROM "/+/+/user/update"
///     WHERE t > 38 AND dn LIKE 'sensor%'
///
/// compiled once into a tree of typed nodes (`program::compile`) and then
/// evaluated against each message without re-parsing (`program::evaluate`).
/// The language is described in docs/rules.md; the functions in
/// docs/rules-functions.md, generated from the function table
/// (`functions_markdown`).
///
/// Pure: no actors, no I/O, no globals (rand() and newuuid() draw from a
/// thread-local generator and BoringSSL). A compiled `program` is immutable:
/// `evaluate` is const and may run on many threads at once; copies share
/// the compiled tree.
///
/// Hostile input: the SQL text is bounded at compile time (see `limits`),
/// payloads at run time (parse depth, string sizes), and evaluation never
/// recurses deeper than the compiled tree (itself bounded by the nesting
/// limit), so neither a rule nor a device can exhaust the stack.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <rapidjson/document.h>

#include "broker/util/expected.hpp"

namespace iotb::rules {

/// What a rule sees of one message. The views must stay valid during the
/// `evaluate` call only; nothing is kept.
struct message_context {
  std::string_view topic;
  std::string_view payload;
  std::string_view client_id;
  std::string_view product_key;  ///< "" for non-device topics
  std::string_view device_name;  ///< "" for non-device topics
  std::uint64_t message_id = 0;
  std::uint8_t qos = 0;
  /// When the broker received the message (ms since the Unix epoch);
  /// timestamp() and friends use it. 0: the wall clock at evaluation.
  std::int64_t timestamp_ms = 0;
  /// The device's tag `tag` (attribute('tag')), or nothing when the device
  /// has no such tag. May be empty: attribute() is then always null.
  std::function<std::optional<std::string>(std::string_view tag)> attribute;
};

/// A compile-time error: where in the SQL text (1-based line and column,
/// columns counted in characters) and what is wrong.
struct sql_error {
  std::uint32_t line = 0;
  std::uint32_t column = 0;
  std::string message;
};

/// "line 1, column 8: <message>".
[[nodiscard]] std::string to_string(const sql_error& e);

/// How one evaluation ended.
enum class eval_status : std::uint8_t {
  passed,    ///< WHERE held (or there is none): `output` is the SELECT's result
  filtered,  ///< WHERE was false or null: "no result", nothing to send
  failed,    ///< a run-time error (`error` says which); counts as an exception
};

/// The result of `program::evaluate`.
struct eval_result {
  eval_status status = eval_status::filtered;
  std::string output;  ///< passed: the SELECT as one compact JSON object
  std::string error;   ///< failed: what went wrong, e.g. "line 1, column 30: division by zero"
};

/// Compile-time limits: a statement over any of them is refused with an
/// error naming the limit.
struct limits {
  static constexpr std::size_t max_sql_bytes = 64 * 1024;      ///< whole statement
  static constexpr std::size_t max_depth = 32;                 ///< expression nesting
  static constexpr std::size_t max_nodes = 2000;               ///< expression nodes in total
  static constexpr std::size_t max_literal_bytes = 16 * 1024;  ///< one string literal
  static constexpr std::size_t max_number_chars = 64;          ///< one number literal
  static constexpr std::size_t max_in_list = 1000;             ///< items of one IN (…)
  static constexpr std::size_t max_select_items = 256;         ///< items of the SELECT
  static constexpr std::size_t max_args = 16;                  ///< arguments of one call
  // Run time (payloads come from devices):
  static constexpr std::size_t max_payload_depth = 64;            ///< JSON nesting of a payload
  static constexpr std::size_t max_string_bytes = 1024 * 1024;    ///< one computed string
  static constexpr std::size_t max_eval_bytes = 4 * 1024 * 1024;  ///< strings built per evaluation
};

class program_impl;
class parsed_payload;

/// One compiled rule statement. Immutable after `compile`.
class program {
 public:
  /// Parses and checks `sql`: syntax, the FROM topic filter (a valid MQTT
  /// filter, no `$share/`), function names, arities and the argument types
  /// that are known before run time (literals, typed results), the limits.
  [[nodiscard]] static expected<program, sql_error> compile(std::string_view sql);

  /// The FROM topic filter, e.g. "/+/+/user/update".
  [[nodiscard]] const std::string& topic_filter() const;

  /// Evaluates the statement against one message: parses the payload as
  /// JSON (depth-capped) only when the statement reads payload fields or
  /// uses `SELECT *`, evaluates WHERE, then the SELECT.
  [[nodiscard]] eval_result evaluate(const message_context& m) const;

  /// The same with a payload parsed once by the caller and shared by
  /// several rules (`p` must have been made from `m.payload`).
  [[nodiscard]] eval_result evaluate(const message_context& m, const parsed_payload& p) const;

  /// True when the statement reads the payload as JSON (a field, `*`,
  /// payload('json'), thingPropertyFlatMap): callers sharing a parse may
  /// skip it when no rule needs it.
  [[nodiscard]] bool needs_json() const;

  /// The output names in SELECT order (an alias, or the name an unaliased
  /// item gets: see docs/rules.md). Empty for a bare `SELECT *`.
  [[nodiscard]] const std::vector<std::string>& output_names() const;

  /// True when the output also holds keys not known before run time: the
  /// payload's (`SELECT *`) or every property of thingPropertyFlatMap().
  [[nodiscard]] bool star() const;

 private:
  explicit program(std::shared_ptr<const program_impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<const program_impl> impl_;
};

/// A payload parsed once (depth-capped, UTF-8 validated) for
/// `program::evaluate`. Strings are copied into its own memory (the first
/// 4 KiB inline, no allocation for small payloads), so `payload` need not
/// outlive it. Not copyable. Read-only after construction: several rules
/// may evaluate against one `parsed_payload` at once.
class parsed_payload {
 public:
  using pool = rapidjson::MemoryPoolAllocator<rapidjson::CrtAllocator>;
  using document = rapidjson::GenericDocument<rapidjson::UTF8<>, pool, pool>;

  /// What the payload turned out to be.
  enum class state : std::uint8_t {
    json,      ///< valid UTF-8 JSON within the depth limit
    not_json,  ///< not JSON (fields read as missing; `SELECT *` fails)
    too_deep,  ///< JSON nested deeper than limits::max_payload_depth (evaluation fails)
  };
  explicit parsed_payload(std::string_view payload);
  parsed_payload(const parsed_payload&) = delete;
  parsed_payload& operator=(const parsed_payload&) = delete;

  [[nodiscard]] state status() const noexcept { return state_; }
  /// The parsed document (meaningful when status() == state::json).
  [[nodiscard]] const rapidjson::Value& root() const noexcept { return doc_; }

 private:
  alignas(std::max_align_t) char values_[4096];
  alignas(std::max_align_t) char stack_[1024];
  pool value_pool_{values_, sizeof values_};
  pool stack_pool_{stack_, sizeof stack_};
  document doc_{&value_pool_, 512, &stack_pool_};  // 512: the pool keeps a header
  state state_ = state::not_json;
};

/// Fills a republish template (topic or payload): each `${name}` or
/// `${a.b[0]}` is replaced by that field of `output_json` (a SELECT output);
/// a name the output lacks falls back to the message: `topic`, `clientId`,
/// `productKey`, `deviceName`, `messageId`, `qos`, `timestamp`. Strings are
/// inserted without quotes, other values as compact JSON; a missing field
/// becomes the empty string. `${` without a closing `}` is copied as is.
[[nodiscard]] std::string render_template(std::string_view tmpl, std::string_view output_json,
                                          const message_context& m);

/// The function reference (docs/rules-functions.md) as generated from the
/// function table. A unit test compares it with the committed file.
[[nodiscard]] std::string functions_markdown();

}  // namespace iotb::rules
