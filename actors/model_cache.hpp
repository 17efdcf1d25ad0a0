#pragma once
/// @file
/// The products' thing models as one actor keeps them: read from the
/// registry on first use, used for `model_ttl`, and read again at once
/// after an import or check-mode change in this process (the context's
/// `thing_models` generation). A product without a model (or whose model
/// cannot be read) gives null, and that answer is cached the same way.
///
/// Thread-safety: none; one owner (an actor) calls `get`. Reads are LMDB
/// read transactions: they never wait for the writer.

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "actors/context.hpp"
#include "broker/thing/uplink.hpp"

namespace iotb::actors {

/// How long a product's model is used before it is read again.
inline constexpr std::chrono::seconds model_ttl{5};

class model_cache {
 public:
  explicit model_cache(broker_context& ctx) : ctx_(ctx) {}

  /// The model of `pk`; null when it has none or it cannot be read.
  const thing::product_model* get(const std::string& pk);
  /// The same, shared: it stays valid after the cache drops it.
  std::shared_ptr<const thing::product_model> share(const std::string& pk);

 private:
  struct entry {
    std::shared_ptr<const thing::product_model> model;
    std::uint64_t generation = 0;
    std::chrono::steady_clock::time_point until;
  };

  std::shared_ptr<const thing::product_model> load(const std::string& pk);

  broker_context& ctx_;
  std::map<std::string, entry, std::less<>> models_;
};

}  // namespace iotb::actors
