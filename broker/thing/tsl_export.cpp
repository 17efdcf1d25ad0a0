// export_tsl (tsl.hpp): the platform's TSL JSON, compact, specs as strings.

#include <charconv>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "broker/thing/tsl.hpp"

namespace iotb::thing {

namespace {

using writer = rapidjson::Writer<rapidjson::StringBuffer>;

void str(writer& w, const char* key, std::string_view v) {
  w.Key(key);
  w.String(v.data(), static_cast<rapidjson::SizeType>(v.size()));
}

/// The shortest text that parses back to `d` exactly.
std::string number_text(double d) {
  char buf[32];
  auto [p, ec] = std::to_chars(buf, buf + sizeof buf, d);
  return ec == std::errc{} ? std::string(buf, p) : std::string("0");
}

void write_type(writer& w, const data_type& t);

void write_param(writer& w, const param& p) {
  w.StartObject();
  str(w, "identifier", p.identifier);
  str(w, "name", p.name);
  w.Key("dataType");
  write_type(w, p.type);
  w.EndObject();
}

void write_params(writer& w, const char* key, const std::vector<param>& ps) {
  w.Key(key);
  w.StartArray();
  for (auto& p : ps)
    write_param(w, p);
  w.EndArray();
}

void write_type(writer& w, const data_type& t) {
  w.StartObject();
  str(w, "type", kind_name(t.kind));
  w.Key("specs");
  switch (t.kind) {
    case data_kind::int32:
    case data_kind::float32:
    case data_kind::float64:
      w.StartObject();
      if (t.min)
        str(w, "min", number_text(*t.min));
      if (t.max)
        str(w, "max", number_text(*t.max));
      if (t.step)
        str(w, "step", number_text(*t.step));
      if (!t.unit.empty())
        str(w, "unit", t.unit);
      if (!t.unit_name.empty())
        str(w, "unitName", t.unit_name);
      w.EndObject();
      break;
    case data_kind::text:
      w.StartObject();
      str(w, "length", std::to_string(t.length));
      w.EndObject();
      break;
    case data_kind::enum_:
    case data_kind::bool_:
      w.StartObject();
      for (auto& [v, label] : t.values)
        str(w, std::to_string(v).c_str(), label);
      w.EndObject();
      break;
    case data_kind::date:
      w.StartObject();
      w.EndObject();
      break;
    case data_kind::struct_:
      w.StartArray();
      for (auto& f : t.fields)
        write_param(w, f);
      w.EndArray();
      break;
    case data_kind::array:
      w.StartObject();
      str(w, "size", std::to_string(t.size));
      if (!t.item.empty()) {
        w.Key("item");
        write_type(w, t.item.front());
      }
      w.EndObject();
      break;
  }
  w.EndObject();
}

}  // namespace

const char* event_type_name(event_type t) {
  switch (t) {
    case event_type::info:
      return "info";
    case event_type::alert:
      return "alert";
    case event_type::error:
      return "error";
  }
  return "info";
}

std::string export_tsl(const thing_model& m) {
  rapidjson::StringBuffer sb;
  writer w(sb);
  w.StartObject();
  if (!m.schema.empty())
    str(w, "schema", m.schema);
  if (!m.function_block_id.empty())
    str(w, "functionBlockId", m.function_block_id);
  if (!m.function_block_name.empty())
    str(w, "functionBlockName", m.function_block_name);
  w.Key("profile");
  w.StartObject();
  str(w, "productKey", m.product_key);
  w.EndObject();

  w.Key("properties");
  w.StartArray();
  for (auto& p : m.properties) {
    w.StartObject();
    str(w, "identifier", p.identifier);
    str(w, "name", p.name);
    if (!p.desc.empty())
      str(w, "desc", p.desc);
    str(w, "accessMode", p.access == access_mode::read ? "r" : "rw");
    w.Key("required");
    w.Bool(p.required);
    w.Key("dataType");
    write_type(w, p.type);
    w.EndObject();
  }
  w.EndArray();

  w.Key("events");
  w.StartArray();
  for (auto& e : m.events) {
    w.StartObject();
    str(w, "identifier", e.identifier);
    str(w, "name", e.name);
    if (!e.desc.empty())
      str(w, "desc", e.desc);
    str(w, "type", event_type_name(e.type));
    w.Key("required");
    w.Bool(e.required);
    write_params(w, "outputData", e.output);
    str(w, "method", e.method);
    w.EndObject();
  }
  w.EndArray();

  w.Key("services");
  w.StartArray();
  for (auto& s : m.services) {
    w.StartObject();
    str(w, "identifier", s.identifier);
    str(w, "name", s.name);
    if (!s.desc.empty())
      str(w, "desc", s.desc);
    str(w, "callType", s.call == call_type::sync ? "sync" : "async");
    w.Key("required");
    w.Bool(s.required);
    if (!s.input_refs.empty()) {
      w.Key("inputData");
      w.StartArray();
      for (auto& r : s.input_refs)
        w.String(r.data(), static_cast<rapidjson::SizeType>(r.size()));
      w.EndArray();
    } else {
      write_params(w, "inputData", s.input);
    }
    write_params(w, "outputData", s.output);
    str(w, "method", s.method);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return {sb.GetString(), sb.GetSize()};
}

}  // namespace iotb::thing
