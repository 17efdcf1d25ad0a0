// The load generator's send window and loss/duplicate accounting.

#include "tools/loadgen/ledger.hpp"

#include <gtest/gtest.h>

namespace iotb::loadgen {
namespace {

/// Sends `n` messages at time `t`.
void send(ledger& l, int n, std::uint64_t t = 0) {
  for (int i = 0; i < n; ++i) {
    ASSERT_TRUE(l.can_send());
    l.push(t);
  }
}

TEST(Ledger, WindowLimitsUnresolvedMessages) {
  ledger l(4, 1, false, delivery_mode::ordered);
  send(l, 4);
  EXPECT_FALSE(l.can_send());
  EXPECT_EQ(l.outstanding(), 4u);
  std::int64_t last = -1;
  auto d = l.deliver(0, last);
  EXPECT_EQ(d.opened, 1u);
  EXPECT_TRUE(l.can_send());
  EXPECT_EQ(l.free(), 1u);
}

TEST(Ledger, InOrderDeliveriesAreCleanAndOpenTheWindow) {
  ledger l(8, 1, false, delivery_mode::ordered);
  send(l, 5);
  std::int64_t last = -1;
  for (std::uint64_t s = 0; s < 5; ++s) {
    auto d = l.deliver(s, last);
    EXPECT_FALSE(d.duplicate);
    EXPECT_EQ(d.skipped, 0u);
    EXPECT_EQ(d.opened, 1u);
  }
  EXPECT_EQ(l.outstanding(), 0u);
  EXPECT_EQ(last, 4);
}

TEST(Ledger, AGapIsCountedAsLostAndDoesNotStallTheWindow) {
  ledger l(8, 1, false, delivery_mode::ordered);
  send(l, 5);
  std::int64_t last = -1;
  l.deliver(0, last);
  auto d = l.deliver(3, last);  // 1 and 2 never came
  EXPECT_EQ(d.skipped, 2u);
  EXPECT_EQ(d.opened, 3u);
  EXPECT_EQ(l.base(), 4u);
}

TEST(Ledger, RepeatedOrOlderSequenceNumbersAreDuplicates) {
  ledger l(8, 1, false, delivery_mode::ordered);
  send(l, 3);
  std::int64_t last = -1;
  l.deliver(0, last);
  l.deliver(1, last);
  EXPECT_TRUE(l.deliver(1, last).duplicate);
  EXPECT_TRUE(l.deliver(0, last).duplicate);
  EXPECT_EQ(last, 1);
}

TEST(Ledger, ASequenceNumberNeverSentIsUnknown) {
  ledger l(8, 1, false, delivery_mode::ordered);
  send(l, 2);
  std::int64_t last = -1;
  EXPECT_TRUE(l.deliver(2, last).unknown);
  EXPECT_EQ(last, -1);
  EXPECT_TRUE(l.deliver(7).unknown);
}

TEST(Ledger, EveryReceiverMustAccountBeforeAMessageResolves) {
  ledger l(8, 3, false, delivery_mode::ordered);  // fan-out to three
  send(l, 2);
  std::int64_t a = -1, b = -1, c = -1;
  EXPECT_EQ(l.deliver(0, a).opened, 0u);
  EXPECT_EQ(l.deliver(0, b).opened, 0u);
  EXPECT_EQ(l.deliver(1, a).opened, 0u);
  EXPECT_EQ(l.deliver(0, c).opened, 1u);
  // Receiver b has not accounted for 1 yet (it may still come, or b may
  // skip it): 1 stays open until then or until it expires.
  EXPECT_EQ(l.deliver(1, c).opened, 0u);
  EXPECT_EQ(l.outstanding(), 1u);
}

TEST(Ledger, QosOneNeedsTheAcknowledgementToo) {
  ledger l(8, 1, true, delivery_mode::ordered);
  send(l, 2);
  std::int64_t last = -1;
  EXPECT_EQ(l.deliver(0, last).opened, 0u);
  EXPECT_EQ(l.ack(1), 0u);  // 1 acked, 0 not yet
  EXPECT_EQ(l.ack(0), 1u);
  EXPECT_EQ(l.deliver(1, last).opened, 1u);
  EXPECT_EQ(l.ack(1), 0u) << "an acknowledgement of a resolved message is ignored";
}

TEST(Ledger, PacketIdsMapBackToOutstandingSequenceNumbers) {
  ledger l(16, 1, true, delivery_mode::ordered);
  // Move the base to just before the packet ids wrap (65535 -> 1).
  for (std::uint64_t s = 0; s < 65533; ++s) {
    l.push(0);
    l.ack(s);
    std::int64_t last = static_cast<std::int64_t>(s) - 1;
    l.deliver(s, last);
  }
  EXPECT_EQ(l.base(), 65533u);
  send(l, 4);  // 65533..65536: packet ids 65534, 65535, 1, 2
  EXPECT_EQ(ledger::packet_id_of(65534), 65535u);
  EXPECT_EQ(ledger::packet_id_of(65535), 1u);
  for (std::uint64_t s = 65533; s < 65537; ++s) {
    auto id = ledger::packet_id_of(s);
    ASSERT_TRUE(l.seq_of(id).has_value());
    EXPECT_EQ(*l.seq_of(id), s);
  }
  EXPECT_FALSE(l.seq_of(ledger::packet_id_of(65537)).has_value()) << "not sent yet";
  EXPECT_FALSE(l.seq_of(0).has_value());
}

TEST(Ledger, ExpiryResolvesStaleMessagesAndLateOnesAreNotDuplicates) {
  ledger l(8, 1, false, delivery_mode::ordered);
  send(l, 2, 100);
  send(l, 1, 500);
  EXPECT_EQ(l.expire(200), 2u);  // the two sent at 100
  EXPECT_EQ(l.expired(), 2u);
  EXPECT_EQ(l.outstanding(), 1u);
  std::int64_t last = -1;
  auto d = l.deliver(1, last);  // comes after all
  EXPECT_FALSE(d.duplicate);
  EXPECT_TRUE(d.late);
  EXPECT_EQ(d.skipped, 1u);
  EXPECT_EQ(l.late(), 1u);
  EXPECT_EQ(l.deliver(2, last).opened, 1u);
}

TEST(Ledger, ExpiryAlsoReleasesResolvedMessagesBehindTheExpiredOne) {
  ledger l(8, 1, false, delivery_mode::any_one);
  send(l, 1, 10);
  send(l, 2, 20);
  l.deliver(1);
  l.deliver(2);  // 0 is missing: 1 and 2 wait behind it
  EXPECT_EQ(l.outstanding(), 3u);
  EXPECT_EQ(l.expire(11), 3u) << "the expired one and the two resolved behind it, once each";
  EXPECT_EQ(l.outstanding(), 0u);
  EXPECT_EQ(l.expired(), 1u);
}

TEST(Ledger, SharedGroupCountsOneDeliveryPerMessage) {
  ledger l(8, 1, false, delivery_mode::any_one);
  send(l, 4);
  // Members get disjoint subsets, in any order across members.
  EXPECT_EQ(l.deliver(1).opened, 0u);
  EXPECT_EQ(l.deliver(0).opened, 2u);
  EXPECT_TRUE(l.deliver(1).duplicate);
  EXPECT_TRUE(l.deliver(0).duplicate);
  EXPECT_EQ(l.deliver(3).opened, 0u);
  EXPECT_EQ(l.deliver(2).opened, 2u);
}

TEST(Ledger, SharedGroupLossShowsOnlyThroughExpiry) {
  ledger l(8, 1, true, delivery_mode::any_one);
  send(l, 3, 10);
  l.ack(0);
  l.ack(1);
  l.ack(2);
  l.deliver(0);
  l.deliver(2);  // 1 is missing: the window stays at 1
  EXPECT_EQ(l.base(), 1u);
  EXPECT_EQ(l.expire(11), 2u);
  EXPECT_EQ(l.expired(), 1u);
  EXPECT_EQ(l.outstanding(), 0u);
  auto d = l.deliver(1);
  EXPECT_TRUE(d.late);
  EXPECT_FALSE(d.duplicate);
  EXPECT_TRUE(l.deliver(1).duplicate) << "a second late copy is a duplicate";
}

}  // namespace
}  // namespace iotb::loadgen
