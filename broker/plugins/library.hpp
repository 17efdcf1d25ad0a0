#pragma once
/// @file
/// Private to broker/plugins: a loaded plugin library and the host side of
/// the callbacks (`iotb_host_context`, opaque to plugins). Not for the rules
/// engine: it uses registry.hpp.

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "broker/log/log.hpp"
#include "broker/plugins/registry.hpp"
#include "iotbroker/sink.h"

/// The host context behind one `iotb_host_api` (one per library and one per
/// instance). Must not move while a plugin holds its address.
struct iotb_host_context {
  std::string prefix;  ///< "file: " or "file[rule 7 action 1]: "
  std::function<std::int64_t()> clock;
  std::function<void(iotb::log::level, std::string_view)> log;
  iotb::log::rate_gate gate{iotb::log::event_lines_per_second};
};

namespace iotb::plugins {

/// Fills `api` with the host callbacks bound to `ctx`.
void bind_host_api(iotb_host_api& api, iotb_host_context& ctx) noexcept;

/// One dlopen()ed plugin library; dlclose()d when the last owner (the
/// registry or an instance) lets go.
struct loaded_library {
  void* handle = nullptr;
  const iotb_sink_plugin* table = nullptr;
  plugin_info info;
  iotb_host_context host_ctx;  ///< plugin-wide callbacks (entry)
  iotb_host_api host_api{};

  loaded_library() = default;
  loaded_library(const loaded_library&) = delete;
  loaded_library& operator=(const loaded_library&) = delete;
  ~loaded_library();
};

}  // namespace iotb::plugins
