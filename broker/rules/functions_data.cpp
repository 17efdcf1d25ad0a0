// Conversions, null handling, JSON, arrays, maps and the thing model's
// property map.

#include <cmath>

#include "broker/rules/functions.hpp"
#include "broker/rules/json_out.hpp"

namespace iotb::rules::detail {

namespace {

using args_t = std::span<const value>;

value fn_nanvl(eval_ctx&, const call_node&, args_t a) {
  if (a[0].is_null() || (a[0].type() == vtype::real && std::isnan(a[0].as_real())))
    return a[1];
  return a[0];
}

value fn_int(eval_ctx& c, const call_node& n, args_t a) {
  const value& v = a[0];
  switch (v.type()) {
    case vtype::null:
      return {};
    case vtype::boolean:
      return value(static_cast<std::int64_t>(v.as_bool() ? 1 : 0));
    case vtype::integer:
      return v;
    case vtype::real: {
      double d = std::trunc(v.as_real());
      if (!std::isfinite(d) || std::fabs(d) > 9.2e18)
        return c.fail(n, "int(): out of range");
      return value(static_cast<std::int64_t>(d));
    }
    case vtype::string: {
      value num;
      if (!parse_number(v.as_string(), num))
        return c.fail(n,
                      "int(): '" + std::string(v.as_string().substr(0, 40)) + "' is not a number");
      return fn_int(c, n, std::span<const value>(&num, 1));
    }
    default:
      return type_error(c, n, 0, "a number, string or boolean");
  }
}

value fn_float(eval_ctx& c, const call_node& n, args_t a) {
  const value& v = a[0];
  switch (v.type()) {
    case vtype::null:
      return {};
    case vtype::boolean:
      return value(v.as_bool() ? 1.0 : 0.0);
    case vtype::integer:
    case vtype::real:
      return value(v.as_real());
    case vtype::string: {
      value num;
      if (!parse_number(v.as_string(), num))
        return c.fail(
            n, "float(): '" + std::string(v.as_string().substr(0, 40)) + "' is not a number");
      return value(num.as_real());
    }
    default:
      return type_error(c, n, 0, "a number, string or boolean");
  }
}

value fn_str(eval_ctx& c, const call_node& n, args_t a) {
  if (a[0].is_null())
    return {};
  if (a[0].is_string())
    return a[0];
  return make_string(c, n, to_text(a[0]));
}

value fn_bool(eval_ctx& c, const call_node& n, args_t a) {
  const value& v = a[0];
  switch (v.type()) {
    case vtype::null:
      return {};
    case vtype::boolean:
      return v;
    case vtype::integer:
    case vtype::real:
      return value(v.as_real() != 0);
    case vtype::string: {
      auto s = v.as_string();
      if (s == "true" || s == "TRUE" || s == "True" || s == "1")
        return value(true);
      if (s == "false" || s == "FALSE" || s == "False" || s == "0")
        return value(false);
      return c.fail(n, "bool(): '" + std::string(s.substr(0, 40)) + "' is not a boolean");
    }
    default:
      return type_error(c, n, 0, "a boolean, number or string");
  }
}

value fn_is_null(eval_ctx&, const call_node&, args_t a) {
  return value(a[0].is_null());
}

value fn_coalesce(eval_ctx&, const call_node&, args_t a) {
  for (auto& v : a)
    if (!v.is_null())
      return v;
  return {};
}

value fn_json_encode(eval_ctx& c, const call_node& n, args_t a) {
  std::string out;
  if (!append_json(out, a[0]))
    return c.fail(n, "json_encode(): a string is not valid UTF-8");
  return make_string(c, n, std::move(out));
}

/// A parsed document that values may point into.
struct owned_doc {
  rapidjson::Document doc;
};

value fn_json_decode(eval_ctx& c, const call_node& n, args_t a) {
  if (a[0].is_null())
    return {};
  if (!a[0].is_string())
    return type_error(c, n, 0, "a string");
  auto s = a[0].as_string();
  if (!c.charge(n, s.size()))
    return {};
  parsed_payload probe(s);  // the same depth cap and UTF-8 check as payloads
  if (probe.status() != parsed_payload::state::json)
    return c.fail(n, probe.status() == parsed_payload::state::too_deep
                         ? "json_decode(): nested too deeply"
                         : "json_decode(): not JSON");
  auto d = std::make_shared<owned_doc>();
  d->doc.CopyFrom(probe.root(), d->doc.GetAllocator());
  const rapidjson::Value& root = d->doc;
  return value::json(root, std::shared_ptr<const void>(d, &d->doc));
}

value fn_map_get(eval_ctx& c, const call_node& n, args_t a) {
  if (a[0].is_null())
    return {};
  if (!a[0].is_string())
    return type_error(c, n, 0, "a string");
  value v = a[1];
  auto key = a[0].as_string();
  // 'a.b' walks into nested objects.
  while (!v.is_null()) {
    auto dot = key.find('.');
    v = v.get(key.substr(0, dot));
    if (dot == std::string_view::npos)
      break;
    key.remove_prefix(dot + 1);
  }
  if (v.is_null() && a.size() > 2)
    return a[2];
  return v;
}

value fn_nth(eval_ctx& c, const call_node& n, args_t a) {
  if (a[0].is_null() || a[1].is_null())
    return {};
  if (a[0].type() != vtype::integer)
    return type_error(c, n, 0, "an integer");
  if (a[1].type() != vtype::array)
    return type_error(c, n, 1, "an array");
  auto i = a[0].as_int();
  if (i < 1 || static_cast<std::uint64_t>(i) > a[1].size())
    return {};
  return a[1].at(static_cast<std::size_t>(i - 1));
}

value fn_contains(eval_ctx& c, const call_node& n, args_t a) {
  if (a[0].is_null() || a[1].is_null())
    return {};
  if (a[1].is_string()) {
    if (!a[0].is_string())
      return type_error(c, n, 0, "a string when searching a string");
    return value(a[1].as_string().find(a[0].as_string()) != std::string_view::npos);
  }
  if (a[1].type() != vtype::array)
    return type_error(c, n, 1, "an array or a string");
  bool found = false;
  a[1].for_each_item([&](const value& e) { found = found || equals(a[0], e) == tri::yes; });
  return value(found);
}

template <bool Last>
value fn_end(eval_ctx& c, const call_node& n, args_t a) {
  if (a[0].is_null())
    return {};
  if (a[0].type() != vtype::array)
    return type_error(c, n, 0, "an array");
  if (a[0].size() == 0)
    return {};
  return a[0].at(Last ? a[0].size() - 1 : 0);
}

/// The thing model's properties in a payload: the forwarded form
/// `{"items":{"id":{"value":v,"time":t}}}` or a device's Alink post
/// `{"params":{"id":v}}` / `{"params":{"id":{"value":v}}}`.
value fn_flat_map(eval_ctx& c, const call_node& n, args_t a) {
  if (c.payload == nullptr || !c.payload->IsObject())
    return value::object({});
  value root = value::json(*c.payload);
  value props = root.get("items");
  if (props.type() != vtype::object)
    props = root.get("params");
  std::vector<member> out;
  auto add = [&](std::string_view id, const value& p) {
    value v = p;
    if (p.type() == vtype::object) {
      auto inner = p.get("value");
      if (!inner.is_missing())
        v = inner;
    }
    out.emplace_back(std::string(id), v);
  };
  if (props.type() == vtype::object) {
    if (a.empty()) {
      props.for_each_member(add);
    } else {
      for (auto& id : a) {
        auto p = props.get(id.as_string());
        if (!p.is_missing())
          add(id.as_string(), p);
      }
    }
  }
  (void)n;
  return value::object(std::move(out));
}

constexpr type_mask t_all = t_any;

const function_def data_table[] = {
    {"nanvl",
     2,
     2,
     {t_all, t_all},
     t_any,
     "(value, default)",
     "default when value is null or NaN, else value.",
     "nanvl(missing_field, 0)",
     "0",
     origin::platform,
     fn_nanvl},
    {"thingPropertyFlatMap",
     0,
     variadic,
     {t_str, t_str, t_str, t_str},
     t_obj,
     "([id, …])",
     "The thing model's properties as {id: value}: from the payload's `items` "
     "({\"id\":{\"value\":v,\"time\":t}}) or an Alink post's `params`; all of them, or the "
     "identifiers named (bare or quoted). Unaliased in SELECT, its members join the output.",
     "thingPropertyFlatMap(Temperature)",
     "{\"Temperature\":38.5}",
     origin::platform,
     fn_flat_map,
     nullptr,
     true},
    {"int",
     1,
     1,
     {t_scalar},
     t_int,
     "(x)",
     "x as an integer: reals truncated, numeric strings parsed, booleans 1/0.",
     "int('38.9')",
     "38",
     origin::extra,
     fn_int},
    {"float",
     1,
     1,
     {t_scalar},
     t_real,
     "(x)",
     "x as a real (numeric strings parsed).",
     "float('1.5e2')",
     "150.0",
     origin::extra,
     fn_float},
    {"str",
     1,
     1,
     {t_all},
     t_str,
     "(x)",
     "x as text: numbers shortest round-trip, booleans true/false, arrays/objects as JSON.",
     "str(38.5)",
     "\"38.5\"",
     origin::extra,
     fn_str},
    {"bool",
     1,
     1,
     {t_scalar},
     t_bool,
     "(x)",
     "x as a boolean: numbers ≠ 0, 'true'/'false'/'1'/'0'.",
     "bool('true')",
     "true",
     origin::extra,
     fn_bool},
    {"is_null",
     1,
     1,
     {t_all},
     t_bool,
     "(x)",
     "True when x is null or missing (never null).",
     "is_null(missing_field)",
     "true",
     origin::extra,
     fn_is_null},
    {"coalesce",
     1,
     variadic,
     {t_all, t_all, t_all, t_all},
     t_any,
     "(a, b, …)",
     "The first argument that is not null.",
     "coalesce(missing_field, humidity)",
     "61",
     origin::extra,
     fn_coalesce},
    {"json_encode",
     1,
     1,
     {t_all},
     t_str,
     "(x)",
     "x as compact JSON text (null gives \"null\").",
     "json_encode(tags)",
     "\"[\\\"a\\\",\\\"b\\\",\\\"c\\\"]\"",
     origin::extra,
     fn_json_encode},
    {"json_decode",
     1,
     1,
     {t_str},
     t_any,
     "(s)",
     "The value that JSON text s holds (depth-capped like payloads).",
     "json_decode('{\"a\":[1,2]}').a[1]",
     "2",
     origin::extra,
     fn_json_decode},
    {"map_get",
     2,
     3,
     {t_str, t_obj, t_all},
     t_any,
     "(key, object[, default])",
     "object's member key ('a.b' for nested ones), else default or null.",
     "map_get('Temperature.value', items)",
     "38.5",
     origin::extra,
     fn_map_get},
    {"nth",
     2,
     2,
     {t_int, t_arr},
     t_any,
     "(n, array)",
     "The n-th item (1-based), or null.",
     "nth(2, tags)",
     "\"b\"",
     origin::extra,
     fn_nth},
    {"contains",
     2,
     2,
     {t_all, t_arr | t_str},
     t_bool,
     "(item, array_or_string)",
     "True when the array holds item (as by =), or the string holds item as a substring.",
     "contains('b', tags)",
     "true",
     origin::extra,
     fn_contains},
    {"first",
     1,
     1,
     {t_arr},
     t_any,
     "(array)",
     "The first item, or null.",
     "first(tags)",
     "\"a\"",
     origin::extra,
     fn_end<false>},
    {"last",
     1,
     1,
     {t_arr},
     t_any,
     "(array)",
     "The last item, or null.",
     "last(tags)",
     "\"c\"",
     origin::extra,
     fn_end<true>},
};

}  // namespace

std::span<const function_def> data_functions() {
  return data_table;
}

}  // namespace iotb::rules::detail
