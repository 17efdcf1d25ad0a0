#pragma once
/// @file
/// A header-only C++ (C++17 or later) convenience layer over the sink plugin
/// C ABI (`sink.h`), for plugin authors. Nothing of it crosses the boundary:
/// the `IOTB_SINK_PLUGIN` macro generates the C entry point and a C call
/// table whose functions catch every exception and turn it into a status and
/// an error text.
///
/// A plugin is one class:
///
///     class my_sink : public iotbroker::sink::instance {
///      public:
///       static constexpr const char* name = "my_sink";
///       static constexpr const char* version = "1.0.0";
///       static constexpr const char* description = "Writes records somewhere";
///       static constexpr const char* config_schema = "{\"type\":\"object\"}";  // or nullptr
///
///       // create: throw iotbroker::sink::error (DROP: bad config, RETRY:
///       // try later) or any std::exception (DROP) to fail.
///       explicit my_sink(const iotbroker::sink::create_context& ctx);
///
///       void deliver(const std::vector<iotbroker::sink::record>& records,
///                    std::vector<iotbroker::sink::result>& results) override;
///       void flush() override;  // optional
///     };
///     IOTB_SINK_PLUGIN(my_sink)
///
/// Exceptions: from the constructor → `create` fails with the text; from
/// `deliver` → every record whose result is still `unset` gets RETRY with
/// the text (`sink::error` picks the status); from `flush` → flush fails.
/// The threading contract is sink.h's: one instance is never called
/// concurrently; `deliver` and `flush` may block.

#include <cstdint>
#include <exception>
#include <new>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "iotbroker/sink.h"

namespace iotbroker::sink {

/// The verdict on one record (sink.h's IOTB_SINK_* values).
enum class status : std::int32_t {
  unset = IOTB_SINK_UNSET,       ///< not decided: takes the batch's status
  ok = IOTB_SINK_OK,             ///< done
  retry = IOTB_SINK_RETRY,       ///< transient failure: retried after delay_ms
  drop = IOTB_SINK_DROP,         ///< permanent failure: dropped, error record sent
  throttle = IOTB_SINK_THROTTLE  ///< back the whole sink off for delay_ms
};

/// Thrown by plugin code to fail with a chosen status (default DROP).
class error : public std::runtime_error {
 public:
  explicit error(const std::string& what, status s = status::drop, std::uint32_t delay_ms = 0)
      : std::runtime_error(what), status_(s), delay_ms_(delay_ms) {}
  [[nodiscard]] status code() const noexcept { return status_; }
  [[nodiscard]] std::uint32_t delay_ms() const noexcept { return delay_ms_; }

 private:
  status status_;
  std::uint32_t delay_ms_;
};

/// The broker's callbacks: logging and the clock. Cheap to copy; valid as
/// long as the instance (or, for the plugin-wide one, the library) lives.
class host {
 public:
  host() = default;
  explicit host(const iotb_host_api* api) noexcept : api_(api) {}

  /// Logs one line at `level` (IOTB_SINK_LOG_*). Never throws.
  void log(std::int32_t level, std::string_view text) const noexcept {
    if (api_ != nullptr && IOTB_SINK_HAS_FIELD(api_, iotb_host_api, log) && api_->log != nullptr)
      api_->log(api_->context, level, text.data(), text.size());
  }
  void debug(std::string_view t) const noexcept { log(IOTB_SINK_LOG_DEBUG, t); }
  void info(std::string_view t) const noexcept { log(IOTB_SINK_LOG_INFO, t); }
  void warn(std::string_view t) const noexcept { log(IOTB_SINK_LOG_WARN, t); }
  void error(std::string_view t) const noexcept { log(IOTB_SINK_LOG_ERROR, t); }

  /// The host's wall clock in ms since the epoch (0 without a host).
  [[nodiscard]] std::int64_t now_ms() const noexcept {
    if (api_ != nullptr && IOTB_SINK_HAS_FIELD(api_, iotb_host_api, now_ms) &&
        api_->now_ms != nullptr)
      return api_->now_ms(api_->context);
    return 0;
  }

 private:
  const iotb_host_api* api_ = nullptr;
};

/// What an instance's constructor gets. The views are borrowed: copy what
/// you keep.
struct create_context {
  std::string_view config_json;
  std::string_view instance_name;
  sink::host host;  ///< valid until the instance is destroyed
};

/// One record (views into host memory, valid during `deliver` only).
struct record {
  std::string_view output;  ///< the rule's output JSON
  std::string_view topic;
  std::string_view product_key;
  std::string_view device_name;
  std::string_view rule;
  std::uint64_t message_id = 0;
  std::int64_t timestamp_ms = 0;
  std::uint32_t attempt = 1;
};

/// The plugin's verdict on one record.
struct result {
  sink::status status = sink::status::unset;
  std::uint32_t delay_ms = 0;
  std::string error;
};

/// The base class of a C++ sink instance.
class instance {
 public:
  instance() = default;
  virtual ~instance() = default;
  instance(const instance&) = delete;
  instance& operator=(const instance&) = delete;

  /// Delivers `records`; sets `results[i]` (same size, all `unset` on
  /// entry). Results left `unset` become OK when `deliver` returns normally.
  virtual void deliver(const std::vector<record>& records, std::vector<result>& results) = 0;
  /// Makes what was delivered durable. Default: nothing to do.
  virtual void flush() {}
};

namespace detail {

inline std::string_view view(const iotb_bytes& b) noexcept {
  return b.size == 0 ? std::string_view{} : std::string_view{b.data, b.size};
}

inline void put_error(char* buf, std::size_t cap, std::string_view text) noexcept {
  iotb_sink_set_error(buf, cap, text.data(), text.size());
}

inline record to_record(const iotb_sink_record& r) noexcept {
  record out;
  out.output = view(r.output);
  out.topic = view(r.topic);
  out.product_key = view(r.product_key);
  out.device_name = view(r.device_name);
  if (IOTB_SINK_HAS_FIELD(&r, iotb_sink_record, rule))
    out.rule = view(r.rule);
  out.message_id = r.message_id;
  out.timestamp_ms = r.timestamp_ms;
  out.attempt = r.attempt;
  return out;
}

/// The C call table of plugin class `T`.
template <class T>
struct adapter {
  static const iotb_host_api*& plugin_host() noexcept {
    static const iotb_host_api* h = nullptr;
    return h;
  }

  static std::int32_t describe(iotb_sink_description* out) noexcept {
    if (out == nullptr || !IOTB_SINK_HAS_FIELD(out, iotb_sink_description, config_schema))
      return IOTB_SINK_DROP;
    out->name = T::name;
    out->version = T::version;
    out->description = T::description;
    out->config_schema = T::config_schema;
    return IOTB_SINK_OK;
  }

  static std::int32_t create(const iotb_sink_create_args* args, iotb_sink_instance** out) noexcept {
    if (out == nullptr || args == nullptr)
      return IOTB_SINK_DROP;
    *out = nullptr;
    try {
      create_context ctx{view(args->config_json), view(args->instance_name), host{args->host}};
      auto* inst = static_cast<instance*>(new T(ctx));
      *out = reinterpret_cast<iotb_sink_instance*>(inst);
      return IOTB_SINK_OK;
    } catch (const sink::error& e) {
      put_error(args->error, args->error_capacity, e.what());
      return e.code() == status::retry ? IOTB_SINK_RETRY : IOTB_SINK_DROP;
    } catch (const std::exception& e) {
      put_error(args->error, args->error_capacity, e.what());
    } catch (...) {
      put_error(args->error, args->error_capacity, "unknown exception in create");
    }
    return IOTB_SINK_DROP;
  }

  static std::int32_t deliver(iotb_sink_instance* handle, const iotb_sink_batch* batch) noexcept {
    auto* self = reinterpret_cast<instance*>(handle);
    std::int32_t ret = IOTB_SINK_OK;
    std::string text;
    std::uint32_t delay = 0;
    std::vector<result> results;
    try {
      std::vector<record> records;
      records.reserve(batch->count);
      for (std::size_t i = 0; i < batch->count; ++i)
        records.push_back(to_record(*batch->records[i]));
      results.resize(batch->count);
      self->deliver(records, results);
    } catch (const sink::error& e) {
      ret = static_cast<std::int32_t>(e.code() == status::unset ? status::retry : e.code());
      text = e.what();
      delay = e.delay_ms();
    } catch (const std::exception& e) {
      ret = IOTB_SINK_RETRY;
      text = e.what();
    } catch (...) {
      ret = IOTB_SINK_RETRY;
      text = "unknown exception in deliver";
    }
    for (std::size_t i = 0; i < batch->count; ++i) {
      iotb_sink_result& r = *batch->results[i];
      const bool decided = i < results.size() && results[i].status != status::unset;
      if (decided) {
        r.status = static_cast<std::int32_t>(results[i].status);
        r.delay_ms = results[i].delay_ms;
        if (!results[i].error.empty())
          put_error(r.error, r.error_capacity, results[i].error);
      } else if (ret != IOTB_SINK_OK) {
        r.delay_ms = delay;
        put_error(r.error, r.error_capacity, text);
      }
    }
    return ret;
  }

  static std::int32_t flush(iotb_sink_instance* handle, char* error, std::size_t cap) noexcept {
    try {
      reinterpret_cast<instance*>(handle)->flush();
      return IOTB_SINK_OK;
    } catch (const sink::error& e) {
      put_error(error, cap, e.what());
      return e.code() == status::drop ? IOTB_SINK_DROP : IOTB_SINK_RETRY;
    } catch (const std::exception& e) {
      put_error(error, cap, e.what());
    } catch (...) {
      put_error(error, cap, "unknown exception in flush");
    }
    return IOTB_SINK_RETRY;
  }

  static void destroy(iotb_sink_instance* handle) noexcept {
    try {
      delete reinterpret_cast<instance*>(handle);
    } catch (...) {  // a destructor that throws: nothing more to do
    }
  }

  static std::int32_t entry(iotb_sink_entry_args* args) noexcept {
    static const iotb_sink_plugin table = {sizeof(iotb_sink_plugin),
                                           IOTB_SINK_ABI_V1,
                                           &describe,
                                           &create,
                                           &deliver,
                                           &flush,
                                           &destroy,
                                           {}};
    // The size of the `plugin` field (a pointer) is meant here.
    // NOLINTNEXTLINE(bugprone-sizeof-expression)
    if (args == nullptr || !IOTB_SINK_HAS_FIELD(args, iotb_sink_entry_args, plugin))
      return IOTB_SINK_DROP;
    if (iotb_sink_negotiate(args, IOTB_SINK_ABI_V1, IOTB_SINK_ABI_V1) == 0)
      return IOTB_SINK_DROP;
    plugin_host() = args->host;
    args->plugin = &table;
    return IOTB_SINK_OK;
  }
};

}  // namespace detail

/// The plugin-wide host (valid after the entry call; for logging outside
/// any instance).
template <class T>
[[nodiscard]] host plugin_host() noexcept {
  return host{detail::adapter<T>::plugin_host()};
}

}  // namespace iotbroker::sink

/// Defines the plugin's exported entry point for class `cls` (once per
/// plugin, at namespace scope).
#define IOTB_SINK_PLUGIN(cls)                                                              \
  extern "C" IOTB_SINK_EXPORT int32_t iotb_sink_plugin_entry(iotb_sink_entry_args* args) { \
    return ::iotbroker::sink::detail::adapter<cls>::entry(args);                           \
  }
