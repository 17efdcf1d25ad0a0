#pragma once
/// @file
/// The PostgreSQL sink's pure half: its configuration, the INSERT statement
/// it sends, and how a record becomes one row of text parameters. No libpq,
/// no sockets, no host callbacks, so that every rule of the mapping is
/// unit-tested (pg_mapping.test.cpp) without a server. The connection, the
/// batching and the error handling are pg_sink.cpp's.
///
/// Reference: docs/plugins.md "PostgreSQL (`postgresql`)".

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "iotbroker/sink.hpp"

namespace iotbroker::pg {

/// Where a column's value comes from.
enum class source : std::uint8_t {
  field,         ///< a (dotted) path into the rule's output object
  topic,         ///< `$topic`: the message's topic
  product_key,   ///< `$productKey`
  device_name,   ///< `$deviceName`
  message_id,    ///< `$messageId`: the broker's 64-bit id, in decimal
  timestamp,     ///< `$timestamp`: receive time, RFC 3339 UTC with ms
  timestamp_ms,  ///< `$timestampMs`: receive time, ms since the epoch
  output,        ///< `$output`: the whole output JSON
};

/// One column of the table and what fills it.
struct column {
  std::string name;               ///< the column's name (unquoted)
  source from = source::field;    ///< where its value comes from
  std::vector<std::string> path;  ///< source::field: the path's parts ("a.b" → a, b)
};

/// A validated configuration.
struct config {
  std::string conninfo;                 ///< libpq connection string (checked by pg_sink.cpp)
  std::vector<std::string> table;       ///< [schema,] table (unquoted parts)
  std::vector<column> columns;          ///< in the configuration's order, at least one
  std::uint32_t connect_timeout_s = 5;  ///< `connectTimeoutSeconds`
  std::uint32_t statement_timeout_ms = 10'000;  ///< `statementTimeoutMs`
};

/// A configuration, or why it is refused (the text names the key).
struct config_result {
  std::optional<pg::config> config;  ///< set on success
  std::string error;                 ///< set on failure
};

/// Parses and checks the sink's configuration (a JSON object, camelCase
/// keys; an unknown key is an error). Does not look at the conninfo's
/// syntax: that is libpq's (pg_sink.cpp).
[[nodiscard]] config_result parse_config(std::string_view json);

/// `name` as a quoted SQL identifier: in double quotes, inner quotes
/// doubled ("a""b").
[[nodiscard]] std::string quote_identifier(std::string_view name);

/// PostgreSQL takes at most 65,535 parameters per statement: the rows one
/// INSERT may carry with `columns` columns (at least 1, at most `batch`).
[[nodiscard]] std::size_t rows_per_statement(std::size_t columns, std::size_t batch) noexcept;

/// `INSERT INTO "schema"."table" ("c1","c2") VALUES ($1,$2),($3,$4)` for
/// `rows` rows (rows >= 1).
[[nodiscard]] std::string insert_sql(const config& cfg, std::size_t rows);

/// One SQL parameter in text format; nullopt is SQL NULL.
using param = std::optional<std::string>;

/// Appends the row of record `r` (one parameter per column, in order) to
/// `out`. Strings go as they are, numbers and booleans as their JSON text,
/// objects and arrays as JSON text, a missing field or JSON null as NULL.
/// @returns an empty string, or why this record cannot become a row (a text
///   value holding a NUL character, which PostgreSQL text cannot store);
///   `out` is then left as it was.
[[nodiscard]] std::string append_row(const config& cfg, const iotbroker::sink::record& r,
                                     std::vector<param>& out);

/// `ms` since the epoch as RFC 3339 in UTC with milliseconds
/// ("2026-12-03T10:00:00.123Z").
[[nodiscard]] std::string rfc3339_ms(std::int64_t ms);

}  // namespace iotbroker::pg
