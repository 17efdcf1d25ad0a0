// Republish templates: ${field} placeholders filled from a SELECT output.

#include <charconv>

#include "broker/rules/nodes.hpp"
#include "broker/rules/program.hpp"

namespace iotb::rules {

namespace {

/// "a.b[0].c" → steps; false when malformed.
bool parse_path(std::string_view s, std::vector<detail::step>& out) {
  std::size_t i = 0;
  while (i < s.size()) {
    if (s[i] == '[') {
      auto close = s.find(']', i);
      if (close == std::string_view::npos)
        return false;
      std::int64_t k = 0;
      auto r = std::from_chars(s.data() + i + 1, s.data() + close, k);
      if (r.ec != std::errc() || r.ptr != s.data() + close)
        return false;
      out.push_back({{}, k, true});
      i = close + 1;
      if (i < s.size() && s[i] == '.' && ++i == s.size())
        return false;
      continue;
    }
    auto end = s.find_first_of(".[", i);
    if (end == std::string_view::npos)
      end = s.size();
    if (end == i)
      return false;
    out.push_back({std::string(s.substr(i, end - i)), 0, false});
    i = end;
    if (i < s.size() && s[i] == '.' && ++i == s.size())
      return false;  // "a." names nothing
  }
  return !out.empty();
}

/// The message's own variables, for names the output lacks.
bool message_var(std::string_view name, const message_context& m, std::string& out) {
  if (name == "topic")
    out = m.topic;
  else if (name == "clientId")
    out = m.client_id;
  else if (name == "productKey")
    out = m.product_key;
  else if (name == "deviceName")
    out = m.device_name;
  else if (name == "messageId")
    out = std::to_string(m.message_id);
  else if (name == "qos")
    out = std::to_string(m.qos);
  else if (name == "timestamp")
    out = std::to_string(m.timestamp_ms);
  else
    return false;
  return true;
}

}  // namespace

std::string render_template(std::string_view tmpl, std::string_view output_json,
                            const message_context& m) {
  std::string out;
  if (tmpl.find("${") == std::string_view::npos)
    return std::string(tmpl);
  parsed_payload doc(output_json);
  const rapidjson::Value* root =
      doc.status() == parsed_payload::state::json && doc.root().IsObject() ? &doc.root() : nullptr;
  std::size_t i = 0;
  while (i < tmpl.size()) {
    auto open = tmpl.find("${", i);
    if (open == std::string_view::npos) {
      out.append(tmpl.substr(i));
      break;
    }
    auto close = tmpl.find('}', open + 2);
    if (close == std::string_view::npos) {
      out.append(tmpl.substr(i));  // no closing brace: copied as is
      break;
    }
    out.append(tmpl.substr(i, open - i));
    auto name = tmpl.substr(open + 2, close - open - 2);
    std::vector<detail::step> path;
    value v = value::missing();
    if (root && parse_path(name, path))
      v = detail::follow(value::json(*root), path);
    if (v.is_missing()) {
      std::string s;
      if (message_var(name, m, s))
        out += s;
    } else if (v.is_string()) {
      out.append(v.as_string());
    } else if (v.is_null()) {
      out += "null";
    } else {
      out += to_text(v);
    }
    i = close + 1;
  }
  return out;
}

}  // namespace iotb::rules
