#include "broker/store/writer.hpp"

#include "broker/log/log.hpp"

namespace iotb::store {

writer::writer(std::shared_ptr<env> e, std::size_t max_group, std::chrono::milliseconds window)
    : env_(std::move(e)), max_group_(max_group), window_(window), thread_([this] { run(); }) {}

writer::~writer() {
  {
    std::lock_guard lk(mu_);
    stop_ = true;
  }
  cv_.notify_one();
  thread_.join();
}

void writer::submit(job j) {
  {
    std::lock_guard lk(mu_);
    queue_.push_back(std::move(j));
    ++submitted_;
  }
  cv_.notify_one();
}

void writer::drain() {
  std::unique_lock lk(mu_);
  auto target = submitted_;
  drained_.wait(lk, [&] { return done_ >= target; });
}

writer::stats writer::snapshot() const {
  std::lock_guard lk(mu_);
  return stats_;
}

void writer::run() {
  std::vector<job> group;
  auto last_commit = std::chrono::steady_clock::now() - window_;
  for (;;) {
    if (window_.count() > 0) {
      // Let jobs gather: at most one commit per window.
      auto next = last_commit + window_;
      std::unique_lock lk(mu_);
      cv_.wait_until(lk, next, [&] { return stop_ || queue_.size() >= max_group_; });
    }
    {
      std::unique_lock lk(mu_);
      if (dirty_) {
        cv_.wait_for(lk, std::chrono::seconds{1}, [&] { return stop_ || !queue_.empty(); });
      } else {
        cv_.wait(lk, [&] { return stop_ || !queue_.empty(); });
      }
      if (queue_.empty()) {
        if (dirty_) {  // idle for a while, or stopping: make it durable
          lk.unlock();
          (void)env_->sync();
          dirty_ = false;
          last_sync_ = std::chrono::steady_clock::now();
          lk.lock();
        }
        if (stop_)
          return;
        continue;
      }
      if (queue_.size() <= max_group_) {
        group.swap(queue_);
      } else {
        group.assign(std::make_move_iterator(queue_.begin()),
                     std::make_move_iterator(queue_.begin() + static_cast<long>(max_group_)));
        queue_.erase(queue_.begin(), queue_.begin() + static_cast<long>(max_group_));
      }
    }
    apply(group);
    last_commit = std::chrono::steady_clock::now();
    dirty_ = true;
    if (auto now = std::chrono::steady_clock::now(); now - last_sync_ >= std::chrono::seconds{1}) {
      (void)env_->sync();
      dirty_ = false;
      last_sync_ = now;
    }
    {
      std::lock_guard lk(mu_);
      done_ += group.size();
    }
    drained_.notify_all();
    group.clear();
  }
}

void writer::apply(std::vector<job>& group) {
  // A failing job aborts the transaction; the group is retried without it,
  // so one bad job never loses the others.
  std::vector<bool> skip(group.size(), false);
  std::uint64_t commits = 0;
  std::uint64_t failures = 0;
  for (;;) {
    auto t = env_->write();
    if (!t) {
      IOTB_LOG(error, "store") << "cannot begin a write transaction: " << t.error().what;
      failures += group.size();
      break;
    }
    bool failed = false;
    for (std::size_t i = 0; i < group.size() && !failed; ++i) {
      if (skip[i])
        continue;
      if (auto ok = group[i](*t); !ok) {
        IOTB_LOG(warn, "store") << "write job failed and was dropped: " << ok.error().what;
        skip[i] = true;
        ++failures;
        failed = true;
      }
    }
    if (failed)
      continue;  // `t` aborts on scope exit
    if (auto ok = t->commit(); !ok) {
      IOTB_LOG(error, "store") << "commit of " << group.size()
                               << " jobs failed: " << ok.error().what;
      failures += group.size();
    } else {
      ++commits;
    }
    break;
  }
  std::lock_guard lk(mu_);
  stats_.jobs += group.size();
  stats_.commits += commits;
  stats_.failures += failures;
}

}  // namespace iotb::store
