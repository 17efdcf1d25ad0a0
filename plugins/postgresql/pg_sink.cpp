// The PostgreSQL sink (SPEC §9): each batch of rule outputs becomes one
// multi-row INSERT through libpq, the columns mapped from the output's
// fields (pg_mapping.hpp). Built as iotb_sink_postgresql.so on the plugin
// ABI (iotbroker/sink.h) through the C++ wrapper; it links libpq (and so
// OpenSSL 3), nothing of the broker. The broker loads it with RTLD_DEEPBIND
// so that libpq's OpenSSL calls stay in OpenSSL 3 (SPEC §9 "Crash
// isolation"; proved by tests/integration/test_sink_postgresql.py).
// Reference: docs/plugins.md "PostgreSQL (`postgres`)".
//
// Outcomes per record:
// - the batch's INSERT succeeds: OK;
// - the connection is down, cannot be made, or the server says the failure
//   is transient (SQLSTATE classes 08, 40, 53, 57, 58, statement timeout):
//   RETRY with libpq's text; the next `deliver` reconnects;
// - any other error (a constraint, a type, a trigger's exception, a missing
//   table): the batch is tried again row by row, so that only the rows the
//   server refuses get DROP (with its message) and the others are inserted.

#include <libpq-fe.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "iotbroker/sink.hpp"
#include "pg_mapping.hpp"

namespace {

namespace sink = iotbroker::sink;
namespace pg = iotbroker::pg;

constexpr const char* schema = R"({
  "type": "object",
  "required": ["conninfo", "table", "columns"],
  "additionalProperties": false,
  "properties": {
    "conninfo": {"type": "string", "description": "libpq connection string, e.g. host=127.0.0.1 dbname=iot user=iot sslmode=require"},
    "table": {"type": "string", "description": "\"table\" or \"schema.table\""},
    "columns": {"type": "object", "additionalProperties": {"type": "string"}, "description": "column → field of the rule's output (\"a.b\") or $topic, $productKey, $deviceName, $messageId, $timestamp, $timestampMs, $output"},
    "connectTimeoutSeconds": {"type": "integer", "minimum": 1, "maximum": 300, "default": 5},
    "statementTimeoutMs": {"type": "integer", "minimum": 1, "maximum": 300000, "default": 10000}
  }
})";

/// Least time between two connection attempts: records that keep coming
/// while the server is down get RETRY at once instead of a connect each.
constexpr std::chrono::milliseconds reconnect_pause{500};

struct conn_deleter {
  void operator()(PGconn* c) const noexcept { PQfinish(c); }
};
struct result_deleter {
  void operator()(PGresult* r) const noexcept { PQclear(r); }
};
using conn_ptr = std::unique_ptr<PGconn, conn_deleter>;
using result_ptr = std::unique_ptr<PGresult, result_deleter>;

/// libpq's texts end with a newline (and may hold several lines).
std::string trimmed(const char* text) {
  std::string s = text == nullptr ? std::string{} : std::string{text};
  while (!s.empty() && (s.back() == '\n' || s.back() == ' '))
    s.pop_back();
  return s.empty() ? std::string{"unknown libpq error"} : s;
}

/// Checks the conninfo's syntax without connecting.
void check_conninfo(const std::string& conninfo) {
  char* err = nullptr;
  PQconninfoOption* opts = PQconninfoParse(conninfo.c_str(), &err);
  if (opts == nullptr) {
    std::string why = err != nullptr ? trimmed(err) : "out of memory";
    PQfreemem(err);
    throw sink::error("conninfo: " + why);
  }
  PQconninfoFree(opts);
}

/// True when a failed statement's SQLSTATE says "try again later" rather
/// than "this data is wrong".
bool transient(const char* sqlstate) {
  if (sqlstate == nullptr)  // no server error: the client side failed
    return true;
  std::string_view s{sqlstate};
  if (s == "57014")  // query_canceled: our statement timeout
    return true;
  auto cls = s.substr(0, 2);
  return cls == "08" || cls == "40" || cls == "53" || cls == "57" || cls == "58";
}

class pg_sink : public sink::instance {
 public:
  static constexpr const char* name = "postgres";
  static constexpr const char* version = "1.0.0";
  static constexpr const char* description =
      "Inserts each record as a row into a PostgreSQL table (libpq; batched multi-row INSERTs)";
  static constexpr const char* config_schema = schema;

  /// Checks the configuration only: connecting waits for the first batch,
  /// so a server that is down does not refuse the rule (nor block `create`).
  explicit pg_sink(const sink::create_context& ctx) : host_(ctx.host) {
    auto parsed = pg::parse_config(ctx.config_json);
    if (!parsed.config)
      throw sink::error(parsed.error);
    cfg_ = std::move(*parsed.config);
    check_conninfo(cfg_.conninfo);
  }

  void deliver(const std::vector<sink::record>& records,
               std::vector<sink::result>& results) override {
    if (auto err = connect(); !err.empty()) {
      fail(results, 0, results.size(), sink::status::retry, err);
      return;
    }
    const auto per_statement = pg::rows_per_statement(cfg_.columns.size(), records.size());
    for (std::size_t first = 0; first < records.size();) {
      auto n = std::min(per_statement, records.size() - first);
      if (auto err = insert_rows(records, results, first, n); !err.empty()) {
        fail(results, first + n, results.size(), sink::status::retry, err);
        return;
      }
      first += n;
    }
  }

 private:
  /// Connects when there is no working connection. @returns "" or why not.
  std::string connect() {
    if (conn_ && PQstatus(conn_.get()) == CONNECTION_OK)
      return {};
    auto now = std::chrono::steady_clock::now();
    if (conn_ == nullptr && !connect_error_.empty() && now - last_attempt_ < reconnect_pause)
      return connect_error_;
    last_attempt_ = now;
    conn_.reset();
    // Keywords are applied in order: the conninfo (expanded from dbname)
    // overrides the application name and the TCP timeout; our connect
    // timeout overrides the conninfo's. tcp_user_timeout bounds a call on a
    // peer that vanished (no RST) near the statement timeout.
    const auto tcp_timeout = std::to_string(cfg_.statement_timeout_ms + 5000);
    const auto timeout = std::to_string(cfg_.connect_timeout_s);
    const char* keys[] = {"fallback_application_name", "tcp_user_timeout", "dbname",
                          "connect_timeout", nullptr};
    const char* values[] = {"iotbroker", tcp_timeout.c_str(), cfg_.conninfo.c_str(),
                            timeout.c_str(), nullptr};
    conn_ptr c{PQconnectdbParams(keys, values, 1)};
    if (!c || PQstatus(c.get()) != CONNECTION_OK) {
      connect_error_ = "cannot connect: " + trimmed(c ? PQerrorMessage(c.get()) : "out of memory");
      host_.warn(connect_error_);
      return connect_error_;
    }
    // A SET rather than the `options` keyword, which would replace the
    // conninfo's own options.
    const auto set = "SET statement_timeout = " + std::to_string(cfg_.statement_timeout_ms);
    if (result_ptr r{PQexec(c.get(), set.c_str())}; PQresultStatus(r.get()) != PGRES_COMMAND_OK) {
      connect_error_ = "cannot set statement_timeout: " + trimmed(PQerrorMessage(c.get()));
      host_.warn(connect_error_);
      return connect_error_;
    }
    conn_ = std::move(c);
    connect_error_.clear();
    const char* ssl =
        PQsslInUse(conn_.get()) != 0 ? PQsslAttribute(conn_.get(), "protocol") : nullptr;
    host_.info(std::string{"connected to "} + PQhost(conn_.get()) + ":" + PQport(conn_.get()) +
               " db " + PQdb(conn_.get()) +
               (ssl != nullptr ? std::string{", "} + ssl : ", no TLS"));
    return {};
  }

  /// Inserts records [first, first + n) as one statement; on a data error,
  /// row by row. @returns "" when every record of the range has its
  /// verdict, else why the rest cannot be tried now (the connection failed,
  /// or a transient error): the failed records already carry RETRY, the
  /// caller gives the records after the range RETRY too.
  std::string insert_rows(const std::vector<sink::record>& records,
                          std::vector<sink::result>& results, std::size_t first, std::size_t n) {
    std::vector<pg::param> params;
    params.reserve(n * cfg_.columns.size());
    std::vector<std::size_t> rows;  // the records that made a row
    for (std::size_t i = first; i < first + n; ++i) {
      if (auto e = pg::append_row(cfg_, records[i], params); !e.empty())
        fail(results, i, i + 1, sink::status::drop, e);
      else
        rows.push_back(i);
    }
    if (rows.empty())
      return {};
    auto r = exec(rows.size(), params, 0);
    if (PQresultStatus(r.get()) == PGRES_COMMAND_OK)
      return {};
    if (auto stop = stop_error(r.get()); stop) {
      for (auto i : rows)
        fail(results, i, i + 1, sink::status::retry, *stop);
      return *stop;
    }
    // A data error: one statement per row, so that only bad rows fail.
    if (rows.size() > 1)
      host_.debug("an INSERT of " + std::to_string(rows.size()) + " rows failed (" +
                  trimmed(PQresultErrorMessage(r.get())) + "): inserting them one by one");
    const auto ncols = cfg_.columns.size();
    for (std::size_t k = 0; k < rows.size(); ++k) {
      auto one = exec(1, params, k * ncols);
      if (PQresultStatus(one.get()) == PGRES_COMMAND_OK)
        continue;
      if (auto stop = stop_error(one.get()); stop) {
        for (auto j = k; j < rows.size(); ++j)
          fail(results, rows[j], rows[j] + 1, sink::status::retry, *stop);
        return *stop;
      }
      fail(results, rows[k], rows[k] + 1, sink::status::drop,
           trimmed(PQresultErrorMessage(one.get())));
    }
    return {};
  }

  /// Runs the INSERT of `rows` rows whose parameters start at params[from].
  result_ptr exec(std::size_t rows, const std::vector<pg::param>& params, std::size_t from) {
    const auto count = rows * cfg_.columns.size();
    std::vector<const char*> values(count);
    for (std::size_t i = 0; i < count; ++i)
      values[i] = params[from + i] ? params[from + i]->c_str() : nullptr;
    auto& sql = sql_for(rows);
    return result_ptr{PQexecParams(conn_.get(), sql.c_str(), static_cast<int>(count), nullptr,
                                   values.data(), nullptr, nullptr, 0)};
  }

  /// The INSERT text for `rows` rows (made once per row count).
  const std::string& sql_for(std::size_t rows) {
    if (sql_.size() <= rows)
      sql_.resize(rows + 1);
    if (sql_[rows].empty())
      sql_[rows] = pg::insert_sql(cfg_, rows);
    return sql_[rows];
  }

  /// Classifies a failed statement: nullopt for a data error (worth trying
  /// row by row); else the text of a lost connection (which is dropped, so
  /// that the next batch reconnects) or of a transient server error.
  std::optional<std::string> stop_error(const PGresult* r) {
    const char* state = r != nullptr ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
    const bool broken = PQstatus(conn_.get()) != CONNECTION_OK;
    if (!broken && !transient(state))
      return std::nullopt;
    const char* text = r != nullptr ? PQresultErrorMessage(r) : nullptr;
    auto err = trimmed(text != nullptr && *text != '\0' ? text : PQerrorMessage(conn_.get()));
    if (broken) {
      host_.warn("connection lost: " + err);
      conn_.reset();
    }
    return err;
  }

  static void fail(std::vector<sink::result>& results, std::size_t from, std::size_t to,
                   sink::status s, const std::string& err) {
    for (auto i = from; i < to; ++i)
      if (results[i].status == sink::status::unset) {
        results[i].status = s;
        results[i].error = err;
      }
  }

  pg::config cfg_;
  sink::host host_;
  conn_ptr conn_;
  std::vector<std::string> sql_;  ///< INSERT text by row count
  std::string connect_error_;     ///< why the last connect failed ("" after a success)
  std::chrono::steady_clock::time_point last_attempt_{};
};

}  // namespace

IOTB_SINK_PLUGIN(pg_sink)
