#include "broker/actions/action_queue.hpp"

#include <algorithm>

namespace iotb::actions {

const char* to_string(drop_reason r) noexcept {
  switch (r) {
    case drop_reason::queue_full:
      return "queue_full";
    case drop_reason::expired:
      return "expired";
    case drop_reason::not_loaded:
      return "not_loaded";
  }
  return "unknown";
}

void action_queue::drop(const entry& e, drop_reason why) {
  bytes_ -= std::min(bytes_, e.rec.bytes());
  ++counters_.dropped[static_cast<int>(why)];
}

bool action_queue::offer(record r, time_point now) {
  auto size = r.bytes();
  if (queued() + inflight_ >= limits_.max_records || bytes_ + size > limits_.max_bytes) {
    ++counters_.dropped[static_cast<int>(drop_reason::queue_full)];
    return false;
  }
  ++counters_.offered;
  bytes_ += size;
  ready_.push_back(entry{std::move(r), now, 0});
  return true;
}

void action_queue::expire(time_point now) {
  while (!ready_.empty() && ready_.front().born + limits_.max_age <= now) {
    drop(ready_.front(), drop_reason::expired);
    ready_.pop_front();
  }
}

std::vector<record> action_queue::take_batch(time_point now) {
  std::vector<record> batch;
  if (inflight_ != 0 || now < paused_until_)
    return batch;
  expire(now);
  flight_.clear();
  // Retries that are due go first: they are older than what is ready.
  while (!waiting_.empty() && waiting_.begin()->first <= now && batch.size() < limits_.batch_size) {
    auto e = std::move(waiting_.begin()->second);
    waiting_.erase(waiting_.begin());
    if (e.born + limits_.max_age <= now) {
      drop(e, drop_reason::expired);
      continue;
    }
    batch.push_back(std::move(e.rec));
    flight_.push_back(entry{{}, e.born, e.attempts});
  }
  while (!ready_.empty() && batch.size() < limits_.batch_size) {
    auto& e = ready_.front();
    batch.push_back(std::move(e.rec));
    flight_.push_back(entry{{}, e.born, e.attempts});
    ready_.pop_front();
  }
  inflight_ = batch.size();
  return batch;
}

std::optional<time_point> action_queue::next_due(time_point now) const {
  std::optional<time_point> due;
  if (!ready_.empty())
    due = now;
  else if (!waiting_.empty())
    due = waiting_.begin()->first;
  if (due && *due < paused_until_)
    due = paused_until_;
  return due;
}

std::vector<failure> action_queue::complete(std::vector<record> batch,
                                            const std::vector<status>& statuses, time_point now) {
  std::vector<failure> failures;
  std::vector<entry> throttled;
  const auto n = std::min(batch.size(), flight_.size());
  for (std::size_t i = 0; i < n; ++i) {
    entry e{std::move(batch[i]), flight_[i].born, flight_[i].attempts};
    status st = i < statuses.size() ? statuses[i] : status{outcome::retry, {}, "no status"};
    switch (st.what) {
      case outcome::ok:
        ++counters_.success;
        bytes_ -= std::min(bytes_, e.rec.bytes());
        break;
      case outcome::retry:
        if (e.attempts < limits_.retry_delays.size()) {
          auto delay = st.delay.count() > 0 ? st.delay : limits_.retry_delays[e.attempts];
          ++e.attempts;
          ++counters_.retried;
          waiting_.emplace(now + delay, std::move(e));
          break;
        }
        ++e.attempts;
        [[fallthrough]];
      case outcome::drop:
        ++counters_.failed;
        bytes_ -= std::min(bytes_, e.rec.bytes());
        if (st.what == outcome::drop)
          ++e.attempts;
        failures.push_back(failure{std::move(e.rec), std::move(st.error), e.attempts});
        break;
      case outcome::throttle:
        paused_until_ =
            std::max(paused_until_, now + (st.delay.count() > 0 ? st.delay : milliseconds{1000}));
        throttled.push_back(std::move(e));
        break;
    }
  }
  // Throttled records go back to the front, in their order.
  for (auto it = throttled.rbegin(); it != throttled.rend(); ++it)
    ready_.push_front(std::move(*it));
  flight_.clear();
  inflight_ = 0;
  return failures;
}

}  // namespace iotb::actions
