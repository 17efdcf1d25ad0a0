#include "broker/cli/args.hpp"

#include <algorithm>

namespace iotb::cli {

expected<args, std::string> args::parse(const std::vector<std::string_view>& argv,
                                        const std::vector<std::string>& flags) {
  args a;
  bool options_started = false;
  for (std::size_t i = 0; i < argv.size(); ++i) {
    auto w = argv[i];
    if (!w.starts_with("--")) {
      if (options_started)
        return unexpected{"unexpected argument '" + std::string(w) + "' after the options"};
      a.words_.emplace_back(w);
      continue;
    }
    options_started = true;
    std::string name(w.substr(2));
    std::string value;
    if (auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name.resize(eq);
    } else if (std::find(flags.begin(), flags.end(), name) != flags.end()) {
      // A flag may carry an explicit on/off: `--dynamic-register off`.
      bool explicit_value =
          i + 1 < argv.size() && (argv[i + 1] == "on" || argv[i + 1] == "off" ||
                                  argv[i + 1] == "true" || argv[i + 1] == "false");
      value = explicit_value ? std::string(argv[++i]) : "true";
    } else {
      if (i + 1 >= argv.size())
        return unexpected{"option --" + name + " needs a value"};
      value = argv[++i];
    }
    a.values_[name].push_back(std::move(value));
  }
  return a;
}

std::optional<std::string> args::get(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end() || it->second.empty())
    return std::nullopt;
  return it->second.back();
}

std::vector<std::string> args::all(const std::string& name) const {
  auto it = values_.find(name);
  return it == values_.end() ? std::vector<std::string>{} : it->second;
}

std::vector<std::string> args::unknown(const std::vector<std::string>& known) const {
  std::vector<std::string> out;
  for (auto& [k, v] : values_)
    if (std::find(known.begin(), known.end(), k) == known.end())
      out.push_back(k);
  return out;
}

}  // namespace iotb::cli
