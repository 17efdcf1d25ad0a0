#pragma once
/// @file
/// The host side of the sink plugin ABI (plugins/include/iotbroker/sink.h):
/// finds `*.so` files in the plugin directories, dlopen()s them, negotiates
/// the ABI version and makes sink instances. Nothing of the C ABI leaks out
/// of here; the rules engine sees only this header.
///
/// The API, in use:
///
///     auto reg = plugins::plugin_registry::load(cfg.plugin_dirs);
///     for (auto& p : reg->plugins()) ...;         // name, version, file, abi
///     for (auto& e : reg->errors()) ...;          // files that did not load, and why
///     auto sink = reg->create("file", R"({"path":"/var/log/out.jsonl"})", {"rule 7 action 1"});
///     if (!sink) log(sink.error());               // the plugin's own error text
///     auto st = sink->deliver(records);           // one record_status per record
///     sink->flush();
///     // ~sink_instance: flush, then the plugin's destroy
///
/// Loading: `RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND`, so that a plugin that
/// links OpenSSL 3 (libpq) binds to its own libssl/libcrypto and not to the
/// broker's BoringSSL, whose symbols are global and unversioned (SPEC §9
/// "Crash isolation"). Sanitizer runtimes refuse RTLD_DEEPBIND: a build with
/// ASan/UBSan/TSan loads without it and logs once per `load` that this
/// isolation is off. A file that fails (not an ELF object, no entry symbol,
/// no common ABI version, a bad description, a duplicate name) is skipped,
/// logged with the reason (`dlerror()` text included) and listed in
/// `errors()`; it never stops the broker. A library stays loaded while the
/// registry or any instance made from it lives.
///
/// Thread-safety: `load` from one thread; afterwards the registry is
/// immutable and every const member may be called from any thread. A
/// `sink_instance` is not thread-safe: the host gives each instance one
/// dedicated worker thread (sink.h "Threading"), which makes all its
/// `deliver` and `flush` calls and destroys it; those calls may block for as
/// long as the plugin's own timeout.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "broker/log/log.hpp"
#include "broker/util/expected.hpp"

namespace iotb::plugins {

/// The ABI versions this broker speaks (offered to every plugin).
[[nodiscard]] std::span<const std::uint32_t> abi_versions() noexcept;

/// A plugin that loaded.
struct plugin_info {
  std::string name;           ///< what rules call the sink ("file")
  std::string version;        ///< the plugin's own version
  std::string description;    ///< one sentence
  std::string config_schema;  ///< JSON Schema or key list of its config (may be empty)
  std::string file;           ///< the shared library's path
  std::uint32_t abi = 0;      ///< the negotiated ABI version
};

/// A file in a plugin directory that did not load.
struct load_error {
  std::string file;
  std::string error;  ///< why, with `dlerror()` text where there is one
};

/// A plugin's verdict on one record (sink.h IOTB_SINK_*).
enum class delivery_status : std::uint8_t {
  ok,        ///< done
  retry,     ///< transient failure: retry after `delay` (0: the host's schedule)
  drop,      ///< permanent failure: drop, send an error record with `error`
  throttle,  ///< not done: back the whole sink off for `delay`, then offer it again
};

/// "ok", "retry", "drop", "throttle".
[[nodiscard]] std::string_view to_string(delivery_status s) noexcept;

/// One record handed to a sink: views valid for the `deliver` call only.
struct record {
  std::string_view output;  ///< the rule's output JSON, one line
  std::string_view topic;
  std::string_view product_key;
  std::string_view device_name;
  std::string_view rule;  ///< the rule's name or id
  std::uint64_t message_id = 0;
  std::int64_t timestamp_ms = 0;  ///< when the broker received the message
  std::uint32_t attempt = 1;      ///< 1, then 2 on the first retry, ...
};

/// The outcome of one record.
struct record_status {
  delivery_status status = delivery_status::ok;
  std::chrono::milliseconds delay{0};  ///< retry / throttle only; capped at one hour
  std::string error;                   ///< the plugin's text (not for ok)
};

/// How an instance is made, besides its configuration.
struct create_options {
  /// The host's name for the instance ("rule 7 action 1"): in its log lines.
  std::string instance_name;
  /// The clock the plugin reads (ms since the epoch); default: wall clock.
  std::function<std::int64_t()> clock;
  /// Where the plugin's log lines go; default: the broker's log (component
  /// "plugin", prefixed "<name>[<instance>]: ", at most 20 lines a second).
  std::function<void(log::level, std::string_view)> log;
};

struct loaded_library;  // registry.cpp / sink_instance.cpp

/// One configured sink, made by `plugin_registry::create`. Move-only; a
/// moved-from instance may only be destroyed or assigned to.
class sink_instance {
 public:
  sink_instance(sink_instance&&) noexcept;
  sink_instance& operator=(sink_instance&&) noexcept;
  /// Flushes (a failure is logged), then calls the plugin's `destroy`.
  ~sink_instance();

  /// Hands `batch` to the plugin; blocks as long as the plugin does.
  /// @returns one status per record, in order (empty for an empty batch).
  ///   A plugin that throws, returns an unknown status or crashes the
  ///   contract otherwise gets RETRY with a text saying so.
  [[nodiscard]] std::vector<record_status> deliver(std::span<const record> batch);

  /// Asks the plugin to make what it took durable.
  /// @returns nothing on success, else the plugin's error text.
  [[nodiscard]] std::optional<std::string> flush();

  /// The plugin this instance belongs to.
  [[nodiscard]] const plugin_info& plugin() const noexcept;

  struct state;  ///< sink_instance.cpp

 private:
  friend class plugin_registry;
  explicit sink_instance(std::unique_ptr<state> s) noexcept;
  std::unique_ptr<state> s_;
};

/// The plugins of the plugin directories.
class plugin_registry {
 public:
  /// Scans each directory in `dirs` (in order; a missing one is skipped)
  /// for `*.so` files, sorted by name, and loads each as described above.
  [[nodiscard]] static std::shared_ptr<plugin_registry> load(const std::vector<std::string>& dirs);

  /// The plugins that loaded, in load order.
  [[nodiscard]] const std::vector<plugin_info>& plugins() const noexcept { return infos_; }
  /// The files that did not.
  [[nodiscard]] const std::vector<load_error>& errors() const noexcept { return errors_; }
  /// The plugin named `name`, or null.
  [[nodiscard]] const plugin_info* find(std::string_view name) const noexcept;

  /// Makes an instance of plugin `name` from `config_json` (a JSON object).
  /// Errors (also logged): no such plugin; the plugin's `create` failed
  /// (its own error text, and whether it is worth retrying later: "bad
  /// configuration" or "temporary failure").
  [[nodiscard]] expected<sink_instance, std::string> create(std::string_view name,
                                                            std::string_view config_json,
                                                            create_options opts = {}) const;

  /// The registry's view as the admin API shows it:
  /// `{"items":[{"name","version","description","file","abi"}],"errors":[{"file","error"}]}`.
  [[nodiscard]] std::string to_json() const;

  ~plugin_registry();
  plugin_registry(const plugin_registry&) = delete;
  plugin_registry& operator=(const plugin_registry&) = delete;

 private:
  plugin_registry() = default;
  void load_file(const std::string& path, int flags);

  std::vector<std::shared_ptr<loaded_library>> libs_;  ///< parallel to infos_
  std::vector<plugin_info> infos_;
  std::vector<load_error> errors_;
};

}  // namespace iotb::plugins
