// The file sink (SPEC §9): JSON lines, one record per line, rotation by size
// and by time, an fsync policy. Built as iotb_sink_file.so on the plugin ABI
// (iotbroker/sink.h) through the C++ wrapper; it links nothing of the broker.
// Configuration reference: docs/plugins.md "The file sink".

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <string_view>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "iotbroker/sink.hpp"

namespace {

namespace sink = iotbroker::sink;

enum class fsync_mode { never, batch, always };

struct file_config {
  std::string path;
  std::uint64_t rotate_bytes = 0;    ///< 0: no size rotation
  std::uint64_t rotate_seconds = 0;  ///< 0: no time rotation
  std::uint32_t keep = 5;            ///< rotated files kept: path.1 (newest) .. path.keep
  fsync_mode fsync = fsync_mode::batch;
  bool metadata = false;  ///< wrap the output with topic, ids and time
};

constexpr const char* schema = R"({
  "type": "object",
  "required": ["path"],
  "additionalProperties": false,
  "properties": {
    "path": {"type": "string", "description": "the file lines are appended to"},
    "rotateBytes": {"type": "integer", "minimum": 0, "description": "rotate before a line would make the file larger; 0: never"},
    "rotateSeconds": {"type": "integer", "minimum": 0, "description": "rotate a file older than this; 0: never"},
    "keep": {"type": "integer", "minimum": 0, "maximum": 1000, "default": 5, "description": "rotated files kept as path.1 (newest) .. path.N"},
    "fsync": {"enum": ["never", "batch", "always"], "default": "batch"},
    "metadata": {"type": "boolean", "default": false, "description": "each line {topic, messageId, productKey, deviceName, rule, timestamp, data}"}
  }
})";

std::string errno_text(const std::string& what, int err) {
  return what + ": " + std::strerror(err);
}

std::uint64_t get_uint(const rapidjson::Value& v, const char* key, std::uint64_t max) {
  if (!v.IsUint64() || v.GetUint64() > max)
    throw sink::error(std::string{key} + ": expected an integer in [0, " + std::to_string(max) +
                      "]");
  return v.GetUint64();
}

file_config parse_config(std::string_view json) {
  rapidjson::Document d;
  d.Parse(json.data(), json.size());
  if (d.HasParseError() || !d.IsObject())
    throw sink::error("the configuration must be a JSON object");
  file_config c;
  bool has_path = false;
  for (const auto& m : d.GetObject()) {
    std::string_view k{m.name.GetString(), m.name.GetStringLength()};
    const auto& v = m.value;
    if (k == "path") {
      if (!v.IsString() || v.GetStringLength() == 0)
        throw sink::error("path: expected a non-empty string");
      c.path.assign(v.GetString(), v.GetStringLength());
      has_path = true;
    } else if (k == "rotateBytes") {
      c.rotate_bytes = get_uint(v, "rotateBytes", UINT64_MAX);
    } else if (k == "rotateSeconds") {
      c.rotate_seconds = get_uint(v, "rotateSeconds", 100ULL * 365 * 86400);
    } else if (k == "keep") {
      c.keep = static_cast<std::uint32_t>(get_uint(v, "keep", 1000));
    } else if (k == "fsync") {
      std::string_view s =
          v.IsString() ? std::string_view{v.GetString(), v.GetStringLength()} : std::string_view{};
      if (s == "never")
        c.fsync = fsync_mode::never;
      else if (s == "batch")
        c.fsync = fsync_mode::batch;
      else if (s == "always")
        c.fsync = fsync_mode::always;
      else
        throw sink::error("fsync: expected \"never\", \"batch\" or \"always\"");
    } else if (k == "metadata") {
      if (!v.IsBool())
        throw sink::error("metadata: expected true or false");
      c.metadata = v.GetBool();
    } else {
      throw sink::error("unknown key '" + std::string{k} +
                        "' (path, rotateBytes, rotateSeconds, keep, fsync, metadata)");
    }
  }
  if (!has_path)
    throw sink::error("path: required");
  return c;
}

/// The line of one record, with its newline. Raw newlines in the output can
/// only be whitespace between JSON tokens: they become spaces.
void append_line(std::string& out, const sink::record& r, bool metadata) {
  auto data_begin = out.size();
  if (!metadata) {
    out.append(r.output.empty() ? std::string_view{"null"} : r.output);
  } else {
    rapidjson::StringBuffer sb;
    rapidjson::Writer<rapidjson::StringBuffer> w(sb);
    auto str = [&w](const char* k, std::string_view v) {
      w.Key(k);
      w.String(v.data(), static_cast<rapidjson::SizeType>(v.size()));
    };
    w.StartObject();
    str("topic", r.topic);
    str("messageId", std::to_string(r.message_id));  // 64-bit: a string, as in the API
    str("productKey", r.product_key);
    str("deviceName", r.device_name);
    str("rule", r.rule);
    w.Key("timestamp");
    w.Int64(r.timestamp_ms);
    w.Key("data");
    std::string_view data = r.output.empty() ? std::string_view{"null"} : r.output;
    w.RawValue(data.data(), data.size(), rapidjson::kObjectType);
    w.EndObject();
    out.append(sb.GetString(), sb.GetSize());
  }
  for (auto i = data_begin; i < out.size(); ++i)
    if (out[i] == '\n' || out[i] == '\r')
      out[i] = ' ';
  out.push_back('\n');
}

class file_sink : public sink::instance {
 public:
  static constexpr const char* name = "file";
  static constexpr const char* version = "1.0.0";
  static constexpr const char* description =
      "Appends each record as a JSON line to a file; rotation by size and time, fsync policy";
  static constexpr const char* config_schema = schema;

  explicit file_sink(const sink::create_context& ctx)
      : cfg_(parse_config(ctx.config_json)), host_(ctx.host) {
    open_file();
  }

  ~file_sink() override {
    if (fd_ >= 0)
      ::close(fd_);
    host_.debug("closed " + cfg_.path + ": " + std::to_string(lines_) + " lines, " +
                std::to_string(syncs_) + " fsyncs, " + std::to_string(rotations_) + " rotations");
  }

  void deliver(const std::vector<sink::record>& records,
               std::vector<sink::result>& results) override {
    std::string err;
    if (fd_ < 0) {  // a rotation could not open the new file: try again
      try {
        open_file();
      } catch (const sink::error& e) {
        fail_from(results, 0, e.what());
        return;
      }
    }
    std::string chunk;  // lines not yet written, of records [first, i)
    std::size_t first = 0;
    for (std::size_t i = 0; i < records.size() && err.empty(); ++i) {
      std::string line;
      append_line(line, records[i], cfg_.metadata);
      if (rotation_due(size_ + chunk.size(), line.size())) {
        err = write_out(chunk);
        if (err.empty())
          err = rotate();
        if (!err.empty()) {
          fail_from(results, first, err);
          return;
        }
        chunk.clear();
        first = i;
      }
      chunk += line;
      if (cfg_.fsync == fsync_mode::always) {
        err = write_out(chunk);
        if (err.empty())
          err = sync();
        if (!err.empty()) {
          fail_from(results, first, err);
          return;
        }
        chunk.clear();
        first = i + 1;
      }
    }
    err = write_out(chunk);
    if (err.empty() && cfg_.fsync == fsync_mode::batch)
      err = sync();
    if (!err.empty())
      fail_from(results, first, err);
    // Results left unset are OK.
  }

  void flush() override {
    if (size_ > 0 && time_due())
      if (auto err = rotate(); !err.empty())
        throw sink::error(err, sink::status::retry);
    if (cfg_.fsync != fsync_mode::never && dirty_)
      if (auto err = sync(); !err.empty())
        throw sink::error(err, sink::status::retry);
  }

 private:
  void open_file() {
    fd_ = ::open(cfg_.path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0)
      throw sink::error(errno_text("cannot open " + cfg_.path, errno));
    struct stat st {};
    size_ = ::fstat(fd_, &st) == 0 ? static_cast<std::uint64_t>(st.st_size) : 0;
    opened_ms_ = host_.now_ms();
  }

  [[nodiscard]] bool time_due() const {
    return cfg_.rotate_seconds != 0 &&
           host_.now_ms() - opened_ms_ >= static_cast<std::int64_t>(cfg_.rotate_seconds) * 1000;
  }

  /// True when the file (of `size` bytes) must be rotated before a line of
  /// `line` bytes: never for an empty file (a line larger than rotateBytes
  /// gets a file of its own).
  [[nodiscard]] bool rotation_due(std::uint64_t size, std::size_t line) const {
    if (size == 0)
      return false;
    return (cfg_.rotate_bytes != 0 && size + line > cfg_.rotate_bytes) || time_due();
  }

  /// Appends `data`; on a failure cuts the file back to its last whole line.
  std::string write_out(const std::string& data) {
    std::size_t done = 0;
    while (done < data.size()) {
      auto n = ::write(fd_, data.data() + done, data.size() - done);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0) {
        int e = n < 0 ? errno : ENOSPC;
        if (::ftruncate(fd_, static_cast<off_t>(size_)) != 0)
          host_.warn(errno_text("cannot cut " + cfg_.path + " back after a failed write", errno));
        return errno_text("cannot write " + cfg_.path, e);
      }
      done += static_cast<std::size_t>(n);
    }
    if (!data.empty()) {
      size_ += data.size();
      lines_ += static_cast<std::uint64_t>(std::count(data.begin(), data.end(), '\n'));
      dirty_ = true;
    }
    return {};
  }

  std::string sync() {
    if (::fdatasync(fd_) != 0)
      return errno_text("cannot fsync " + cfg_.path, errno);
    ++syncs_;
    dirty_ = false;
    return {};
  }

  /// path → path.1 → ... → path.keep (the oldest is replaced); a new path.
  std::string rotate() {
    if (cfg_.fsync != fsync_mode::never && dirty_)
      if (auto err = sync(); !err.empty())
        return err;
    ::close(fd_);
    fd_ = -1;
    auto numbered = [this](std::uint32_t k) { return cfg_.path + "." + std::to_string(k); };
    for (std::uint32_t k = cfg_.keep; k > 1; --k)
      if (::rename(numbered(k - 1).c_str(), numbered(k).c_str()) != 0 && errno != ENOENT)
        host_.warn(errno_text("cannot rename " + numbered(k - 1), errno));
    int rc = cfg_.keep > 0 ? ::rename(cfg_.path.c_str(), numbered(1).c_str())
                           : ::unlink(cfg_.path.c_str());
    if (rc != 0 && errno != ENOENT)
      host_.warn(errno_text("cannot rotate " + cfg_.path, errno));
    try {
      open_file();
    } catch (const sink::error& e) {
      return e.what();
    }
    ++rotations_;
    host_.debug("rotated " + cfg_.path);
    return {};
  }

  void fail_from(std::vector<sink::result>& results, std::size_t first, const std::string& err) {
    for (std::size_t i = first; i < results.size(); ++i) {
      results[i].status = sink::status::retry;
      results[i].error = err;
    }
  }

  file_config cfg_;
  sink::host host_;
  int fd_ = -1;
  std::uint64_t size_ = 0;      ///< bytes in the current file
  std::int64_t opened_ms_ = 0;  ///< when the current file was opened (host clock)
  bool dirty_ = false;          ///< written since the last fsync
  std::uint64_t lines_ = 0, syncs_ = 0, rotations_ = 0;
};

}  // namespace

IOTB_SINK_PLUGIN(file_sink)
