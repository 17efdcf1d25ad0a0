#include "broker/admin/tokens.hpp"

#include <algorithm>

#include "broker/tls/random.hpp"
#include "broker/util/clock.hpp"

namespace iotb::admin {

token_store::token_store(std::chrono::seconds ttl, wall_clock clock, std::size_t max_tokens)
    : ttl_(ttl), clock_(std::move(clock)), max_tokens_(std::max<std::size_t>(max_tokens, 1)) {}

std::pair<std::string, token_info> token_store::issue(const std::string& user,
                                                      store::admin_role role,
                                                      std::string credential_tag) {
  auto now = clock_();
  token_info info{user, role, clock::to_ms(now + ttl_), std::move(credential_tag)};
  auto token = tls::random_hex(32);
  std::lock_guard lk(mu_);
  if (tokens_.size() >= max_tokens_) {
    drop_expired(clock::to_ms(now));
    if (tokens_.size() >= max_tokens_) {
      auto first = std::min_element(tokens_.begin(), tokens_.end(), [](auto& a, auto& b) {
        return a.second.expires_ms < b.second.expires_ms;
      });
      tokens_.erase(first);
    }
  }
  tokens_.emplace(token, info);
  return {std::move(token), std::move(info)};
}

std::optional<token_info> token_store::lookup(std::string_view token) {
  auto now = clock::to_ms(clock_());
  std::lock_guard lk(mu_);
  auto it = tokens_.find(std::string(token));
  if (it == tokens_.end())
    return std::nullopt;
  if (it->second.expires_ms <= now) {
    tokens_.erase(it);
    return std::nullopt;
  }
  return it->second;
}

void token_store::revoke_user(std::string_view user) {
  std::lock_guard lk(mu_);
  std::erase_if(tokens_, [&](auto& kv) { return kv.second.user == user; });
}

std::size_t token_store::size() const {
  std::lock_guard lk(mu_);
  return tokens_.size();
}

void token_store::drop_expired(std::uint64_t now_ms) {
  std::erase_if(tokens_, [&](auto& kv) { return kv.second.expires_ms <= now_ms; });
}

}  // namespace iotb::admin
