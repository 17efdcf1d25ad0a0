#include "pg_mapping.hpp"

#include <algorithm>
#include <ctime>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace iotbroker::pg {

namespace {

/// PostgreSQL's limits: NAMEDATALEN - 1 bytes per identifier (longer ones
/// would be cut silently), 1,600 columns per table, 65,535 parameters.
constexpr std::size_t max_identifier = 63;
constexpr std::size_t max_columns = 1600;
constexpr std::size_t max_params = 65'535;
constexpr std::size_t max_path_parts = 32;

std::string_view view(const rapidjson::Value& v) {
  return {v.GetString(), v.GetStringLength()};
}

/// Empty when `name` may be an identifier, else why not.
std::string check_identifier(std::string_view what, std::string_view name) {
  if (name.empty())
    return std::string{what} + ": an empty name";
  if (name.size() > max_identifier)
    return std::string{what} + ": '" + std::string{name} + "' is longer than 63 bytes";
  if (name.find('\0') != std::string_view::npos)
    return std::string{what} + ": a NUL character in a name";
  return {};
}

std::string parse_table(std::string_view s, config& c) {
  std::size_t start = 0;
  while (true) {
    auto dot = s.find('.', start);
    auto part = s.substr(start, dot == std::string_view::npos ? dot : dot - start);
    if (auto e = check_identifier("table", part); !e.empty())
      return e + " (expected \"table\" or \"schema.table\")";
    c.table.emplace_back(part);
    if (dot == std::string_view::npos)
      break;
    start = dot + 1;
  }
  if (c.table.size() > 2)
    return "table: expected \"table\" or \"schema.table\"";
  return {};
}

std::optional<source> special(std::string_view s) {
  if (s == "$topic")
    return source::topic;
  if (s == "$productKey")
    return source::product_key;
  if (s == "$deviceName")
    return source::device_name;
  if (s == "$messageId")
    return source::message_id;
  if (s == "$timestamp")
    return source::timestamp;
  if (s == "$timestampMs")
    return source::timestamp_ms;
  if (s == "$output")
    return source::output;
  return std::nullopt;
}

std::string parse_column(std::string_view name, const rapidjson::Value& v, config& c) {
  const std::string where = "columns." + std::string{name};
  if (auto e = check_identifier("columns", name); !e.empty())
    return e;
  for (const auto& prev : c.columns)
    if (prev.name == name)
      return where + ": named twice";
  if (!v.IsString() || v.GetStringLength() == 0)
    return where +
           ": expected a field of the rule's output (\"a.b\") or one of $topic, "
           "$productKey, $deviceName, $messageId, $timestamp, $timestampMs, $output";
  column col;
  col.name = std::string{name};
  auto s = view(v);
  if (s.front() == '$') {
    auto from = special(s);
    if (!from)
      return where + ": unknown '" + std::string{s} +
             "' ($topic, $productKey, $deviceName, $messageId, $timestamp, $timestampMs, "
             "$output)";
    col.from = *from;
  } else {
    std::size_t start = 0;
    while (true) {
      auto dot = s.find('.', start);
      auto part = s.substr(start, dot == std::string_view::npos ? dot : dot - start);
      if (part.empty())
        return where + ": an empty part in the path '" + std::string{s} + "'";
      col.path.emplace_back(part);
      if (dot == std::string_view::npos)
        break;
      start = dot + 1;
    }
    if (col.path.size() > max_path_parts)
      return where + ": a path of more than 32 parts";
  }
  c.columns.push_back(std::move(col));
  return {};
}

std::string get_uint(const rapidjson::Value& v, std::string_view key, std::uint32_t lo,
                     std::uint32_t hi, std::uint32_t& out) {
  if (!v.IsUint() || v.GetUint() < lo || v.GetUint() > hi)
    return std::string{key} + ": expected an integer in [" + std::to_string(lo) + ", " +
           std::to_string(hi) + "]";
  out = v.GetUint();
  return {};
}

std::string parse_member(std::string_view k, const rapidjson::Value& v, config& c) {
  if (k == "conninfo") {
    if (!v.IsString() || v.GetStringLength() == 0)
      return "conninfo: expected a libpq connection string (\"host=... dbname=...\")";
    c.conninfo = std::string{view(v)};
    return {};
  }
  if (k == "table") {
    if (!v.IsString())
      return "table: expected a string (\"table\" or \"schema.table\")";
    return parse_table(view(v), c);
  }
  if (k == "columns") {
    if (!v.IsObject() || v.MemberCount() == 0)
      return "columns: expected an object of column name → field of the rule's output";
    if (v.MemberCount() > max_columns)
      return "columns: more than 1600 columns";
    for (const auto& m : v.GetObject())
      if (auto e = parse_column(view(m.name), m.value, c); !e.empty())
        return e;
    return {};
  }
  if (k == "connectTimeoutSeconds")
    return get_uint(v, k, 1, 300, c.connect_timeout_s);
  if (k == "statementTimeoutMs")
    return get_uint(v, k, 1, 300'000, c.statement_timeout_ms);
  return "unknown key '" + std::string{k} +
         "' (conninfo, table, columns, connectTimeoutSeconds, statementTimeoutMs)";
}

/// The member of `v` at `path`, or null when a part is missing or a step is
/// not an object.
const rapidjson::Value* find_path(const rapidjson::Value& v, const std::vector<std::string>& path) {
  const rapidjson::Value* at = &v;
  for (const auto& part : path) {
    if (!at->IsObject())
      return nullptr;
    auto it = at->FindMember(rapidjson::Value(
        rapidjson::StringRef(part.data(), static_cast<rapidjson::SizeType>(part.size()))));
    if (it == at->MemberEnd())
      return nullptr;
    at = &it->value;
  }
  return at;
}

/// A JSON value as a text parameter (see append_row).
param to_param(const rapidjson::Value& v) {
  if (v.IsNull())
    return std::nullopt;
  if (v.IsString())
    return std::string{view(v)};
  rapidjson::StringBuffer sb;
  rapidjson::Writer<rapidjson::StringBuffer> w(sb);
  v.Accept(w);
  return std::string{sb.GetString(), sb.GetSize()};
}

}  // namespace

config_result parse_config(std::string_view json) {
  rapidjson::Document d;
  d.Parse(json.data(), json.size());
  if (d.HasParseError() || !d.IsObject())
    return {std::nullopt, "the configuration must be a JSON object"};
  config c;
  for (const auto& m : d.GetObject())
    if (auto e = parse_member(view(m.name), m.value, c); !e.empty())
      return {std::nullopt, std::move(e)};
  for (const char* key : {"conninfo", "table", "columns"}) {
    if (!d.HasMember(key))
      return {std::nullopt, std::string{key} + ": required"};
  }
  return {std::move(c), {}};
}

std::string quote_identifier(std::string_view name) {
  std::string out;
  out.reserve(name.size() + 2);
  out.push_back('"');
  for (char ch : name) {
    if (ch == '"')
      out.push_back('"');
    out.push_back(ch);
  }
  out.push_back('"');
  return out;
}

std::size_t rows_per_statement(std::size_t columns, std::size_t batch) noexcept {
  auto fit = columns == 0 ? batch : max_params / columns;
  return std::max<std::size_t>(1, std::min(fit, batch));
}

std::string insert_sql(const config& cfg, std::size_t rows) {
  std::string sql = "INSERT INTO ";
  for (std::size_t i = 0; i < cfg.table.size(); ++i) {
    if (i > 0)
      sql += '.';
    sql += quote_identifier(cfg.table[i]);
  }
  sql += " (";
  for (std::size_t i = 0; i < cfg.columns.size(); ++i) {
    if (i > 0)
      sql += ',';
    sql += quote_identifier(cfg.columns[i].name);
  }
  sql += ") VALUES ";
  std::size_t n = 0;
  for (std::size_t r = 0; r < rows; ++r) {
    sql += r == 0 ? "(" : ",(";
    for (std::size_t i = 0; i < cfg.columns.size(); ++i) {
      sql += i == 0 ? "$" : ",$";
      sql += std::to_string(++n);
    }
    sql += ')';
  }
  return sql;
}

std::string rfc3339_ms(std::int64_t ms) {
  auto secs = static_cast<std::time_t>(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
  auto frac = static_cast<int>(ms - static_cast<std::int64_t>(secs) * 1000);
  std::tm tm{};
  if (gmtime_r(&secs, &tm) == nullptr)
    return std::to_string(ms);
  char buf[40];
  auto n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::string out{buf, n};
  char ms_part[8];
  std::snprintf(ms_part, sizeof ms_part, ".%03dZ", frac);
  return out + ms_part;
}

std::string append_row(const config& cfg, const iotbroker::sink::record& r,
                       std::vector<param>& out) {
  rapidjson::Document doc;
  bool parsed = false;
  const auto size_before = out.size();
  for (const auto& col : cfg.columns) {
    switch (col.from) {
      case source::topic:
        out.emplace_back(std::string{r.topic});
        break;
      case source::product_key:
        out.emplace_back(std::string{r.product_key});
        break;
      case source::device_name:
        out.emplace_back(std::string{r.device_name});
        break;
      case source::message_id:
        out.emplace_back(std::to_string(r.message_id));
        break;
      case source::timestamp:
        out.emplace_back(rfc3339_ms(r.timestamp_ms));
        break;
      case source::timestamp_ms:
        out.emplace_back(std::to_string(r.timestamp_ms));
        break;
      case source::output:
        out.emplace_back(r.output.empty() ? param{} : param{std::string{r.output}});
        break;
      case source::field: {
        if (!parsed) {
          doc.Parse(r.output.data(), r.output.size());
          parsed = true;
        }
        const auto* v = doc.HasParseError() ? nullptr : find_path(doc, col.path);
        out.push_back(v == nullptr ? param{} : to_param(*v));
        break;
      }
    }
    if (out.back() && out.back()->find('\0') != std::string::npos) {
      out.resize(size_before);
      return "column " + col.name +
             ": a text value with a NUL character (PostgreSQL text "
             "cannot hold one)";
    }
  }
  return {};
}

}  // namespace iotbroker::pg
