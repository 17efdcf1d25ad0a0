#include "broker/config/config.hpp"

#include "broker/config/settings.hpp"

#include <charconv>
#include <fstream>
#include <sstream>

namespace iotb {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

}  // namespace

#ifndef IOTB_DEFAULT_PLUGIN_DIR
#define IOTB_DEFAULT_PLUGIN_DIR "/usr/local/lib/iotbroker/plugins"
#endif

std::vector<std::string> default_plugin_dirs() {
  return {IOTB_DEFAULT_PLUGIN_DIR, "./plugins"};
}

bool endpoint::loopback() const noexcept {
  return host == "localhost" || host == "::1" || host.starts_with("127.");
}

std::string endpoint::to_string() const {
  if (host.find(':') != std::string::npos)
    return "[" + host + "]:" + std::to_string(port);
  return host + ":" + std::to_string(port);
}

bool config::anonymous_allowed(const endpoint& listener) const noexcept {
  if (allow_anonymous)
    return *allow_anonymous;
  return listener.loopback();
}

expected<endpoint, std::string> parse_endpoint(std::string_view s) {
  endpoint ep;
  std::string_view port;
  if (s.starts_with('[')) {
    auto close = s.find(']');
    if (close == std::string_view::npos || close + 1 >= s.size() || s[close + 1] != ':')
      return unexpected{"bad address '" + std::string{s} + "': expected [v6]:port"};
    ep.host = std::string{s.substr(1, close - 1)};
    port = s.substr(close + 2);
  } else {
    auto colon = s.rfind(':');
    if (colon == std::string_view::npos)
      return unexpected{"bad address '" + std::string{s} + "': expected HOST:PORT"};
    ep.host = std::string{s.substr(0, colon)};
    port = s.substr(colon + 1);
  }
  if (ep.host.empty())
    return unexpected{"bad address '" + std::string{s} + "': empty host"};
  unsigned p = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
  if (ec != std::errc{} || end != port.data() + port.size() || p > 65535)
    return unexpected{"bad address '" + std::string{s} +
                      "': port: expected an integer in [0, "
                      "65535], got '" +
                      std::string{port} + "'"};
  ep.port = static_cast<std::uint16_t>(p);
  return ep;
}

std::optional<std::string> apply_setting(config& cfg, std::string_view key, std::string_view v) {
  const auto* s = find_setting(key);
  if (!s || !s->apply)
    return "unknown setting '" + std::string{key} + "' (see --help)";
  return s->apply(cfg, v);
}

std::optional<std::string> apply_config_text(config& cfg, std::string_view text) {
  std::size_t line_no = 0;
  while (!text.empty()) {
    ++line_no;
    auto nl = text.find('\n');
    auto line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    line = trim(line);
    if (line.empty() || line.front() == '#')
      continue;
    auto eq = line.find('=');
    if (eq == std::string_view::npos)
      return "line " + std::to_string(line_no) + ": expected 'key = value'";
    if (auto err = apply_setting(cfg, trim(line.substr(0, eq)), trim(line.substr(eq + 1))))
      return "line " + std::to_string(line_no) + ": " + *err;
  }
  return std::nullopt;
}

expected<cli_result, std::string> parse_command_line(const std::vector<std::string_view>& args) {
  cli_result res;
  // The config file first, so that flags override it wherever they appear.
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] != "--config")
      continue;
    if (i + 1 >= args.size())
      return unexpected{std::string{"--config: missing FILE"}};
    std::ifstream in{std::string{args[i + 1]}};
    if (!in)
      return unexpected{"--config: cannot read '" + std::string{args[i + 1]} + "'"};
    std::stringstream ss;
    ss << in.rdbuf();
    if (auto err = apply_config_text(res.cfg, ss.str()))
      return unexpected{std::string{args[i + 1]} + ": " + *err};
    res.cfg.local_mode = false;
  }
  for (std::size_t i = 0; i < args.size(); ++i) {
    auto a = args[i];
    if (a == "--help" || a == "-h") {
      res.show_help = true;
      continue;
    }
    if (a == "--version") {
      res.show_version = true;
      continue;
    }
    if (!a.starts_with("--"))
      return unexpected{"unexpected argument '" + std::string{a} + "' (see --help)"};
    auto key = a.substr(2);
    std::string_view value;
    if (auto eq = key.find('='); eq != std::string_view::npos) {
      value = key.substr(eq + 1);
      key = key.substr(0, eq);
    } else if (const auto* s = find_setting(key); s && s->implicit_true) {
      value = "true";
    } else {
      if (i + 1 >= args.size())
        return unexpected{"--" + std::string{key} + ": missing value"};
      value = args[++i];
    }
    if (key == "config")
      continue;
    if (const auto* s = find_setting(key); s && s->listener)
      res.cfg.local_mode = false;
    if (auto err = apply_setting(res.cfg, key, value))
      return unexpected{"--" + *err};
  }
  return res;
}

std::string help_text() {
  std::string out = R"(iotbroker — a self-hosted IoT device hub (MQTT 3.1, 3.1.1, 5.0)

Usage: iotbroker [options]

With no options the broker starts in local mode: listeners bind 127.0.0.1
and anonymous clients are allowed. Flags override the config file, which
overrides the defaults. Every flag is also a config-file key
(`key = value`, `#` comments).

Options:
)";
  const config defaults;
  constexpr std::size_t indent = 29;
  constexpr std::size_t width = 79;
  for (const auto& s : settings()) {
    std::string head = "  --" + std::string{s.key} + (s.implicit_true ? "[=" : " ") +
                       std::string{s.arg} + (s.implicit_true ? "]" : "");
    std::string text{s.help};
    if (s.show) {
      auto d = s.show(defaults);
      if (!d.empty())
        text += " (default " + d + ")";
    }
    // Wrap the help text at `width`, indented under the flag.
    out += head;
    std::size_t col = head.size();
    if (col + 1 >= indent) {
      out += "\n";
      col = 0;
    }
    out.append(indent - col, ' ');
    col = indent;
    std::size_t pos = 0;
    while (pos < text.size()) {
      auto sp = text.find(' ', pos);
      auto word = text.substr(pos, sp == std::string::npos ? std::string::npos : sp - pos);
      if (col > indent && col + 1 + word.size() > width) {
        out += "\n" + std::string(indent, ' ');
        col = indent;
      } else if (col > indent) {
        out += ' ';
        ++col;
      }
      out += word;
      col += word.size();
      pos = sp == std::string::npos ? text.size() : sp + 1;
    }
    out += "\n";
  }
  out += "  --help                     this text\n  --version                  print the version\n";
  return out;
}

}  // namespace iotb
