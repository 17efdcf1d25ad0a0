#include <algorithm>
#include <array>
#include <cstring>

#include "broker/plugins/library.hpp"
#include "broker/plugins/registry.hpp"

namespace iotb::plugins {

namespace {

constexpr std::size_t create_error_capacity = 1024;
constexpr std::size_t record_error_capacity = 512;
constexpr std::uint32_t max_delay_ms = 3'600'000;

iotb_bytes bytes(std::string_view s) noexcept {
  return {s.data(), s.size()};
}

/// The NUL-terminated text a plugin wrote into a host buffer (never reads
/// past `cap`, even if the plugin forgot the NUL).
std::string text_of(const char* buf, std::size_t cap) {
  return {buf, strnlen(buf, cap)};
}

/// Maps a plugin's status; an unknown value is a contract breach → retry.
record_status to_status(std::int32_t st, std::uint32_t delay_ms, std::string error) {
  record_status r;
  r.delay = std::chrono::milliseconds{std::min(delay_ms, max_delay_ms)};
  r.error = std::move(error);
  switch (st) {
    case IOTB_SINK_OK:
      r.status = delivery_status::ok;
      r.delay = {};
      r.error.clear();
      break;
    case IOTB_SINK_RETRY:
      r.status = delivery_status::retry;
      break;
    case IOTB_SINK_DROP:
      r.status = delivery_status::drop;
      break;
    case IOTB_SINK_THROTTLE:
      r.status = delivery_status::throttle;
      break;
    default:
      r.status = delivery_status::retry;
      r.error = "the plugin returned an unknown status " + std::to_string(st);
      break;
  }
  return r;
}

}  // namespace

struct sink_instance::state {
  std::shared_ptr<loaded_library> lib;
  iotb_sink_instance* handle = nullptr;
  iotb_host_context ctx;
  iotb_host_api api{};
  // Reused from call to call (one worker thread per instance).
  std::vector<iotb_sink_record> recs;
  std::vector<const iotb_sink_record*> rec_ptrs;
  std::vector<iotb_sink_result> res;
  std::vector<iotb_sink_result*> res_ptrs;
  std::vector<char> errors;
};

sink_instance::sink_instance(std::unique_ptr<state> s) noexcept : s_(std::move(s)) {}
sink_instance::sink_instance(sink_instance&&) noexcept = default;
sink_instance& sink_instance::operator=(sink_instance&& other) noexcept {
  if (this != &other) {
    sink_instance dying{std::move(*this)};  // destroys our old instance
    s_ = std::move(other.s_);
  }
  return *this;
}

sink_instance::~sink_instance() {
  if (!s_ || s_->handle == nullptr)
    return;
  if (auto err = flush())
    IOTB_LOG(warn, "plugin") << s_->ctx.prefix << "flush before destroy failed: " << *err;
  try {
    s_->lib->table->destroy(s_->handle);
  } catch (...) {
    IOTB_LOG(error, "plugin") << s_->ctx.prefix << "an exception escaped destroy";
  }
  s_->handle = nullptr;
}

const plugin_info& sink_instance::plugin() const noexcept {
  return s_->lib->info;
}

std::vector<record_status> sink_instance::deliver(std::span<const record> batch) {
  std::vector<record_status> out;
  if (batch.empty())
    return out;
  auto& s = *s_;
  const std::size_t n = batch.size();
  s.recs.resize(n);
  s.res.resize(n);
  s.rec_ptrs.resize(n);
  s.res_ptrs.resize(n);
  s.errors.resize(n * record_error_capacity);
  for (std::size_t i = 0; i < n; ++i) {
    const auto& r = batch[i];
    auto& c = s.recs[i];
    c = iotb_sink_record{};
    c.struct_size = sizeof(iotb_sink_record);
    c.attempt = r.attempt;
    c.output = bytes(r.output);
    c.topic = bytes(r.topic);
    c.product_key = bytes(r.product_key);
    c.device_name = bytes(r.device_name);
    c.rule = bytes(r.rule);
    c.message_id = r.message_id;
    c.timestamp_ms = r.timestamp_ms;
    s.rec_ptrs[i] = &c;
    auto& x = s.res[i];
    x = iotb_sink_result{};
    x.struct_size = sizeof(iotb_sink_result);
    x.status = IOTB_SINK_UNSET;
    x.error = s.errors.data() + i * record_error_capacity;
    x.error[0] = '\0';
    x.error_capacity = record_error_capacity;
    s.res_ptrs[i] = &x;
  }
  iotb_sink_batch b{};
  b.struct_size = sizeof(b);
  b.count = n;
  b.records = s.rec_ptrs.data();
  b.results = s.res_ptrs.data();
  std::int32_t rc = IOTB_SINK_RETRY;
  std::string breach;
  try {
    rc = s.lib->table->deliver(s.handle, &b);
  } catch (...) {
    breach = "an exception escaped the plugin's deliver";
  }
  out.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    const auto& x = s.res[i];
    auto text = text_of(x.error, record_error_capacity);
    if (!breach.empty()) {
      out.push_back(to_status(IOTB_SINK_RETRY, 0, breach));
    } else if (x.status == IOTB_SINK_UNSET) {
      out.push_back(to_status(rc, x.delay_ms, std::move(text)));
    } else {
      out.push_back(to_status(x.status, x.delay_ms, std::move(text)));
    }
  }
  return out;
}

std::optional<std::string> sink_instance::flush() {
  auto& s = *s_;
  std::array<char, create_error_capacity> err{};
  std::int32_t rc = IOTB_SINK_RETRY;
  try {
    rc = s.lib->table->flush(s.handle, err.data(), err.size());
  } catch (...) {
    return "an exception escaped the plugin's flush";
  }
  if (rc == IOTB_SINK_OK)
    return std::nullopt;
  auto text = text_of(err.data(), err.size());
  return text.empty() ? "flush failed (status " + std::to_string(rc) + ")" : text;
}

expected<sink_instance, std::string> plugin_registry::create(std::string_view name,
                                                             std::string_view config_json,
                                                             create_options opts) const {
  std::shared_ptr<loaded_library> lib;
  for (const auto& l : libs_)
    if (l->info.name == name)
      lib = l;
  if (!lib)
    return unexpected{"no sink plugin named '" + std::string{name} + "' is loaded"};
  auto s = std::make_unique<sink_instance::state>();
  s->lib = lib;
  s->ctx.prefix = lib->info.name +
                  (opts.instance_name.empty() ? std::string{} : "[" + opts.instance_name + "]") +
                  ": ";
  s->ctx.clock = std::move(opts.clock);
  s->ctx.log = std::move(opts.log);
  bind_host_api(s->api, s->ctx);
  std::array<char, create_error_capacity> err{};
  iotb_sink_create_args args{};
  args.struct_size = sizeof(args);
  args.config_json = bytes(config_json);
  args.instance_name = bytes(opts.instance_name);
  args.host = &s->api;
  args.error = err.data();
  args.error_capacity = err.size();
  iotb_sink_instance* handle = nullptr;
  std::int32_t rc = IOTB_SINK_DROP;
  std::string why;
  try {
    rc = lib->table->create(&args, &handle);
  } catch (...) {
    why = "an exception escaped the plugin's create";
  }
  if (why.empty() && rc == IOTB_SINK_OK && handle == nullptr)
    why = "create returned OK but no instance";
  if (why.empty() && rc != IOTB_SINK_OK) {
    why = text_of(err.data(), err.size());
    if (why.empty())
      why = "create failed without a reason (status " + std::to_string(rc) + ")";
    why += rc == IOTB_SINK_RETRY ? " (temporary failure)" : " (bad configuration)";
  }
  if (!why.empty()) {
    std::string msg = "sink '" + lib->info.name + "'" +
                      (opts.instance_name.empty() ? "" : " for " + opts.instance_name) +
                      ": create failed: " + why;
    IOTB_LOG(warn, "plugin") << msg;
    return unexpected{std::move(msg)};
  }
  s->handle = handle;
  return sink_instance{std::move(s)};
}

}  // namespace iotb::plugins
