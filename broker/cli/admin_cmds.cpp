// `iotbroker admin user add|list|delete|passwd` (SPEC §12): admin users of
// the API and console, through the operations the API uses too.

#include <cstdio>
#include <iostream>
#include <string>

#include "broker/admin/registry_json.hpp"
#include "broker/admin/registry_ops.hpp"
#include "broker/cli/json_out.hpp"
#include "broker/cli/registry_cmds.hpp"

namespace iotb::cli {

namespace {

namespace ops = admin::ops;

constexpr const char* admin_usage =
    "admin user add --name N --role admin|viewer (--password P | --password-stdin)\n"
    "       admin user list | delete --name N | passwd --name N (--password P | "
    "--password-stdin)";

/// The password from --password or one line of stdin (--password-stdin).
std::optional<std::string> password_arg(const args& a) {
  if (a.has("password-stdin")) {
    std::string line;
    if (!std::getline(std::cin, line))
      return std::nullopt;
    while (!line.empty() && (line.back() == '\r' || line.back() == '\n'))
      line.pop_back();
    return line;
  }
  return a.get("password");
}

/// The audit entry of a CLI change (who = "cli").
void audit(store::env& env, const std::string& action, const std::string& target) {
  store::audit_record r;
  r.who = "cli";
  r.action = action;
  r.target = target;
  r.result = 200;
  (void)ops::audit(env, std::move(r));
}

}  // namespace

int admin_cmd(const args& a) {
  auto& w = a.words();
  if (w.size() < 3 || w[1] != "user")
    return usage(admin_usage);
  const auto& sub = w[2];
  auto env = store::env::open(a.get("data-dir").value_or("./data") + "/registry", {});
  if (!env)
    return fail(env.error());
  if (sub == "list") {
    auto users = ops::list_users(**env);
    if (!users)
      return fail(users.error());
    std::puts(admin::render([&](json_writer& jw) {
                jw.StartArray();
                for (auto& u : *users)
                  admin::write_user(jw, u);
                jw.EndArray();
              }).c_str());
    return 0;
  }
  auto name = a.get("name");
  if (!name)
    return usage(admin_usage);
  if (sub == "delete") {
    auto ok = ops::delete_user(**env, *name);
    if (!ok)
      return fail(ok.error());
    audit(**env, "admin user delete", *name);
    std::puts(admin::render([&](json_writer& jw) {
                jw.StartObject();
                field(jw, "name", *name);
                jw.Key("deleted");
                jw.Bool(true);
                jw.EndObject();
              }).c_str());
    return 0;
  }
  if (sub != "add" && sub != "passwd")
    return usage(admin_usage);
  auto password = password_arg(a);
  if (!password || password->empty())
    return usage("admin user " + sub + " needs --password P or --password-stdin (not empty)");
  expected<store::admin_user_record, store::error> u =
      unexpected{store::error{store::errc::invalid, ""}};
  if (sub == "add") {
    auto role = store::parse_admin_role(a.get("role").value_or(""));
    if (!role)
      return usage("admin user add needs --role admin|viewer");
    u = ops::add_user(**env, *name, *role, *password);
  } else {
    u = ops::set_password(**env, *name, *password);
  }
  if (!u)
    return fail(u.error());
  audit(**env, "admin user " + sub, *name);
  std::puts(admin::render([&](json_writer& jw) { admin::write_user(jw, *u); }).c_str());
  return 0;
}

}  // namespace iotb::cli
