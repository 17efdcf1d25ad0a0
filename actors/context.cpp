#include "actors/context.hpp"

#include <chrono>

namespace iotb::actors {

namespace {

std::uint64_t epoch_ms() {
  using namespace std::chrono;
  return static_cast<std::uint64_t>(
      duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count());
}

}  // namespace

broker_context::broker_context(config c)
    : cfg(std::move(c)),
      ids(epoch_ms()),
      authn(std::make_unique<auth::anonymous_authenticator>()),
      authz(std::make_unique<acl::open_authorizer>()) {}

}  // namespace iotb::actors
