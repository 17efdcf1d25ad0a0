#include "actors/model_cache.hpp"

#include "broker/log/log.hpp"
#include "broker/store/thing_store.hpp"
#include "broker/util/clock.hpp"

namespace iotb::actors {

const thing::product_model* model_cache::get(const std::string& pk) {
  return share(pk).get();
}

std::shared_ptr<const thing::product_model> model_cache::share(const std::string& pk) {
  auto now = clock::now();
  auto gen = ctx_.thing_models.load(std::memory_order_acquire);
  auto it = models_.find(pk);
  if (it != models_.end() && it->second.generation == gen && now < it->second.until)
    return it->second.model;
  entry e{load(pk), gen, now + model_ttl};
  if (models_.size() > 10'000)
    models_.clear();  // bounded: products are few, a flood of fake ones is not
  auto& slot = models_[pk] = std::move(e);
  return slot.model;
}

std::shared_ptr<const thing::product_model> model_cache::load(const std::string& pk) {
  if (!ctx_.registry)
    return nullptr;
  auto t = ctx_.registry->read();
  if (!t)
    return nullptr;
  auto rec = store::get_thing_model(*t, pk);
  if (!rec) {
    if (rec.error().code != store::errc::not_found)
      IOTB_LOG_LIMITED(warn, "thing") << "product " << pk << ": " << rec.error().what;
    return nullptr;
  }
  auto m = thing::product_model::make(std::move(rec->tsl), rec->mode);
  if (!m) {
    IOTB_LOG_LIMITED(warn, "thing")
        << "product " << pk << ": stored thing model unreadable: " << m.error().message;
    return nullptr;
  }
  return *m;
}

}  // namespace iotb::actors
