// Functions of the message (who sent it, where, when) and of time.

#include "broker/rules/functions.hpp"
#include "broker/rules/time_format.hpp"
#include "broker/tls/digest.hpp"
#include "broker/tls/random.hpp"

namespace iotb::rules::detail {

namespace {

using args_t = std::span<const value>;

value fn_device_name(eval_ctx& c, const call_node&, args_t) {
  return value::view(c.msg.device_name);
}
value fn_product_key(eval_ctx& c, const call_node&, args_t) {
  return value::view(c.msg.product_key);
}
value fn_client_id(eval_ctx& c, const call_node&, args_t) {
  return value::view(c.msg.client_id);
}
value fn_message_id(eval_ctx& c, const call_node&, args_t) {
  return value(static_cast<std::int64_t>(c.msg.message_id & 0x7fffffffffffffffULL));
}
value fn_qos(eval_ctx& c, const call_node&, args_t) {
  return value(static_cast<std::int64_t>(c.msg.qos));
}

value fn_topic(eval_ctx& c, const call_node& n, args_t a) {
  std::string_view t = c.msg.topic;
  if (a.empty())
    return value::view(t);
  if (a[0].is_null())
    return {};
  if (a[0].type() != vtype::integer)
    return type_error(c, n, 0, "an integer");
  auto k = a[0].as_int();
  if (t.starts_with('/'))  // "/pk/dn/user/update": level 1 is pk
    t.remove_prefix(1);
  for (std::int64_t level = 1; level <= k; ++level) {
    auto slash = t.find('/');
    if (level == k)
      return k >= 1 ? value::view(t.substr(0, slash)) : value();
    if (slash == std::string_view::npos)
      return {};
    t.remove_prefix(slash + 1);
  }
  return {};
}

value fn_attribute(eval_ctx& c, const call_node& n, args_t a) {
  if (a[0].is_null() || !c.msg.attribute)
    return {};
  if (!a[0].is_string())
    return type_error(c, n, 0, "a string");
  auto v = c.msg.attribute(a[0].as_string());
  if (!v)
    return {};
  return make_string(c, n, std::move(*v));
}

value fn_newuuid(eval_ctx& c, const call_node& n, args_t) {
  auto h = tls::random_hex(16);
  h[12] = '4';                        // version 4
  h[16] = "89ab"[(h[16] - '0') & 3];  // RFC 4122 variant
  std::string u = h.substr(0, 8) + '-' + h.substr(8, 4) + '-' + h.substr(12, 4) + '-' +
                  h.substr(16, 4) + '-' + h.substr(20);
  return make_string(c, n, std::move(u));
}

// --- time

constexpr std::int64_t min_seconds = -62135596800;  // 0001-01-01T00:00:00Z
constexpr std::int64_t max_seconds = 253402300799;  // 9999-12-31T23:59:59Z

bool in_range(instant t) {
  return t.seconds >= min_seconds && t.seconds <= max_seconds;
}

instant now(eval_ctx& c) {
  return from_unit(c.now_ms(), time_unit::millisecond);
}

bool prepare_java_pattern(call_node& n, sql_error& err) {
  std::string_view p;
  if (literal_string(n, 0, p)) {
    auto why = check_java_pattern(p);
    if (!why.empty())
      return arg_error(n, 0, why, err);
  }
  return true;
}

value java_time(eval_ctx& c, const call_node& n, args_t a, bool utc_default) {
  if (a.empty()) {
    if (!utc_default)
      return value(c.now_ms());
    return make_string(c, n, rfc3339_utc(now(c), 3));
  }
  if (a[0].is_null())
    return {};
  if (!a[0].is_string())
    return type_error(c, n, 0, "a string");
  auto why = check_java_pattern(a[0].as_string());
  if (!why.empty())
    return c.fail(n, std::string(n.fn().name) + "(): " + why);
  return make_string(c, n, format_java(a[0].as_string(), now(c)));
}

value fn_timestamp(eval_ctx& c, const call_node& n, args_t a) {
  return java_time(c, n, a, false);
}
value fn_timestamp_utc(eval_ctx& c, const call_node& n, args_t a) {
  return java_time(c, n, a, true);
}

/// The unit argument at i (default `def` when absent).
bool unit_arg(eval_ctx& c, const call_node& n, args_t a, std::size_t i, time_unit def,
              time_unit& out) {
  out = def;
  if (i >= a.size())
    return true;
  if (!a[i].is_string()) {
    type_error(c, n, i, "a unit: 'second', 'millisecond', 'microsecond' or 'nanosecond'");
    return false;
  }
  auto u = parse_unit(a[i].as_string());
  if (!u) {
    type_error(c, n, i, "a unit: 'second', 'millisecond', 'microsecond' or 'nanosecond'");
    return false;
  }
  out = *u;
  return true;
}

bool prepare_units(call_node& n, sql_error& err) {
  // format_date: unit is argument 0; the RFC 3339 functions: argument 1.
  std::size_t i = n.fn().name == "format_date" ? 0 : 1;
  std::string_view s;
  if (literal_string(n, i, s) && !parse_unit(s))
    return arg_error(n, i,
                     "unknown unit '" + std::string(s) +
                         "' (use second, millisecond, microsecond or nanosecond)",
                     err);
  if (n.fn().name == "format_date") {
    if (literal_string(n, 1, s) && !parse_offset(s))
      return arg_error(n, 1, "bad UTC offset '" + std::string(s) + "' (use 'Z' or '+08:00')", err);
    if (literal_string(n, 2, s)) {
      auto why = check_strftime(s);
      if (!why.empty())
        return arg_error(n, 2, why, err);
    }
  }
  return true;
}

value fn_format_date(eval_ctx& c, const call_node& n, args_t a) {
  for (auto& v : a)
    if (v.is_null())
      return {};
  time_unit u{};
  if (!unit_arg(c, n, a, 0, time_unit::second, u))
    return {};
  std::int32_t off = 0;
  if (a[1].type() == vtype::integer && a[1].as_int() > -86400 && a[1].as_int() < 86400) {
    off = static_cast<std::int32_t>(a[1].as_int());
  } else if (a[1].is_string() && parse_offset(a[1].as_string())) {
    off = *parse_offset(a[1].as_string());
  } else {
    return type_error(c, n, 1, "a UTC offset ('Z', '+08:00' or seconds)");
  }
  if (!a[2].is_string())
    return type_error(c, n, 2, "a string");
  auto why = check_strftime(a[2].as_string());
  if (!why.empty())
    return c.fail(n, "format_date(): " + why);
  instant t = now(c);
  if (a.size() > 3) {
    if (a[3].type() != vtype::integer)
      return type_error(c, n, 3, "an integer timestamp");
    t = from_unit(a[3].as_int(), u);
  }
  if (!in_range(t))
    return c.fail(n, "format_date(): timestamp out of range");
  return make_string(c, n, format_strftime(a[2].as_string(), t, off));
}

value fn_unix_to_rfc3339(eval_ctx& c, const call_node& n, args_t a) {
  if (a[0].is_null())
    return {};
  if (a[0].type() != vtype::integer)
    return type_error(c, n, 0, "an integer timestamp");
  time_unit u{};
  if (!unit_arg(c, n, a, 1, time_unit::second, u))
    return {};
  auto t = from_unit(a[0].as_int(), u);
  if (!in_range(t))
    return c.fail(n, "unix_ts_to_rfc3339(): timestamp out of range");
  static constexpr int digits[] = {0, 3, 6, 9};
  return make_string(c, n, rfc3339_utc(t, digits[static_cast<int>(u)]));
}

value fn_rfc3339_to_unix(eval_ctx& c, const call_node& n, args_t a) {
  if (a[0].is_null())
    return {};
  if (!a[0].is_string())
    return type_error(c, n, 0, "a string");
  time_unit u{};
  if (!unit_arg(c, n, a, 1, time_unit::second, u))
    return {};
  auto t = parse_rfc3339(a[0].as_string());
  if (!t)
    return c.fail(n, "rfc3339_to_unix_ts(): not an RFC 3339 time");
  auto v = to_unit(*t, u);
  if (!v)
    return c.fail(n, "rfc3339_to_unix_ts(): out of range");
  return value(*v);
}

// --- payload

enum class payload_enc : std::uint8_t { text, json, base64, hex };

bool prepare_payload(call_node& n, sql_error& err) {
  if (n.args().empty())
    return true;
  std::string_view e;
  if (!literal_string(n, 0, e))
    return arg_error(n, 0, "the encoding must be a string literal", err);
  payload_enc enc{};
  if (e == "utf-8" || e == "utf8" || e == "UTF-8")
    enc = payload_enc::text;
  else if (e == "json")
    enc = payload_enc::json;
  else if (e == "base64")
    enc = payload_enc::base64;
  else if (e == "hex")
    enc = payload_enc::hex;
  else
    return arg_error(
        n, 0, "unknown encoding '" + std::string(e) + "' (use utf-8, json, base64, hex)", err);
  n.reads_json = enc == payload_enc::json;
  n.prepared = std::make_shared<payload_enc>(enc);
  return true;
}

value fn_payload(eval_ctx& c, const call_node& n, args_t) {
  auto enc = n.prepared ? *static_cast<const payload_enc*>(n.prepared.get()) : payload_enc::text;
  switch (enc) {
    case payload_enc::text:
      return value::view(c.msg.payload);
    case payload_enc::json:
      return c.payload ? value::json(*c.payload) : value();
    case payload_enc::base64:
      return make_string(c, n, tls::base64_encode(c.msg.payload));
    case payload_enc::hex: {
      static constexpr char hex[] = "0123456789abcdef";
      std::string out;
      out.reserve(2 * c.msg.payload.size());
      for (unsigned char b : c.msg.payload) {
        out.push_back(hex[b >> 4]);
        out.push_back(hex[b & 15]);
      }
      return make_string(c, n, std::move(out));
    }
  }
  return {};
}

constexpr std::array<type_mask, 4> none{};

const function_def message_table[] = {
    {"deviceName", 0, 0, none, t_str, "()",
     "The sending device's name (\"\" for a non-device client).", "deviceName()", "\"sensor-01\"",
     origin::platform, fn_device_name},
    {"attribute",
     1,
     1,
     {t_str},
     t_str,
     "(tag)",
     "The device's tag value, null when the device has no such tag.",
     "attribute('room')",
     "\"lab-2\"",
     origin::platform,
     fn_attribute},
    {"payload",
     0,
     1,
     {t_str},
     t_any,
     "([encoding])",
     "The raw payload as text ('utf-8', the default), parsed ('json', null if not JSON), "
     "'base64' or 'hex'.",
     "payload('json').humidity",
     "61",
     origin::platform,
     fn_payload,
     prepare_payload},
    {"topic",
     0,
     1,
     {t_int},
     t_str,
     "([n])",
     "The topic, or its n-th level (1-based, a leading / skipped; null past the end).",
     "topic(2)",
     "\"sensor-01\"",
     origin::platform,
     fn_topic},
    {"messageId", 0, 0, none, t_int, "()", "The broker's ID of the message.", "messageId()", "4242",
     origin::platform, fn_message_id},
    {"newuuid", 0, 0, none, t_str, "()", "A random UUID (version 4).", "newuuid()", "",
     origin::platform, fn_newuuid},
    {"timestamp",
     0,
     1,
     {t_str},
     t_int | t_str,
     "([pattern])",
     "When the broker received the message, ms since the epoch; with a Java-style pattern "
     "(y M d H h m s S a Z X, 'text') that time as text in UTC.",
     "timestamp('yyyy-MM-dd HH:mm:ss')",
     "\"2023-11-14 22:13:20\"",
     origin::platform,
     fn_timestamp,
     prepare_java_pattern},
    {"timestamp_utc",
     0,
     1,
     {t_str},
     t_str,
     "([pattern])",
     "That time in UTC as RFC 3339 with milliseconds, or formatted by a pattern.",
     "timestamp_utc()",
     "\"2023-11-14T22:13:20.123Z\"",
     origin::platform,
     fn_timestamp_utc,
     prepare_java_pattern},
    {"productKey", 0, 0, none, t_str, "()",
     "The sending device's product key (\"\" for a non-device client).", "productKey()",
     "\"a1B2c3D4e5F\"", origin::extra, fn_product_key},
    {"clientId", 0, 0, none, t_str, "()", "The sender's MQTT client ID.", "clientId()",
     "\"a1B2c3D4e5F.sensor-01|securemode=2|\"", origin::extra, fn_client_id},
    {"qos", 0, 0, none, t_int, "()", "The message's QoS (0, 1 or 2).", "qos()", "1", origin::extra,
     fn_qos},
    {"format_date",
     3,
     4,
     {t_str, t_str | t_int, t_str, t_int},
     t_str,
     "(unit, offset, format[, ts])",
     "ts (default: the message's time) in `unit` formatted at a UTC offset; %Y %m %d %H %M "
     "%S %N %3N %6N %9N %z %:z.",
     "format_date('millisecond', '+08:00', '%Y-%m-%d %H:%M:%S.%3N', 1700000000123)",
     "\"2023-11-15 06:13:20.123\"",
     origin::extra,
     fn_format_date,
     prepare_units},
    {"unix_ts_to_rfc3339",
     1,
     2,
     {t_int, t_str},
     t_str,
     "(ts[, unit])",
     "An epoch time (unit default 'second') as RFC 3339 in UTC.",
     "unix_ts_to_rfc3339(1700000000)",
     "\"2023-11-14T22:13:20Z\"",
     origin::extra,
     fn_unix_to_rfc3339,
     prepare_units},
    {"rfc3339_to_unix_ts",
     1,
     2,
     {t_str, t_str},
     t_int,
     "(s[, unit])",
     "An RFC 3339 time as epoch time in `unit` (default 'second').",
     "rfc3339_to_unix_ts('2023-11-15T06:13:20+08:00', 'millisecond')",
     "1700000000000",
     origin::extra,
     fn_rfc3339_to_unix,
     prepare_units},
};

}  // namespace

std::span<const function_def> message_functions() {
  return message_table;
}

}  // namespace iotb::rules::detail
