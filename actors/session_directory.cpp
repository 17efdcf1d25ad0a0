#include "actors/session_directory.hpp"

#include "broker/auth/registry_auth.hpp"

namespace iotb::actors {

void session_directory::put(session_info info) {
  std::lock_guard lk(mu_);
  if (auto it = client_of_.find(info.name); it != client_of_.end()) {
    by_client_.erase({it->second, info.name});
    it->second = info.client_id;
  } else {
    client_of_.emplace(info.name, info.client_id);
  }
  auto key = std::make_pair(info.client_id, info.name);
  by_client_.insert_or_assign(std::move(key), std::move(info));
}

void session_directory::disconnected(const std::string& name, std::uint64_t when_ms) {
  std::lock_guard lk(mu_);
  auto it = client_of_.find(name);
  if (it == client_of_.end())
    return;
  if (auto e = by_client_.find({it->second, name}); e != by_client_.end()) {
    e->second.connected = false;
    e->second.disconnected_at_ms = when_ms;
  }
}

void session_directory::erase(const std::string& name) {
  std::lock_guard lk(mu_);
  auto it = client_of_.find(name);
  if (it == client_of_.end())
    return;
  by_client_.erase({it->second, name});
  client_of_.erase(it);
}

void session_directory::clear() {
  std::lock_guard lk(mu_);
  by_client_.clear();
  client_of_.clear();
}

std::pair<std::vector<session_info>, std::size_t> session_directory::list(const filter& f,
                                                                          std::size_t offset,
                                                                          std::size_t limit) const {
  std::vector<session_info> page;
  std::size_t total = 0;
  std::lock_guard lk(mu_);
  auto it = by_client_.lower_bound({f.client_prefix, std::string{}});
  for (; it != by_client_.end(); ++it) {
    const auto& s = it->second;
    if (!s.client_id.starts_with(f.client_prefix))
      break;  // ordered: no later client id has the prefix
    if ((!f.ip.empty() && s.ip != f.ip) || (f.connected && s.connected != *f.connected) ||
        (!f.product_key.empty() && s.product_key != f.product_key))
      continue;
    if (total >= offset && page.size() < limit)
      page.push_back(s);
    ++total;
  }
  return {std::move(page), total};
}

std::vector<session_info> session_directory::find(const std::string& client_id) const {
  std::vector<session_info> out;
  std::lock_guard lk(mu_);
  for (auto it = by_client_.lower_bound({client_id, std::string{}});
       it != by_client_.end() && it->first.first == client_id; ++it)
    out.push_back(it->second);
  return out;
}

std::vector<session_info> session_directory::device_sessions(std::string_view pk,
                                                             std::string_view dn) const {
  // A device's session names start with its session name (a
  // registration-free device's add "\0<clientId>"); the prefix also
  // matches longer device names, hence the field check.
  const auto prefix = auth::device_session_name(pk, dn);
  std::vector<session_info> out;
  std::lock_guard lk(mu_);
  for (auto it = client_of_.lower_bound(prefix);
       it != client_of_.end() && it->first.starts_with(prefix); ++it) {
    auto e = by_client_.find({it->second, it->first});
    if (e != by_client_.end() && e->second.connected && e->second.product_key == pk &&
        e->second.device_name == dn)
      out.push_back(e->second);
  }
  return out;
}

}  // namespace iotb::actors
