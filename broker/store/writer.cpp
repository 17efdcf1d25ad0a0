#include "broker/store/writer.hpp"

#include <future>

#include "broker/log/log.hpp"
#include "broker/util/clock.hpp"

namespace iotb::store {

writer::writer(std::shared_ptr<env> e, std::size_t max_group, std::chrono::milliseconds window,
               std::chrono::milliseconds sync_interval, commit_observer on_commit)
    : on_commit_(std::move(on_commit)),
      env_(std::move(e)),
      max_group_(max_group),
      window_(window),
      sync_interval_(sync_interval),
      thread_([this] { run(); }) {}

writer::~writer() {
  stop();
}

void writer::stop() {
  {
    std::lock_guard lk(mu_);
    stop_ = true;
  }
  cv_.notify_one();
  if (thread_.joinable())
    thread_.join();
}

void writer::submit(job j, completion done) {
  {
    std::lock_guard lk(mu_);
    queue_.push_back(item{std::move(j), std::move(done)});
    ++submitted_;
  }
  cv_.notify_one();
}

expected<bool, error> writer::change(const env::change_job& j) {
  if (std::this_thread::get_id() == thread_.get_id())
    return unexpected{error{errc::io, "a durable change was requested on the store writer thread"}};
  struct outcome {
    std::optional<error> err;  ///< the job's own error
    std::promise<bool> committed;
  };
  auto o = std::make_shared<outcome>();
  auto done = o->committed.get_future();
  {
    std::lock_guard lk(mu_);
    queue_.push_back(item{[o, &j](write_txn& t) -> expected<bool, error> {
                            auto r = j(t);  // a retried group runs it again
                            if (!r)
                              o->err = r.error();
                            else
                              o->err.reset();
                            return r;
                          },
                          [o](bool committed) { o->committed.set_value(committed); }, true});
    ++submitted_;
    ++waiting_;
  }
  cv_.notify_one();
  bool committed = done.get();
  if (o->err)
    return unexpected{*o->err};
  if (!committed)
    return unexpected{error{errc::io, "the change could not be committed (see the log)"}};
  return true;
}

void writer::route_to(env& e) {
  e.route_writes([this](const env::change_job& j) { return change(j); },
                 [this](env::change_job j) { submit(std::move(j)); });
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
  std::vector<item> group;
  auto last_commit = clock::now() - window_;
  for (;;) {
    if (window_.count() > 0) {
      // Let jobs gather: at most one commit per window.
      auto next = last_commit + window_;
      std::unique_lock lk(mu_);
      cv_.wait_until(lk, next,
                     [&] { return stop_ || queue_.size() >= max_group_ || waiting_ > 0; });
    }
    {
      std::unique_lock lk(mu_);
      if (dirty_ && sync_interval_.count() > 0) {
        cv_.wait_for(lk, sync_interval_, [&] { return stop_ || !queue_.empty(); });
      } else {
        cv_.wait(lk, [&] { return stop_ || !queue_.empty(); });
      }
      if (queue_.empty()) {
        if (dirty_ && (stop_ || sync_interval_.count() > 0)) {
          // Idle for a while, or stopping: make it durable.
          lk.unlock();
          (void)env_->sync();
          dirty_ = false;
          last_sync_ = clock::now();
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
      for (const auto& i : group)
        waiting_ -= i.durable ? 1 : 0;
    }
    synced_ = false;
    apply(group);
    last_commit = clock::now();
    dirty_ = env_->nosync() && !synced_;
    if (auto now = clock::now();
        dirty_ && sync_interval_.count() > 0 && now - last_sync_ >= sync_interval_) {
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

void writer::apply(std::vector<item>& group) {
  // A failing job aborts the transaction; the group is retried without it,
  // so one bad job never loses the others. A full map is grown and the
  // group retried as it was.
  std::vector<bool> skip(group.size(), false);
  std::uint64_t commits = 0;
  std::uint64_t failures = 0;
  std::uint64_t grows = 0;
  enum class outcome { committed, retry, grow, give_up };
  auto attempt = [&]() -> outcome {
    auto t = env_->write();
    if (!t) {
      IOTB_LOG_LIMITED(error, "store") << "cannot begin a write transaction: " << t.error().what;
      return outcome::give_up;
    }
    for (std::size_t i = 0; i < group.size(); ++i) {
      if (skip[i])
        continue;
      if (auto ok = group[i].j(*t); !ok) {
        if (ok.error().code == errc::map_full)
          return outcome::grow;
        if (!group[i].durable)  // a durable job's caller gets its error
          IOTB_LOG_LIMITED(warn, "store")
              << "write job failed and was dropped: " << ok.error().what;
        skip[i] = true;
        ++failures;
        return outcome::retry;
      }
    }
    auto ok = t->commit();
    if (ok)
      return outcome::committed;
    if (ok.error().code == errc::map_full)
      return outcome::grow;
    IOTB_LOG_LIMITED(error, "store")
        << "commit of " << group.size() << " jobs failed: " << ok.error().what;
    return outcome::give_up;
  };
  bool committed = false;
  auto started = clock::now();
  for (bool more = true; more;) {
    switch (attempt()) {  // the transaction has ended when attempt() returns
      case outcome::committed:
        ++commits;
        committed = true;
        more = false;
        break;
      case outcome::retry:
        break;
      case outcome::grow:
        if (auto g = env_->grow(); g) {
          ++grows;
          break;
        } else {
          IOTB_LOG_LIMITED(error, "store")
              << g.error().what << ": " << group.size() << " write jobs refused";
        }
        [[fallthrough]];
      case outcome::give_up:
        for (std::size_t i = 0; i < group.size(); ++i)
          if (!skip[i]) {
            skip[i] = true;
            ++failures;
          }
        more = false;
        break;
    }
  }
  bool someone_waits = false;
  for (std::size_t i = 0; i < group.size(); ++i)
    someone_waits = someone_waits || (group[i].durable && !skip[i]);
  if (committed && someone_waits && env_->nosync()) {
    // A durable change is on disk before its caller hears of it.
    if (auto ok = env_->sync(); !ok) {
      IOTB_LOG_LIMITED(error, "store") << "sync failed: " << ok.error().what;
      committed = false;
    } else {
      synced_ = true;
    }
  }
  if (committed && on_commit_)
    on_commit_(clock::now() - started);
  for (std::size_t i = 0; i < group.size(); ++i)
    if (group[i].done)
      group[i].done(committed && !skip[i]);
  std::lock_guard lk(mu_);
  stats_.jobs += group.size();
  stats_.commits += commits;
  stats_.failures += failures;
  stats_.grows += grows;
}

}  // namespace iotb::store
