#include "broker/net/out_queue.hpp"

#include <cstring>

namespace iotb::net {

std::vector<std::uint8_t>& out_queue::tail_buffer() {
  if (chunks_.empty() || chunks_.back().ref || chunks_.back().data.size() >= max_chunk) {
    chunks_.emplace_back();
    chunks_.back().data.reserve(512);
  }
  return chunks_.back().data;
}

void out_queue::append(std::span<const std::uint8_t> bytes) {
  if (bytes.empty())
    return;
  auto& buf = tail_buffer();
  buf.insert(buf.end(), bytes.begin(), bytes.end());
  bytes_ += bytes.size();
}

void out_queue::append_ref(const message_ptr& owner, const char* data, std::size_t len) {
  if (len < ref_threshold) {
    append({reinterpret_cast<const std::uint8_t*>(data), len});
    return;
  }
  chunk c;
  c.ref = owner;
  c.ref_data = data;
  c.ref_len = len;
  chunks_.push_back(std::move(c));
  bytes_ += len;
}

std::size_t out_queue::gather(iovec* iov, std::size_t max) const {
  std::size_t n = 0;
  for (auto& c : chunks_) {
    if (n == max)
      break;
    auto sz = c.size();
    if (sz == 0)
      continue;
    const char* base = c.ref ? c.ref_data : reinterpret_cast<const char*>(c.data.data());
    iov[n].iov_base = const_cast<char*>(base + c.offset);
    iov[n].iov_len = sz;
    ++n;
  }
  return n;
}

void out_queue::consume(std::size_t n) {
  bytes_ -= n;
  while (n > 0 && !chunks_.empty()) {
    auto& c = chunks_.front();
    auto sz = c.size();
    if (n < sz) {
      c.offset += n;
      return;
    }
    n -= sz;
    chunks_.pop_front();
  }
  // Keep one emptied chunk's capacity around? No: idle connections should
  // hold no buffer memory.
}

void out_queue::clear() {
  chunks_.clear();
  bytes_ = 0;
}

}  // namespace iotb::net
