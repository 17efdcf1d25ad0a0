// `iotbroker thing-model …` (declared in registry_cmds.hpp): import, export
// and the check mode of a product's thing model. The operations and their
// JSON are shared with the admin API (broker/admin/thing_ops.hpp). A
// running broker sees a change made here within `model_ttl` (5 s).

#include <cstdio>
#include <fstream>
#include <sstream>

#include "broker/admin/thing_ops.hpp"
#include "broker/cli/registry_cmds.hpp"

namespace iotb::cli {

namespace {

namespace ops = admin::ops;

std::optional<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return std::nullopt;
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

int thing_model_cmd(const args& a, const std::optional<std::string>& file) {
  auto& w = a.words();
  auto sub = w.size() > 1 ? w[1] : std::string{};
  auto pk = a.get("product");
  if (!pk)
    return usage("thing-model " + sub + " needs --product PK");
  auto dir = a.get("data-dir").value_or("./data");
  auto env = store::env::open(dir + "/registry", {});
  if (!env)
    return fail(env.error());
  auto path = file ? file : (w.size() > 2 ? std::optional<std::string>(w[2]) : a.get("file"));
  if (sub == "import") {
    if (!path)
      return usage("thing-model import needs --product PK FILE");
    std::optional<thing::check_mode> mode;
    if (auto m = a.get("check-mode"); m && !(mode = ops::parse_check_mode(*m)))
      return usage("--check-mode is weak or strict");
    auto text = read_file(*path);
    if (!text)
      return cli::fail("io", "cannot read " + *path);
    auto info = ops::import_thing_model(**env, *pk, *text, mode);
    if (!info)
      return fail(info.error());
    std::puts(ops::render_info(*info).c_str());
    return 0;
  }
  if (sub == "export") {
    auto tsl = ops::export_thing_model(**env, *pk);
    if (!tsl)
      return fail(tsl.error());
    if (!path) {
      std::puts(tsl->c_str());
      return 0;
    }
    std::ofstream out(*path, std::ios::binary | std::ios::trunc);
    if (!(out << *tsl << '\n'))
      return cli::fail("io", "cannot write " + *path);
    return 0;
  }
  if (sub == "check-mode" || sub == "show") {
    auto info = ops::get_thing_model_info(**env, *pk);
    if (sub == "check-mode" && path) {
      auto mode = ops::parse_check_mode(*path);
      if (!mode)
        return usage("thing-model check-mode takes weak or strict");
      info = ops::set_check_mode(**env, *pk, *mode);
    }
    if (!info)
      return fail(info.error());
    std::puts(ops::render_info(*info).c_str());
    return 0;
  }
  return usage("thing-model import|export|show|check-mode");
}

}  // namespace iotb::cli
