// `iotbroker plugins`: what the broker would load from its plugin
// directories, and whether a sink accepts a configuration (docs/plugins.md).

#include <cstdio>

#include "broker/cli/registry_cmds.hpp"
#include "broker/config/config.hpp"
#include "broker/plugins/registry.hpp"

namespace iotb::cli {

int plugins_cmd(const args& a) {
  if (auto u = a.unknown({"plugin-dir", "sink", "config"}); !u.empty())
    return usage("plugins: unknown option --" + u.front());
  config cfg;
  if (auto dirs = a.get("plugin-dir"))
    if (auto err = apply_setting(cfg, "plugin-dir", *dirs))
      return usage(*err);
  auto reg = plugins::plugin_registry::load(cfg.plugin_dirs);
  std::puts(reg->to_json().c_str());
  if (auto name = a.get("sink")) {
    auto inst = reg->create(*name, a.get("config").value_or("{}"), {"cli", {}, {}});
    if (!inst)
      return fail("create", inst.error());
    if (auto err = inst->flush())
      return fail("flush", *err);
    std::fprintf(stderr, "sink '%s': configuration accepted\n", name->c_str());
  }
  return reg->errors().empty() ? 0 : 1;
}

}  // namespace iotb::cli
