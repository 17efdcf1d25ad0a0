#include "broker/store/session_store.hpp"
#include "broker/util/clock.hpp"
#include "broker/util/temp_dir.hpp"

#include <gtest/gtest.h>

#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>

namespace iotb::store {
namespace {

/// A session store in a temporary directory (real LMDB files), reopened at
/// will to simulate a restart.
class SessionStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { open(); }
  void TearDown() override { store_.reset(); }
  void open(session_store_options o = {}) {
    store_.reset();
    o.map_size =
        o.map_size == session_store_options{}.map_size ? (std::size_t{1} << 20) : o.map_size;
    auto s = session_store::open(dir_, o);
    ASSERT_TRUE(s) << s.error().what;
    store_ = std::move(*s);
    auto l = store_->load(clock::wall_ms());
    ASSERT_TRUE(l) << l.error().what;
    loaded_ = std::move(*l);
  }

  static message_ptr make_message(std::uint64_t id, std::string topic, std::string payload,
                                  mqtt::qos q = mqtt::qos::at_least_once) {
    auto m = std::make_shared<message>();
    m->id = id;
    m->topic = std::move(topic);
    m->payload = std::move(payload);
    m->q = q;
    m->received = clock::now();
    return m;
  }

  /// Enqueues and waits for the completion.
  std::pair<bool, std::vector<std::uint64_t>> enqueue(const message_ptr& m,
                                                      std::vector<target> targets,
                                                      bool retain = false) {
    std::mutex mu;
    std::condition_variable cv;
    bool done = false;
    std::pair<bool, std::vector<std::uint64_t>> out;
    store_->enqueue(
        m, std::move(targets), retain,
        [&](bool ok, const std::vector<target>&, const std::vector<std::uint64_t>& seqs) {
          std::lock_guard lk(mu);
          out = {ok, seqs};
          done = true;
          cv.notify_one();
        });
    std::unique_lock lk(mu);
    cv.wait(lk, [&] { return done; });
    return out;
  }

  static session_record make_session(std::string name, std::uint64_t store_id) {
    session_record r;
    r.name = std::move(name);
    r.client_id = "c-" + std::to_string(store_id);
    r.store_id = store_id;
    r.version = mqtt::version::v5;
    r.expiry = 3600;
    subscription_record s;
    s.filter = "a/+/c";
    s.opts.max_qos = mqtt::qos::at_least_once;
    s.opts.no_local = true;
    s.sub_id = 7;
    r.subs.push_back(s);
    return r;
  }

  temp_dir tmp_{"iotb-sessions"};
  const std::string& dir_ = tmp_.path();
  std::unique_ptr<session_store> store_;
  loaded_state loaded_;
};

TEST_F(SessionStoreTest, MessageRecordRoundTripsEveryProperty) {
  auto m = std::make_shared<message>();
  m->id = 42;
  m->topic = "t/1";
  m->payload = std::string("\0\x01\xff", 3);
  m->q = mqtt::qos::exactly_once;
  m->retain = true;
  m->origin = 9;
  m->props.message_expiry_interval = 60;
  m->props.payload_format_indicator = 1;
  m->props.content_type = "text/plain";
  m->props.response_topic = "r/1";
  m->props.correlation_data = std::string("\0x", 2);
  m->props.user_properties = {{"k", "v"}, {"k", "w"}};
  auto now = clock::now();
  m->received = now;
  auto bytes = encode_message(*m, 1000);
  auto d = decode_message(bytes, 3000, now);
  ASSERT_TRUE(d) << d.error().what;
  EXPECT_EQ((*d)->topic, m->topic);
  EXPECT_EQ((*d)->payload, m->payload);
  EXPECT_EQ((*d)->props, m->props);
  EXPECT_EQ((*d)->id, 42u);
  EXPECT_EQ((*d)->origin, 9u);
  EXPECT_TRUE((*d)->retain);
  EXPECT_EQ((*d)->q, mqtt::qos::exactly_once);
  EXPECT_EQ(std::chrono::duration_cast<std::chrono::milliseconds>(now - (*d)->received).count(),
            2000);
}

TEST_F(SessionStoreTest, ReusedBuilderEncodesLikeAFreshOne) {
  // The writer thread encodes every message into one builder: a large
  // message and then a small one must give the small one's exact bytes.
  auto big = std::make_shared<message>();
  big->id = 1;
  big->topic = "big/topic";
  big->payload = std::string(100'000, 'x');
  big->props.user_properties = {{"a", "b"}};
  auto small = std::make_shared<message>();
  small->id = 2;
  small->topic = "s";
  small->payload = "p";
  flatbuffers::FlatBufferBuilder reused(16);
  for (const auto& m : {big, small, big, small}) {
    auto fresh = encode_message(*m, 7);
    auto view = encode_message(*m, 7, reused);
    ASSERT_EQ(std::vector<std::uint8_t>(view.begin(), view.end()), fresh);
    auto d = decode_message(view, 7, clock::now());
    ASSERT_TRUE(d) << d.error().what;
    EXPECT_EQ((*d)->payload, m->payload);
  }
}

TEST_F(SessionStoreTest, CorruptRecordsAreErrorsNotCrashes) {
  std::vector<std::uint8_t> junk = {1, 2, 3, 4, 5, 6, 7, 8, 9};
  EXPECT_EQ(decode_message(junk, 0, {}).error().code, errc::corrupt);
  EXPECT_EQ(decode_session(junk).error().code, errc::corrupt);
  auto good = encode_session(make_session("x", 1));
  good.resize(good.size() / 2);  // truncated
  EXPECT_EQ(decode_session(good).error().code, errc::corrupt);
}

TEST_F(SessionStoreTest, SessionsAndQueuesSurviveAReopen) {
  store_->put_session(make_session("s1", 1));
  store_->put_session(make_session(std::string("\0dpk/dn", 7), 2));
  auto m1 = make_message(100, "a/b/c", "one");
  auto m2 = make_message(101, "a/b/c", "two");
  auto r1 = enqueue(
      m1, {{1, mqtt::qos::at_least_once, false, 7}, {2, mqtt::qos::at_least_once, true, 0}});
  ASSERT_TRUE(r1.first);
  EXPECT_EQ(r1.second, (std::vector<std::uint64_t>{1, 1}));
  auto r2 = enqueue(m2, {{1, mqtt::qos::exactly_once, false, 7}});
  EXPECT_EQ(r2.second, (std::vector<std::uint64_t>{2}));

  open();  // restart
  ASSERT_EQ(loaded_.sessions.size(), 2u);
  EXPECT_EQ(loaded_.queued, 3u);
  EXPECT_EQ(loaded_.max_store_id, 2u);
  auto s1 = std::find_if(loaded_.sessions.begin(), loaded_.sessions.end(),
                         [](auto& s) { return s.store_id == 1; });
  auto want = make_session("s1", 1);
  want.last_seq = 2;
  EXPECT_EQ(*s1, want);
  auto q = store_->page(1, 0, 10);
  ASSERT_TRUE(q);
  ASSERT_EQ(q->size(), 2u);
  EXPECT_EQ((*q)[0].msg->payload, "one");
  EXPECT_EQ((*q)[0].sub_id.front(), 7u);
  EXPECT_EQ((*q)[1].msg->payload, "two");
  EXPECT_EQ((*q)[1].q, mqtt::qos::exactly_once);
  // Sequence numbers continue after a restart.
  auto r3 = enqueue(make_message(102, "x", "three"), {{1, mqtt::qos::at_least_once, false, 0}});
  EXPECT_EQ(r3.second, (std::vector<std::uint64_t>{3}));
}

TEST_F(SessionStoreTest, PagesInOrderAfterAGivenSequence) {
  store_->put_session(make_session("s", 5));
  for (int i = 0; i < 10; ++i)
    enqueue(make_message(200 + i, "t", std::to_string(i)),
            {{5, mqtt::qos::at_least_once, false, 0}});
  auto p = store_->page(5, 4, 3);
  ASSERT_TRUE(p);
  ASSERT_EQ(p->size(), 3u);
  EXPECT_EQ((*p)[0].seq, 5u);
  EXPECT_EQ((*p)[0].msg->payload, "4");
  EXPECT_EQ((*p)[2].msg->payload, "6");
  EXPECT_TRUE(store_->page(6, 0, 10)->empty());  // another session's queue is empty
}

// One copy for overlapping subscriptions keeps every subscription
// identifier through the store.
TEST_F(SessionStoreTest, QueueEntryKeepsSeveralSubscriptionIdentifiers) {
  sub_id_list ids{3};
  ids.add(5);
  ids.add(8);
  enqueue(make_message(1, "t", "x"), {{1, mqtt::qos::at_least_once, false, ids}});
  enqueue(make_message(2, "t", "y"), {{1, mqtt::qos::at_least_once, false, 4}});
  auto q = store_->page(1, 0, 10);
  ASSERT_TRUE(q);
  ASSERT_EQ(q->size(), 2u);
  EXPECT_EQ((*q)[0].sub_id.to_vector(), (std::vector<std::uint32_t>{3, 5, 8}));
  EXPECT_EQ((*q)[1].sub_id.to_vector(), (std::vector<std::uint32_t>{4}));
}

TEST_F(SessionStoreTest, AckRemovesEntryAndTheLastAckTheMessage) {
  store_->put_session(make_session("a", 1));
  store_->put_session(make_session("b", 2));
  auto m = make_message(300, "t", "shared");
  auto r = enqueue(
      m, {{1, mqtt::qos::at_least_once, false, 0}, {2, mqtt::qos::at_least_once, false, 0}});
  store_->ack(1, r.second[0], 300);
  store_->drain();
  EXPECT_TRUE(store_->page(1, 0, 10)->empty());
  ASSERT_EQ(store_->page(2, 0, 10)->size(), 1u);  // the message is still there for b
  store_->ack(2, r.second[1], 300);
  store_->drain();
  store_->drain();  // the message delete is submitted by the ack's completion
  EXPECT_EQ(store_->snapshot().acked, 2u);
  open();
  EXPECT_EQ(loaded_.queued, 0u);
  EXPECT_EQ(loaded_.orphans, 0u);  // nothing left behind
}

TEST_F(SessionStoreTest, EraseSessionDropsItsQueueAndUnreferencedMessages) {
  store_->put_session(make_session("a", 1));
  store_->put_session(make_session("b", 2));
  enqueue(make_message(1, "t", "x"),
          {{1, mqtt::qos::at_least_once, false, 0}, {2, mqtt::qos::at_least_once, false, 0}});
  enqueue(make_message(2, "t", "y"), {{1, mqtt::qos::at_least_once, false, 0}});
  store_->erase_session("a", 1);
  store_->drain();
  store_->drain();
  open();
  ASSERT_EQ(loaded_.sessions.size(), 1u);
  EXPECT_EQ(loaded_.sessions[0].name, "b");
  EXPECT_EQ(loaded_.queued, 1u);
  EXPECT_EQ(loaded_.orphans, 0u);
  EXPECT_EQ(store_->page(2, 0, 10)->at(0).msg->payload, "x");
}

TEST_F(SessionStoreTest, ExpiredSessionsAreRemovedAtLoad) {
  auto r = make_session("old", 1);
  r.expiry = 10;
  r.disconnected_ms = clock::wall_ms() - 20'000;
  store_->put_session(r);
  auto live = make_session("live", 2);
  live.disconnected_ms = clock::wall_ms() - 20'000;  // expiry 3600: still alive
  store_->put_session(live);
  enqueue(make_message(1, "t", "x"), {{1, mqtt::qos::at_least_once, false, 0}});
  open();
  ASSERT_EQ(loaded_.sessions.size(), 1u);
  EXPECT_EQ(loaded_.sessions[0].name, "live");
  EXPECT_EQ(loaded_.expired_sessions, 1u);
  EXPECT_EQ(loaded_.orphans, 1u);  // the expired session's entry
  open();
  EXPECT_EQ(loaded_.orphans, 0u);  // ...and its message went in the same pass
}

// A durable session that resumed with expiry 0 is stored with expiry 0
// while online; a restart ends its connection and so the session.
TEST_F(SessionStoreTest, OnlineSessionWithExpiryZeroEndsAtLoad) {
  auto r = make_session("zero", 1);
  r.expiry = 0;
  r.disconnected_ms = 0;  // online when written
  store_->put_session(r);
  store_->put_session(make_session("live", 2));
  enqueue(make_message(1, "t", "x"), {{1, mqtt::qos::at_least_once, false, 0}});
  open();
  ASSERT_EQ(loaded_.sessions.size(), 1u);
  EXPECT_EQ(loaded_.sessions[0].name, "live");
  EXPECT_EQ(loaded_.expired_sessions, 1u);
}

TEST_F(SessionStoreTest, MessagesPastRetentionAreDiscardedAndCounted) {
  store_->put_session(make_session("s", 1));
  auto m = make_message(1, "t", "old");
  const_cast<message&>(*m).received = clock::now() - std::chrono::seconds{100};
  enqueue(m, {{1, mqtt::qos::at_least_once, false, 0}});
  enqueue(make_message(2, "t", "new"), {{1, mqtt::qos::at_least_once, false, 0}});
  session_store_options o;
  o.retention = std::chrono::seconds{50};
  open(o);
  EXPECT_EQ(loaded_.expired_messages, 1u);
  auto p = store_->page(1, 0, 10);
  ASSERT_EQ(p->size(), 1u);
  EXPECT_EQ((*p)[0].msg->payload, "new");
}

TEST_F(SessionStoreTest, MessageExpiryIsHonouredAtPageIn) {
  store_->put_session(make_session("s", 1));
  auto m = make_message(1, "t", "short-lived");
  auto mm = std::const_pointer_cast<message>(m);
  mm->props.message_expiry_interval = 1;
  mm->received = clock::now() - std::chrono::seconds{5};
  enqueue(m, {{1, mqtt::qos::at_least_once, false, 0}});
  std::size_t expired = 0;
  auto p = store_->page(1, 0, 10, &expired);
  EXPECT_TRUE(p->empty());
  EXPECT_EQ(expired, 1u);
}

TEST_F(SessionStoreTest, RetainedMessagesPersistAndClear) {
  enqueue(make_message(1, "r/1", "kept"), {}, true);
  store_->set_retained(make_message(2, "r/2", "also"));
  store_->set_retained(make_message(3, "r/2", ""));  // cleared
  store_->drain();
  open();
  ASSERT_EQ(loaded_.retained.size(), 1u);
  EXPECT_EQ(loaded_.retained[0]->topic, "r/1");
  EXPECT_EQ(loaded_.retained[0]->payload, "kept");
}

TEST_F(SessionStoreTest, FullStoreRefusesEnqueueAndKeepsWhatItHas) {
  session_store_options o;
  o.map_size = std::size_t{1} << 20;
  o.max_map_size = std::size_t{2} << 20;  // may grow once
  open(o);
  store_->put_session(make_session("s", 1));
  std::string big(64 * 1024, 'x');
  int stored = 0;
  bool refused = false;
  for (int i = 0; i < 200 && !refused; ++i) {
    auto r = enqueue(make_message(1000 + i, "t", big), {{1, mqtt::qos::at_least_once, false, 0}});
    if (r.first)
      ++stored;
    else
      refused = true;
  }
  EXPECT_TRUE(refused);
  EXPECT_GT(stored, 16);  // more than fit in the first 1 MiB: the map grew
  // Full: what is in use is close to the most the map may grow to.
  auto s = store_->snapshot();
  EXPECT_EQ(s.max_bytes, std::size_t{2} << 20);
  EXPECT_GT(s.used_bytes, s.max_bytes * 9 / 10);
  EXPECT_LE(s.used_bytes, s.max_bytes);
  EXPECT_EQ(store_->snapshot().refused, 1u);
  EXPECT_GE(store_->snapshot().commits.grows, 1u);
  auto p = store_->page(1, 0, 1000);
  ASSERT_TRUE(p);
  EXPECT_EQ(static_cast<int>(p->size()), stored);  // nothing acknowledged was lost
}

TEST_F(SessionStoreTest, UnknownFormatVersionIsAClearErrorAtOpen) {
  store_.reset();
  {
    auto e = env::open(dir_, {});
    ASSERT_TRUE(e);
    auto t = (*e)->write();
    char rec[8] = {'I', 'O', 'T', 'B', 99, 0, 0, 0};
    ASSERT_TRUE(t->put(table::meta, "format",
                       std::span<const std::uint8_t>(reinterpret_cast<std::uint8_t*>(rec), 8)));
    ASSERT_TRUE(t->commit());
  }
  auto s = session_store::open(dir_, {});
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, errc::format_mismatch);
  EXPECT_NE(s.error().what.find("format version 99"), std::string::npos) << s.error().what;
}

TEST_F(SessionStoreTest, CorruptSessionRecordIsSkippedAndReported) {
  store_.reset();
  {
    auto e = env::open(dir_, {});
    auto t = (*e)->write();
    std::uint8_t junk[5] = {9, 9, 9, 9, 9};
    ASSERT_TRUE(t->put(table::sessions, "bad", junk));
    auto good = encode_session(make_session("good", 3));
    ASSERT_TRUE(t->put(table::sessions, "good", good));
    ASSERT_TRUE(t->commit());
  }
  open();
  EXPECT_EQ(loaded_.corrupt, 1u);
  ASSERT_EQ(loaded_.sessions.size(), 1u);
  EXPECT_EQ(loaded_.sessions[0].name, "good");
}

}  // namespace
}  // namespace iotb::store

namespace iotb::store {
namespace {

/// Writes the seed corpus of tests/fuzz/store_records_fuzz when
/// IOTB_FUZZ_SEEDS names a directory (otherwise only checks the encoders).
TEST(SessionStoreFuzzSeeds, EncodedRecordsDecode) {
  std::vector<std::vector<std::uint8_t>> seeds;
  auto m = std::make_shared<message>();
  m->id = 1;
  m->topic = "a/b";
  m->payload = "hello";
  seeds.push_back(encode_message(*m, 1));
  m->props.message_expiry_interval = 9;
  m->props.content_type = "json";
  m->props.response_topic = "r";
  m->props.correlation_data = "c";
  m->props.payload_format_indicator = 1;
  m->props.user_properties = {{"k", "v"}};
  seeds.push_back(encode_message(*m, 2));
  session_record r;
  r.client_id = "c";
  r.store_id = 3;
  r.subs.push_back({"a/#", {}, 1, false});
  r.subs.push_back({"$share/g/b", {}, 0, true});
  seeds.push_back(encode_session(r));
  for (auto& s : seeds)
    EXPECT_TRUE(decode_message(s, 0, {}) || decode_session(s));
  if (const char* dir = std::getenv("IOTB_FUZZ_SEEDS")) {
    int i = 0;
    for (auto& s : seeds) {
      std::ofstream out(std::string(dir) + "/seed-" + std::to_string(i++), std::ios::binary);
      out.write(reinterpret_cast<const char*>(s.data()), static_cast<std::streamsize>(s.size()));
    }
  }
}

}  // namespace
}  // namespace iotb::store
