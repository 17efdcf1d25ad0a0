#pragma once
/// @file
/// A fresh directory under /tmp that is removed, with everything in it,
/// when the object goes: the tests and benchmarks work on real files
/// (LMDB environments, certificates) and leave nothing behind.

#include <stdlib.h>

#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>

namespace iotb {

class temp_dir {
 public:
  /// Creates `/tmp/<prefix>-XXXXXX`. Throws std::system_error when it
  /// cannot (GoogleTest reports that as a test failure).
  explicit temp_dir(std::string_view prefix) {
    std::string tmpl = "/tmp/" + std::string(prefix) + "-XXXXXX";
    if (::mkdtemp(tmpl.data()) == nullptr)
      throw std::system_error(errno, std::generic_category(), "mkdtemp " + tmpl);
    path_ = std::move(tmpl);
  }
  ~temp_dir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;

  [[nodiscard]] const std::string& path() const noexcept { return path_; }
  /// `path()/name`.
  [[nodiscard]] std::string operator/(std::string_view name) const {
    return path_ + "/" + std::string(name);
  }

 private:
  std::string path_;
};

}  // namespace iotb
