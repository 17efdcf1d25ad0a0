#include "broker/actions/action_queue.hpp"

#include <gtest/gtest.h>

namespace iotb::actions {
namespace {

using std::chrono::seconds;

record rec(int i) {
  record r;
  r.output = R"({"i":)" + std::to_string(i) + "}";
  r.topic = "t";
  r.message_id = static_cast<std::uint64_t>(i);
  return r;
}

std::vector<status> all(std::size_t n, outcome o, milliseconds delay = milliseconds{0}) {
  return std::vector<status>(n, status{o, delay, o == outcome::ok ? "" : "boom"});
}

TEST(action_queue, batches_in_order_and_counts_success) {
  queue_limits lim;
  lim.batch_size = 3;
  action_queue q(lim);
  time_point t0{};
  for (int i = 0; i < 5; ++i)
    ASSERT_TRUE(q.offer(rec(i), t0));
  auto b = q.take_batch(t0);
  ASSERT_EQ(b.size(), 3u);
  EXPECT_EQ(b[0].message_id, 0u);
  EXPECT_EQ(b[2].message_id, 2u);
  EXPECT_TRUE(q.take_batch(t0).empty());  // one batch in flight at a time
  EXPECT_EQ(q.inflight(), 3u);
  EXPECT_TRUE(q.complete(std::move(b), all(3, outcome::ok), t0).empty());
  b = q.take_batch(t0);
  ASSERT_EQ(b.size(), 2u);
  EXPECT_EQ(b[0].message_id, 3u);
  q.complete(std::move(b), all(2, outcome::ok), t0);
  EXPECT_EQ(q.counters().success, 5u);
  EXPECT_EQ(q.bytes(), 0u);
  EXPECT_FALSE(q.next_due(t0));
}

TEST(action_queue, retries_after_1_3_10_seconds_then_fails_with_the_error) {
  action_queue q;
  time_point t0{};
  q.offer(rec(7), t0);
  auto now = t0;
  const seconds waits[] = {seconds{1}, seconds{3}, seconds{10}};
  for (auto w : waits) {
    auto b = q.take_batch(now);
    ASSERT_EQ(b.size(), 1u);
    EXPECT_TRUE(q.complete(std::move(b), all(1, outcome::retry), now).empty());
    ASSERT_TRUE(q.next_due(now));
    EXPECT_EQ(*q.next_due(now) - now, w);
    EXPECT_TRUE(q.take_batch(now + w - milliseconds{1}).empty());
    now += w;
  }
  auto b = q.take_batch(now);
  ASSERT_EQ(b.size(), 1u);
  auto failed = q.complete(std::move(b), all(1, outcome::retry), now);
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0].rec.message_id, 7u);
  EXPECT_EQ(failed[0].error, "boom");
  EXPECT_EQ(failed[0].attempts, 4u);
  EXPECT_EQ(q.counters().retried, 3u);
  EXPECT_EQ(q.counters().failed, 1u);
  EXPECT_EQ(q.queued(), 0u);
}

TEST(action_queue, a_retried_record_does_not_hold_up_later_ones) {
  action_queue q;
  time_point t0{};
  q.offer(rec(1), t0);
  auto b = q.take_batch(t0);
  q.complete(std::move(b), all(1, outcome::retry), t0);
  q.offer(rec(2), t0);
  b = q.take_batch(t0);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b[0].message_id, 2u);
  q.complete(std::move(b), all(1, outcome::ok), t0);
  b = q.take_batch(t0 + seconds{1});
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b[0].message_id, 1u);
}

TEST(action_queue, drop_fails_at_once_and_throttle_pauses_the_action) {
  action_queue q;
  time_point t0{};
  q.offer(rec(1), t0);
  q.offer(rec(2), t0);
  auto b = q.take_batch(t0);
  ASSERT_EQ(b.size(), 2u);
  auto failed = q.complete(
      std::move(b),
      {status{outcome::drop, {}, "bad row"}, status{outcome::throttle, milliseconds{500}, ""}}, t0);
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0].error, "bad row");
  EXPECT_TRUE(q.take_batch(t0 + milliseconds{499}).empty());
  EXPECT_EQ(*q.next_due(t0), t0 + milliseconds{500});
  b = q.take_batch(t0 + milliseconds{500});
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b[0].message_id, 2u);
  // A missing status counts as a retry.
  EXPECT_TRUE(q.complete(std::move(b), {}, t0 + milliseconds{500}).empty());
  EXPECT_EQ(q.counters().retried, 1u);
}

TEST(action_queue, bounded_by_records_and_bytes_and_expires_old_records) {
  queue_limits lim;
  lim.max_records = 2;
  lim.max_bytes = 1000;
  lim.max_age = seconds{60};
  action_queue q(lim);
  time_point t0{};
  EXPECT_TRUE(q.offer(rec(1), t0));
  EXPECT_TRUE(q.offer(rec(2), t0));
  EXPECT_FALSE(q.offer(rec(3), t0));
  EXPECT_EQ(q.counters().dropped[static_cast<int>(drop_reason::queue_full)], 1u);
  record big = rec(4);
  big.payload.assign(2000, 'x');
  action_queue q2(lim);
  EXPECT_FALSE(q2.offer(big, t0));
  EXPECT_TRUE(q.take_batch(t0 + seconds{60}).empty());
  EXPECT_EQ(q.counters().dropped[static_cast<int>(drop_reason::expired)], 2u);
  EXPECT_EQ(q.bytes(), 0u);
  q.not_loaded();
  EXPECT_EQ(q.counters().dropped[static_cast<int>(drop_reason::not_loaded)], 1u);
}

}  // namespace
}  // namespace iotb::actions
