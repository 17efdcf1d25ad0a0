#include "broker/plugins/registry.hpp"

#include <dlfcn.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <filesystem>
#include <system_error>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "broker/plugins/library.hpp"
#include "broker/util/clock.hpp"

// Sanitizer runtimes intercept symbol lookup and refuse RTLD_DEEPBIND.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define IOTB_PLUGINS_NO_DEEPBIND 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define IOTB_PLUGINS_NO_DEEPBIND 1
#endif
#endif

namespace iotb::plugins {

namespace {

constexpr std::array<std::uint32_t, 1> offered = {IOTB_SINK_ABI_V1};

log::level to_level(std::int32_t l) noexcept {
  switch (l) {
    case IOTB_SINK_LOG_TRACE:
      return log::level::trace;
    case IOTB_SINK_LOG_DEBUG:
      return log::level::debug;
    case IOTB_SINK_LOG_WARN:
      return log::level::warn;
    case IOTB_SINK_LOG_ERROR:
      return log::level::error;
    default:
      return log::level::info;
  }
}

void host_log(iotb_host_context* ctx, std::int32_t level, const char* msg, std::size_t len) {
  if (ctx == nullptr)
    return;
  std::string text = ctx->prefix;
  if (msg != nullptr)
    text.append(msg, len);
  std::replace(text.begin(), text.end(), '\n', ' ');  // one event, one line
  auto l = to_level(level);
  if (ctx->log) {
    ctx->log(l, text);
    return;
  }
  std::uint64_t held = 0;
  if (log::enabled(l) && ctx->gate.allow(held))
    log::line(l, "plugin").suppressed(held) << text;
}

std::int64_t host_now_ms(iotb_host_context* ctx) {
  if (ctx != nullptr && ctx->clock)
    return ctx->clock();
  return static_cast<std::int64_t>(clock::wall_ms());
}

std::string versions_text(std::uint32_t lo, std::uint32_t hi) {
  if (lo == 0 && hi == 0)
    return "none";
  return lo == hi ? std::to_string(lo) : std::to_string(lo) + ".." + std::to_string(hi);
}

std::string offered_text() {
  std::string s;
  for (auto v : offered)
    s += (s.empty() ? "" : ", ") + std::to_string(v);
  return s;
}

bool valid_name(std::string_view n) noexcept {
  if (n.empty() || n.size() > 64)
    return false;
  return std::all_of(n.begin(), n.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

std::string dl_error(const char* fallback) {
  const char* e = dlerror();
  return e != nullptr ? std::string{e} : std::string{fallback};
}

/// The `*.so` files of `dir`, sorted; nothing for a missing directory.
std::vector<std::string> scan(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  std::filesystem::directory_iterator it{dir, ec};
  if (ec) {
    IOTB_LOG(debug, "plugin") << "plugin directory " << dir << ": " << ec.message();
    return out;
  }
  for (const auto& e : it) {
    std::error_code fec;
    if (e.path().extension() == ".so" && e.is_regular_file(fec))
      out.push_back(e.path().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

void bind_host_api(iotb_host_api& api, iotb_host_context& ctx) noexcept {
  api = iotb_host_api{};
  api.struct_size = sizeof(iotb_host_api);
  api.context = &ctx;
  api.log = &host_log;
  api.now_ms = &host_now_ms;
}

loaded_library::~loaded_library() {
  if (handle != nullptr)
    dlclose(handle);
}

std::span<const std::uint32_t> abi_versions() noexcept {
  return offered;
}

std::string_view to_string(delivery_status s) noexcept {
  switch (s) {
    case delivery_status::ok:
      return "ok";
    case delivery_status::retry:
      return "retry";
    case delivery_status::drop:
      return "drop";
    case delivery_status::throttle:
      return "throttle";
  }
  return "?";
}

plugin_registry::~plugin_registry() = default;

std::shared_ptr<plugin_registry> plugin_registry::load(const std::vector<std::string>& dirs) {
  std::shared_ptr<plugin_registry> reg{new plugin_registry()};
  int flags = RTLD_NOW | RTLD_LOCAL;
#ifdef IOTB_PLUGINS_NO_DEEPBIND
  IOTB_LOG(warn, "plugin") << "sanitizer build: plugins load without RTLD_DEEPBIND, so a plugin's "
                              "own TLS library (OpenSSL 3) is not isolated from BoringSSL";
#else
  flags |= RTLD_DEEPBIND;
#endif
  std::vector<std::string> seen;  // canonical paths: one file named twice loads once
  for (const auto& dir : dirs) {
    for (const auto& path : scan(dir)) {
      std::error_code ec;
      auto canon = std::filesystem::canonical(path, ec).string();
      if (ec)
        canon = path;
      if (std::find(seen.begin(), seen.end(), canon) != seen.end())
        continue;
      seen.push_back(canon);
      reg->load_file(path, flags);
    }
  }
  return reg;
}

void plugin_registry::load_file(const std::string& path, int flags) {
  auto fail = [&](std::string why) {
    IOTB_LOG(warn, "plugin") << "skipped " << path << ": " << why;
    errors_.push_back({path, std::move(why)});
  };
  auto lib = std::make_shared<loaded_library>();
  dlerror();  // clear
  lib->handle = dlopen(path.c_str(), flags);
  if (lib->handle == nullptr)
    return fail("dlopen failed: " + dl_error("unknown error"));
  dlerror();
  void* sym = dlsym(lib->handle, IOTB_SINK_ENTRY_SYMBOL);
  if (sym == nullptr)
    return fail("not an iotbroker sink plugin: " + dl_error("no " IOTB_SINK_ENTRY_SYMBOL));
  // POSIX: a data pointer from dlsym converts to a function pointer.
  auto entry = reinterpret_cast<iotb_sink_plugin_entry_fn>(sym);
  lib->host_ctx.prefix = std::filesystem::path{path}.stem().string() + ": ";
  bind_host_api(lib->host_api, lib->host_ctx);
  iotb_sink_entry_args args{};
  args.struct_size = sizeof(args);
  args.host_version_count = static_cast<std::uint32_t>(offered.size());
  args.host_versions = offered.data();
  args.host = &lib->host_api;
  std::int32_t rc = IOTB_SINK_DROP;
  try {
    rc = entry(&args);
  } catch (...) {
    return fail("an exception escaped " IOTB_SINK_ENTRY_SYMBOL);
  }
  if (rc != IOTB_SINK_OK || args.chosen_version == 0)
    return fail("no common ABI version: the plugin speaks " +
                versions_text(args.plugin_min_version, args.plugin_max_version) +
                ", the broker offers " + offered_text());
  if (std::find(offered.begin(), offered.end(), args.chosen_version) == offered.end())
    return fail("the plugin chose ABI version " + std::to_string(args.chosen_version) +
                ", which the broker did not offer (" + offered_text() + ")");
  const iotb_sink_plugin* t = args.plugin;
  if (t == nullptr || !IOTB_SINK_HAS_FIELD(t, iotb_sink_plugin, destroy) ||
      t->abi_version != args.chosen_version || t->describe == nullptr || t->create == nullptr ||
      t->deliver == nullptr || t->flush == nullptr || t->destroy == nullptr)
    return fail("the plugin's call table is missing or incomplete");
  lib->table = t;
  iotb_sink_description d{};
  d.struct_size = sizeof(d);
  std::int32_t drc = IOTB_SINK_DROP;
  try {
    drc = t->describe(&d);
  } catch (...) {
    return fail("an exception escaped describe");
  }
  std::string name = d.name != nullptr ? d.name : "";
  if (drc != IOTB_SINK_OK || !valid_name(name))
    return fail("bad description: the name must be 1-64 of [a-z0-9_-], got '" + name + "'");
  if (const auto* other = find(name))
    return fail("a plugin named '" + name + "' is already loaded from " + other->file);
  auto& info = lib->info;
  info.name = name;
  info.version = d.version != nullptr ? d.version : "";
  info.description = d.description != nullptr ? d.description : "";
  info.config_schema = d.config_schema != nullptr ? d.config_schema : "";
  info.file = path;
  info.abi = args.chosen_version;
  lib->host_ctx.prefix = name + ": ";
  IOTB_LOG(info, "plugin") << "loaded sink '" << name << "' " << info.version << " (ABI "
                           << info.abi << ") from " << path;
  infos_.push_back(info);
  libs_.push_back(std::move(lib));
}

const plugin_info* plugin_registry::find(std::string_view name) const noexcept {
  for (const auto& i : infos_)
    if (i.name == name)
      return &i;
  return nullptr;
}

std::string plugin_registry::to_json() const {
  rapidjson::StringBuffer sb;
  rapidjson::Writer<rapidjson::StringBuffer> w(sb);
  auto str = [&w](const char* k, const std::string& v) {
    w.Key(k);
    w.String(v.data(), static_cast<rapidjson::SizeType>(v.size()));
  };
  w.StartObject();
  w.Key("items");
  w.StartArray();
  for (const auto& i : infos_) {
    w.StartObject();
    str("name", i.name);
    str("version", i.version);
    str("description", i.description);
    str("file", i.file);
    w.Key("abi");
    w.Uint(i.abi);
    w.EndObject();
  }
  w.EndArray();
  w.Key("errors");
  w.StartArray();
  for (const auto& e : errors_) {
    w.StartObject();
    str("file", e.file);
    str("error", e.error);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return {sb.GetString(), sb.GetSize()};
}

}  // namespace iotb::plugins
