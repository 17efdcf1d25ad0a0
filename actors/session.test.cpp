#include "actors/session.hpp"

#include <gtest/gtest.h>

#include <map>

using namespace iotb;
using namespace iotb::actors;
using namespace iotb::mqtt;

namespace {

/// A fake environment: records routes and subscriptions, decodes output.
class fake_env : public session_env {
 public:
  net::out_queue q;
  std::vector<message_ptr> routed;
  std::map<std::string, subscribe_options> subs;
  std::vector<message_ptr> retained_msgs;
  std::vector<std::string> drops;
  std::chrono::steady_clock::time_point clock{std::chrono::seconds{1000}};
  std::uint64_t ids = 1;
  std::size_t reach = 1;

  net::out_queue& out() override { return q; }
  session_env::routed route(const message_ptr& m, std::uint64_t cookie) override {
    routed.push_back(m);
    if (defer && cookie != 0)
      cookies.push_back(cookie);
    return {reach, defer && cookie != 0};
  }
  void acked(std::uint64_t seq, std::uint64_t id) override { acks.emplace_back(seq, id); }
  std::vector<store::queued> page(std::uint64_t after, std::size_t max) override {
    pages.emplace_back(after, max);
    std::vector<store::queued> out;
    for (auto& e : disk)
      if (e.seq > after && out.size() < max)
        out.push_back(e);
    return out;
  }
  void queue_cleared() override { ++clears; }
  void subscriptions_changed() override { ++sub_changes; }
  bool defer = false;                                         ///< route() defers acknowledgements
  std::vector<std::uint64_t> cookies;                         ///< deferred ones, in order
  std::vector<std::pair<std::uint64_t, std::uint64_t>> acks;  ///< (seq, message id)
  std::vector<std::pair<std::uint64_t, std::size_t>> pages;   ///< page() calls
  std::vector<store::queued> disk;                            ///< the simulated durable queue
  int clears = 0;
  int sub_changes = 0;
  bool subscribe(const std::string& f, const subscribe_options& o, std::uint32_t) override {
    return subs.insert_or_assign(f, o).second;
  }
  bool unsubscribe(const std::string& f) override { return subs.erase(f) > 0; }
  void retained(const std::string&, const std::function<void(const message_ptr&)>& f) override {
    for (auto& m : retained_msgs)
      f(m);
  }
  bool can_publish(std::string_view t) override { return !t.starts_with("$SYS"); }
  bool can_subscribe(std::string_view f) override { return f != "forbidden"; }
  std::uint64_t next_message_id() override { return ids++; }
  std::chrono::steady_clock::time_point now() override { return clock; }
  void dropped(metrics::drop_reason why) override { drops.emplace_back(metrics::to_string(why)); }
  void limit_exceeded(const char* what, std::string_view) override { limits.emplace_back(what); }
  std::vector<std::string> limits;

  /// Decodes and removes everything queued for the client.
  std::vector<packet> take(version v) {
    std::vector<std::uint8_t> bytes;
    iovec iov[64];
    auto n = q.gather(iov, 64);
    for (std::size_t i = 0; i < n; ++i) {
      auto* p = static_cast<const std::uint8_t*>(iov[i].iov_base);
      bytes.insert(bytes.end(), p, p + iov[i].iov_len);
    }
    q.consume(q.size());
    std::vector<packet> out;
    std::span<const std::uint8_t> in{bytes};
    while (!in.empty()) {
      auto f = next_frame(in, 1 << 20);
      EXPECT_TRUE(f.has_value());
      if (!f)
        break;
      // Decode server packets as a client would see them.
      auto p = decode_packet(f->header, f->body, v);
      EXPECT_TRUE(p.has_value()) << (p ? "" : p.error().what);
      if (p)
        out.push_back(std::move(*p));
      in = in.subspan(f->total);
    }
    return out;
  }
};

message_ptr make_msg(std::string topic, std::string payload, qos q) {
  auto m = std::make_shared<message>();
  m->topic = std::move(topic);
  m->payload = std::move(payload);
  m->q = q;
  m->received = std::chrono::steady_clock::time_point{std::chrono::seconds{1000}};
  return m;
}

connect make_connect(version v, bool clean = true) {
  connect c;
  c.ver = v;
  c.clean_start = clean;
  c.keep_alive = 60;
  c.client_id = "c1";
  return c;
}

struct session_test : ::testing::Test {
  config cfg;
  fake_env env;
  session s{cfg, env, "c1", 7};
};

}  // namespace

TEST_F(session_test, connack_v5_announces_limits) {
  auto c = make_connect(version::v5);
  s.on_connect(c, {}, false, true);
  auto out = env.take(version::v5);
  ASSERT_EQ(out.size(), 1u);
  auto& ack = std::get<connack>(out[0]);
  EXPECT_EQ(ack.code, reason::success);
  EXPECT_FALSE(ack.session_present);
  EXPECT_EQ(ack.props.receive_maximum, cfg.receive_maximum);
  EXPECT_EQ(ack.props.topic_alias_maximum, cfg.topic_alias_maximum);
  EXPECT_EQ(ack.props.assigned_client_identifier, "c1");
}

TEST_F(session_test, qos1_publish_is_routed_and_acked) {
  s.on_connect(make_connect(version::v311), {}, false, false);
  env.take(version::v311);
  packet p = publish{"a/b", "hi", qos::at_least_once, false, false, 5, {}};
  EXPECT_EQ(s.on_packet(p), verdict::keep);
  ASSERT_EQ(env.routed.size(), 1u);
  EXPECT_EQ(env.routed[0]->topic, "a/b");
  EXPECT_EQ(env.routed[0]->origin, 7u);
  auto out = env.take(version::v311);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(std::get<pub_ack>(out[0]).packet_id, 5);
}

TEST_F(session_test, inbound_qos2_routes_once) {
  s.on_connect(make_connect(version::v5), {}, false, false);
  env.take(version::v5);
  packet p = publish{"a", "x", qos::exactly_once, false, false, 9, {}};
  EXPECT_EQ(s.on_packet(p), verdict::keep);
  packet dup = publish{"a", "x", qos::exactly_once, true, false, 9, {}};
  EXPECT_EQ(s.on_packet(dup), verdict::keep);
  EXPECT_EQ(env.routed.size(), 1u);
  packet rel = pub_ack{packet_type::pubrel, 9, reason::success, {}};
  EXPECT_EQ(s.on_packet(rel), verdict::keep);
  auto out = env.take(version::v5);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(std::get<pub_ack>(out[0]).type, packet_type::pubrec);
  EXPECT_EQ(std::get<pub_ack>(out[1]).type, packet_type::pubrec);
  EXPECT_EQ(std::get<pub_ack>(out[2]).type, packet_type::pubcomp);
  EXPECT_EQ(std::get<pub_ack>(out[2]).code, reason::success);
}

TEST_F(session_test, outbound_window_queues_and_pumps) {
  auto c = make_connect(version::v5);
  c.props.receive_maximum = 2;
  s.on_connect(c, {}, false, false);
  env.take(version::v5);
  for (int i = 0; i < 5; ++i)
    s.on_deliver(make_msg("t", std::to_string(i), qos::at_least_once), qos::at_least_once, false,
                 0);
  EXPECT_EQ(s.inflight(), 2u);
  EXPECT_EQ(s.queued(), 3u);
  auto out = env.take(version::v5);
  ASSERT_EQ(out.size(), 2u);
  auto id = std::get<publish>(out[0]).packet_id;
  packet ack = pub_ack{packet_type::puback, id, reason::success, {}};
  EXPECT_EQ(s.on_packet(ack), verdict::keep);
  out = env.take(version::v5);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(std::get<publish>(out[0]).payload, "2");
}

TEST_F(session_test, outbound_qos2_full_flow) {
  s.on_connect(make_connect(version::v311), {}, false, false);
  env.take(version::v311);
  s.on_deliver(make_msg("t", "p", qos::exactly_once), qos::exactly_once, false, 0);
  auto out = env.take(version::v311);
  ASSERT_EQ(out.size(), 1u);
  auto id = std::get<publish>(out[0]).packet_id;
  packet rec = pub_ack{packet_type::pubrec, id, reason::success, {}};
  EXPECT_EQ(s.on_packet(rec), verdict::keep);
  out = env.take(version::v311);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(std::get<pub_ack>(out[0]).type, packet_type::pubrel);
  packet comp = pub_ack{packet_type::pubcomp, id, reason::success, {}};
  EXPECT_EQ(s.on_packet(comp), verdict::keep);
  EXPECT_EQ(s.inflight(), 0u);
}

TEST_F(session_test, reconnect_resends_inflight_with_dup) {
  s.on_connect(make_connect(version::v311, false), {}, false, false);
  env.take(version::v311);
  s.on_deliver(make_msg("t", "p", qos::at_least_once), qos::at_least_once, false, 0);
  env.take(version::v311);
  s.on_connection_lost();
  s.on_deliver(make_msg("t", "q", qos::at_least_once), qos::at_least_once, false, 0);
  s.on_deliver(make_msg("t", "zero", qos::at_most_once), qos::at_most_once, false, 0);
  EXPECT_EQ(s.queued(), 1u);
  s.on_connect(make_connect(version::v311, false), {}, true, false);
  auto out = env.take(version::v311);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_TRUE(std::get<connack>(out[0]).session_present);
  EXPECT_TRUE(std::get<publish>(out[1]).dup);
  EXPECT_EQ(std::get<publish>(out[1]).payload, "p");
  EXPECT_FALSE(std::get<publish>(out[2]).dup);
  EXPECT_EQ(std::get<publish>(out[2]).payload, "q");
}

TEST_F(session_test, clean_start_drops_state) {
  s.on_connect(make_connect(version::v311, false), {}, false, false);
  packet sub = subscribe{1, {{"a/#", {qos::at_least_once}}}, {}};
  EXPECT_EQ(s.on_packet(sub), verdict::keep);
  EXPECT_EQ(env.subs.size(), 1u);
  s.on_connection_lost();
  s.on_connect(make_connect(version::v311, true), {}, true, false);
  EXPECT_TRUE(env.subs.empty());
  auto out = env.take(version::v311);
  EXPECT_FALSE(std::get<connack>(out.back()).session_present);
}

TEST_F(session_test, topic_alias_inbound) {
  s.on_connect(make_connect(version::v5), {}, false, false);
  env.take(version::v5);
  publish first{"long/topic", "1", qos::at_most_once, false, false, 0, {}};
  first.props.topic_alias = 3;
  packet p1 = first;
  EXPECT_EQ(s.on_packet(p1), verdict::keep);
  publish second{"", "2", qos::at_most_once, false, false, 0, {}};
  second.props.topic_alias = 3;
  packet p2 = second;
  EXPECT_EQ(s.on_packet(p2), verdict::keep);
  ASSERT_EQ(env.routed.size(), 2u);
  EXPECT_EQ(env.routed[1]->topic, "long/topic");
  EXPECT_FALSE(env.routed[1]->props.topic_alias.has_value());
  publish bad{"x", "3", qos::at_most_once, false, false, 0, {}};
  bad.props.topic_alias = static_cast<std::uint16_t>(cfg.topic_alias_maximum + 1);
  packet p3 = bad;
  EXPECT_EQ(s.on_packet(p3), verdict::close);
  auto out = env.take(version::v5);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(std::get<disconnect>(out[0]).code, reason::topic_alias_invalid);
}

TEST_F(session_test, unknown_alias_is_protocol_error) {
  s.on_connect(make_connect(version::v5), {}, false, false);
  env.take(version::v5);
  publish p{"", "2", qos::at_most_once, false, false, 0, {}};
  p.props.topic_alias = 1;
  packet pk = p;
  EXPECT_EQ(s.on_packet(pk), verdict::close);
  EXPECT_EQ(std::get<disconnect>(env.take(version::v5)[0]).code, reason::protocol_error);
}

TEST_F(session_test, topic_alias_outbound) {
  auto c = make_connect(version::v5);
  c.props.topic_alias_maximum = 1;
  s.on_connect(c, {}, false, false);
  env.take(version::v5);
  s.on_deliver(make_msg("a/b", "1", qos::at_most_once), qos::at_most_once, false, 0);
  s.on_deliver(make_msg("a/b", "2", qos::at_most_once), qos::at_most_once, false, 0);
  s.on_deliver(make_msg("c", "3", qos::at_most_once), qos::at_most_once, false, 0);
  auto out = env.take(version::v5);
  ASSERT_EQ(out.size(), 3u);
  auto& p1 = std::get<publish>(out[0]);
  auto& p2 = std::get<publish>(out[1]);
  auto& p3 = std::get<publish>(out[2]);
  EXPECT_EQ(p1.topic, "a/b");
  EXPECT_EQ(p1.props.topic_alias, 1);
  EXPECT_EQ(p2.topic, "");
  EXPECT_EQ(p2.props.topic_alias, 1);
  EXPECT_EQ(p3.topic, "c");
  EXPECT_FALSE(p3.props.topic_alias.has_value());
}

TEST_F(session_test, second_connect_is_protocol_error) {
  s.on_connect(make_connect(version::v5), {}, false, false);
  env.take(version::v5);
  packet c = make_connect(version::v5);
  EXPECT_EQ(s.on_packet(c), verdict::close);
  EXPECT_EQ(std::get<disconnect>(env.take(version::v5)[0]).code, reason::protocol_error);
}

TEST_F(session_test, disconnect_cannot_raise_zero_expiry) {
  s.on_connect(make_connect(version::v5), {}, false, false);
  env.take(version::v5);
  disconnect d;
  d.props.session_expiry_interval = 60;
  packet p = d;
  EXPECT_EQ(s.on_packet(p), verdict::close);
  EXPECT_EQ(std::get<disconnect>(env.take(version::v5)[0]).code, reason::protocol_error);
}

TEST_F(session_test, normal_disconnect_discards_will) {
  auto c = make_connect(version::v5);
  c.will_msg = will{"w", "gone", qos::at_most_once, false, {}};
  s.on_connect(c, {}, false, false);
  packet d = disconnect{};
  EXPECT_EQ(s.on_packet(d), verdict::close);
  EXPECT_FALSE(s.take_will().has_value());
}

TEST_F(session_test, will_delay_is_capped_by_session_expiry) {
  auto c = make_connect(version::v5);
  c.props.session_expiry_interval = 10;
  c.will_msg = will{"w", "gone", qos::at_least_once, true, {}};
  c.will_msg->props.will_delay_interval = 100;
  s.on_connect(c, {}, false, false);
  s.on_connection_lost();
  auto w = s.take_will();
  ASSERT_TRUE(w.has_value());
  EXPECT_EQ(w->second, 10u);
  EXPECT_EQ(w->first->topic, "w");
  EXPECT_TRUE(w->first->retain);
}

TEST_F(session_test, subscribe_denied_and_retained_delivery) {
  s.on_connect(make_connect(version::v5), {}, false, false);
  env.take(version::v5);
  env.retained_msgs.push_back(make_msg("r/1", "kept", qos::at_least_once));
  packet sub = subscribe{3, {{"r/#", {qos::at_most_once}}, {"forbidden", {qos::at_most_once}}}, {}};
  EXPECT_EQ(s.on_packet(sub), verdict::keep);
  auto out = env.take(version::v5);
  ASSERT_EQ(out.size(), 2u);
  auto& ack = std::get<suback>(out[0]);
  ASSERT_EQ(ack.codes.size(), 2u);
  EXPECT_EQ(ack.codes[0], reason::success);
  EXPECT_EQ(ack.codes[1], reason::not_authorized);
  auto& r = std::get<publish>(out[1]);
  EXPECT_TRUE(r.retain);
  EXPECT_EQ(r.q, qos::at_most_once);  // min(message QoS, granted)
}

TEST_F(session_test, expired_messages_are_dropped) {
  s.on_connect(make_connect(version::v5), {}, false, false);
  env.take(version::v5);
  auto m = std::make_shared<message>(*make_msg("t", "x", qos::at_least_once));
  m->props.message_expiry_interval = 5;
  env.clock += std::chrono::seconds{3};
  s.on_deliver(m, qos::at_least_once, false, 0);
  auto out = env.take(version::v5);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(std::get<publish>(out[0]).props.message_expiry_interval, 2u);
  env.clock += std::chrono::seconds{10};
  s.on_deliver(m, qos::at_least_once, false, 0);
  EXPECT_TRUE(env.take(version::v5).empty());
  EXPECT_EQ(env.drops.size(), 1u);
}

TEST_F(session_test, client_maximum_packet_size_is_respected) {
  auto c = make_connect(version::v5);
  c.props.maximum_packet_size = 64;
  s.on_connect(c, {}, false, false);
  env.take(version::v5);
  s.on_deliver(make_msg("t", std::string(100, 'x'), qos::at_least_once), qos::at_least_once, false,
               0);
  EXPECT_TRUE(env.take(version::v5).empty());
  EXPECT_EQ(s.inflight(), 0u);
}

namespace {

auth::identity device_identity() {
  auth::identity who;
  who.who = auth::identity::kind::device;
  who.product_key = "a1B2c3D4e5F";
  who.device_name = "dev-1";
  return who;
}

subscribe many_filters(std::uint16_t id, int first, int count) {
  subscribe s{id, {}, {}};
  for (int i = first; i < first + count; ++i)
    s.filters.push_back({"f/" + std::to_string(i), {qos::at_least_once}});
  return s;
}

}  // namespace

TEST_F(session_test, device_gets_suback_failure_beyond_eight_filters) {
  s.on_connect(make_connect(version::v5), device_identity(), false, false);
  env.take(version::v5);
  packet sub = many_filters(1, 0, 9);
  EXPECT_EQ(s.on_packet(sub), verdict::keep);
  auto out = env.take(version::v5);
  ASSERT_EQ(out.size(), 1u);
  auto& ack = std::get<suback>(out[0]);
  ASSERT_EQ(ack.codes.size(), 9u);
  for (int i = 0; i < 8; ++i)
    EXPECT_EQ(ack.codes[i], reason::granted_qos1);
  EXPECT_EQ(ack.codes[8], reason::quota_exceeded);
  EXPECT_EQ(s.subscriptions(), 8u);
  ASSERT_EQ(env.limits.size(), 1u);
}

TEST_F(session_test, device_subscription_limit_excludes_system_subscriptions) {
  s.on_connect(make_connect(version::v311), device_identity(), false, false);
  env.take(version::v311);
  s.subscribe_system("/sys/a1B2c3D4e5F/dev-1/thing/service/+", qos::at_least_once);
  std::uint16_t id = 1;
  for (int first = 0; first < 100; first += 5) {
    packet sub = many_filters(id++, first, 5);
    EXPECT_EQ(s.on_packet(sub), verdict::keep);
  }
  env.take(version::v311);
  EXPECT_EQ(s.subscriptions(), 101u);
  packet again = many_filters(id++, 0, 1);  // re-subscribing an existing filter is fine
  EXPECT_EQ(s.on_packet(again), verdict::keep);
  packet over = many_filters(id++, 100, 1);  // the 101st own subscription
  EXPECT_EQ(s.on_packet(over), verdict::keep);
  auto out = env.take(version::v311);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(std::get<suback>(out[0]).codes[0], reason::granted_qos1);
  EXPECT_EQ(std::get<suback>(out[1]).codes[0], reason::unspecified_error);  // 0x80 on 3.1.1
  EXPECT_EQ(s.subscriptions(), 101u);
}

TEST_F(session_test, system_subscriptions_are_no_local) {
  // SPEC §4: an automatic subscription never hands the device its own
  // PUBLISH back (its RRPC answer on the request's /ext/rrpc topic, its
  // service replies under thing/service/+).
  s.on_connect(make_connect(version::v311), device_identity(), false, false);
  env.take(version::v311);
  const std::string rrpc = "/ext/rrpc/+/sys/a1B2c3D4e5F/dev-1/#";
  s.subscribe_system(rrpc, qos::at_least_once);
  ASSERT_EQ(env.subs.count(rrpc), 1u);
  EXPECT_TRUE(env.subs[rrpc].no_local);
  EXPECT_EQ(env.subs[rrpc].max_qos, qos::at_least_once);
  // A filter the device subscribed itself keeps the device's options (an
  // MQTT 3.1.1 subscription is local), before and after the system one.
  const std::string own = "/sys/a1B2c3D4e5F/dev-1/thing/service/+";
  packet sub = subscribe{1, {{own, {qos::at_least_once}}}, {}};
  EXPECT_EQ(s.on_packet(sub), verdict::keep);
  s.subscribe_system(own, qos::at_least_once);
  EXPECT_FALSE(env.subs[own].no_local);
  packet again = subscribe{2, {{rrpc, {qos::at_most_once}}}, {}};
  EXPECT_EQ(s.on_packet(again), verdict::keep);
  EXPECT_FALSE(env.subs[rrpc].no_local);
}

TEST_F(session_test, restored_system_subscription_becomes_no_local) {
  // A record written before system subscriptions were no-local.
  store::session_record r;
  r.client_id = "a1B2c3D4e5F.dev-1";
  r.store_id = 7;
  r.version = version::v311;
  r.expiry = 100;
  store::subscription_record sub;
  sub.filter = "/sys/a1B2c3D4e5F/dev-1/rrpc/request/+";
  sub.opts.max_qos = qos::at_least_once;
  sub.system = true;
  r.subs.push_back(sub);
  s.restore(r);
  EXPECT_FALSE(env.subs[sub.filter].no_local);
  s.on_connect(make_connect(version::v311, false), device_identity(), true, false);
  s.subscribe_system(sub.filter, qos::at_least_once);
  EXPECT_TRUE(env.subs[sub.filter].no_local);
  auto rec = s.record(0);
  ASSERT_EQ(rec.subs.size(), 1u);
  EXPECT_TRUE(rec.subs[0].opts.no_local);
  EXPECT_TRUE(rec.subs[0].system);
}

TEST_F(session_test, plain_clients_have_no_device_limits) {
  s.on_connect(make_connect(version::v5), {}, false, false);
  env.take(version::v5);
  packet sub = many_filters(1, 0, 20);
  EXPECT_EQ(s.on_packet(sub), verdict::keep);
  auto out = env.take(version::v5);
  auto& ack = std::get<suback>(out[0]);
  for (auto c : ack.codes)
    EXPECT_EQ(c, reason::granted_qos1);
}

// -- durable queue (issue 4) --------------------------------------------------

TEST_F(session_test, deferred_acks_keep_publish_order) {
  s.on_connect(make_connect(version::v5), {}, false, false);
  env.take(version::v5);
  env.defer = true;
  packet p1 = publish{"a", "1", qos::at_least_once, false, false, 1, {}};
  packet p2 = publish{"b", "2", qos::at_least_once, false, false, 2, {}};
  ASSERT_EQ(s.on_packet(p1), verdict::keep);
  ASSERT_EQ(s.on_packet(p2), verdict::keep);
  env.defer = false;
  packet p3 = publish{"c", "3", qos::at_least_once, false, false, 3, {}};
  ASSERT_EQ(s.on_packet(p3), verdict::keep);  // ready at once, but waits its turn
  EXPECT_TRUE(env.take(version::v5).empty());
  EXPECT_EQ(s.inbound_backlog(), 3u);
  ASSERT_EQ(env.cookies.size(), 2u);
  EXPECT_EQ(s.on_stored(env.cookies[1], true), verdict::keep);  // second first
  EXPECT_TRUE(env.take(version::v5).empty());
  EXPECT_EQ(s.on_stored(env.cookies[0], true), verdict::keep);
  auto out = env.take(version::v5);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(std::get<pub_ack>(out[0]).packet_id, 1);
  EXPECT_EQ(std::get<pub_ack>(out[1]).packet_id, 2);
  EXPECT_EQ(std::get<pub_ack>(out[2]).packet_id, 3);
  EXPECT_EQ(s.inbound_backlog(), 0u);
}

TEST_F(session_test, refused_store_is_0x97_on_v5_and_close_on_v311) {
  s.on_connect(make_connect(version::v5), {}, false, false);
  env.take(version::v5);
  env.defer = true;
  packet p = publish{"a", "1", qos::at_least_once, false, false, 9, {}};
  ASSERT_EQ(s.on_packet(p), verdict::keep);
  EXPECT_EQ(s.on_stored(env.cookies.back(), false), verdict::keep);
  auto out = env.take(version::v5);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(std::get<pub_ack>(out[0]).code, reason::quota_exceeded);

  s.on_connect(make_connect(version::v311), {}, true, false);
  env.take(version::v311);
  packet q = publish{"a", "1", qos::at_least_once, false, false, 10, {}};
  ASSERT_EQ(s.on_packet(q), verdict::keep);
  EXPECT_EQ(s.on_stored(env.cookies.back(), false), verdict::close);
  EXPECT_TRUE(env.take(version::v311).empty());  // no PUBACK: the client resends
}

TEST_F(session_test, stale_store_completion_after_reconnect_is_ignored) {
  s.on_connect(make_connect(version::v5, false), {}, false, false);
  env.take(version::v5);
  env.defer = true;
  packet p = publish{"a", "1", qos::at_least_once, false, false, 1, {}};
  ASSERT_EQ(s.on_packet(p), verdict::keep);
  s.on_connection_lost();
  s.on_connect(make_connect(version::v5, false), {}, true, false);
  env.take(version::v5);
  EXPECT_EQ(s.on_stored(env.cookies.back(), true), verdict::keep);
  EXPECT_TRUE(env.take(version::v5).empty());
}

TEST_F(session_test, durable_delivery_acks_the_store_entry) {
  s.on_connect(make_connect(version::v311, false), {}, false, false);
  s.set_store_id(7);
  env.take(version::v311);
  auto m = make_msg("t", "x", qos::at_least_once);
  std::const_pointer_cast<message>(m)->id = 55;
  s.on_deliver(m, qos::at_least_once, false, 0, 1);
  s.on_deliver(m, qos::at_least_once, false, 0, 1);  // a duplicate seq is ignored
  auto out = env.take(version::v311);
  ASSERT_EQ(out.size(), 1u);
  auto id = std::get<publish>(out[0]).packet_id;
  packet ack = pub_ack{packet_type::puback, id, reason::success, {}};
  ASSERT_EQ(s.on_packet(ack), verdict::keep);
  ASSERT_EQ(env.acks.size(), 1u);
  EXPECT_EQ(env.acks[0], (std::pair<std::uint64_t, std::uint64_t>{1, 55}));
}

TEST_F(session_test, offline_durable_session_keeps_queue_on_disk_and_pages_in_order) {
  cfg.max_queued_messages = 4;
  cfg.max_inflight = 2;
  s.on_connect(make_connect(version::v311, false), {}, false, false);
  s.set_store_id(7);
  s.on_connection_lost();
  for (std::uint64_t seq = 1; seq <= 10; ++seq) {
    auto m = make_msg("t", std::to_string(seq), qos::at_least_once);
    std::const_pointer_cast<message>(m)->id = 100 + seq;
    env.disk.push_back(store::queued{seq, m, qos::at_least_once, false, 0});
    s.on_deliver(m, qos::at_least_once, false, 0, seq);
  }
  EXPECT_EQ(s.queued(), 0u);  // nothing held in memory while offline
  env.take(version::v311);
  s.on_connect(make_connect(version::v311, false), {}, true, false);
  std::vector<std::string> got;
  for (int round = 0; round < 10 && got.size() < 10; ++round) {
    auto out = env.take(version::v311);
    for (auto& p : out) {
      if (auto* pub = std::get_if<publish>(&p)) {
        got.push_back(pub->payload);
        packet ack = pub_ack{packet_type::puback, pub->packet_id, reason::success, {}};
        ASSERT_EQ(s.on_packet(ack), verdict::keep);
      }
    }
    EXPECT_LE(s.queued(), 4u);  // the memory window
  }
  ASSERT_EQ(got.size(), 10u);
  for (int i = 0; i < 10; ++i)
    EXPECT_EQ(got[i], std::to_string(i + 1));
  EXPECT_EQ(env.acks.size(), 10u);
  EXPECT_GE(env.pages.size(), 3u);
}

TEST_F(session_test, restored_session_resubscribes_and_marks_redelivery_dup) {
  store::session_record r;
  r.client_id = "c1";
  r.store_id = 7;
  r.version = version::v311;
  r.expiry = 100;
  r.last_seq = 1;
  store::subscription_record sub;
  sub.filter = "a/#";
  sub.opts.max_qos = qos::at_least_once;
  r.subs.push_back(sub);
  s.restore(r);
  EXPECT_EQ(env.subs.count("a/#"), 1u);
  auto m1 = make_msg("a/1", "old", qos::at_least_once);
  auto m2 = make_msg("a/2", "new", qos::at_least_once);
  env.disk.push_back(store::queued{1, m1, qos::at_least_once, false, 0});
  env.disk.push_back(store::queued{2, m2, qos::at_least_once, false, 0});
  s.on_connect(make_connect(version::v311, false), {}, true, false);
  auto out = env.take(version::v311);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_TRUE(std::get<connack>(out[0]).session_present);
  EXPECT_TRUE(std::get<publish>(out[1]).dup);   // may have been sent before the restart
  EXPECT_FALSE(std::get<publish>(out[2]).dup);  // stored after the last run's last entry
  auto rec = s.record(1234);
  EXPECT_EQ(rec.store_id, 7u);
  EXPECT_EQ(rec.disconnected_ms, 1234u);
  ASSERT_EQ(rec.subs.size(), 1u);
  EXPECT_EQ(rec.subs[0].filter, "a/#");
}

TEST_F(session_test, clean_start_clears_the_durable_queue) {
  s.on_connect(make_connect(version::v311, false), {}, false, false);
  s.set_store_id(7);
  s.on_connect(make_connect(version::v311, true), {}, true, false);
  EXPECT_EQ(env.clears, 1);
}

TEST_F(session_test, online_durable_queue_overflow_spills_without_skipping_an_entry) {
  cfg.max_queued_messages = 2;
  cfg.max_inflight = 1;
  s.on_connect(make_connect(version::v311, false), {}, false, false);
  s.set_store_id(7);
  env.take(version::v311);
  for (std::uint64_t seq = 1; seq <= 6; ++seq) {
    auto m = make_msg("t", std::to_string(seq), qos::at_least_once);
    std::const_pointer_cast<message>(m)->id = seq;
    env.disk.push_back(store::queued{seq, m, qos::at_least_once, false, 0});
    s.on_deliver(m, qos::at_least_once, false, 0, seq);  // 1 in flight, 2-3 queued, 4-6 spill
  }
  std::vector<std::string> got;
  for (int round = 0; round < 20 && got.size() < 6; ++round) {
    for (auto& p : env.take(version::v311)) {
      auto& pub = std::get<publish>(p);
      got.push_back(pub.payload);
      packet ack = pub_ack{packet_type::puback, pub.packet_id, reason::success, {}};
      ASSERT_EQ(s.on_packet(ack), verdict::keep);
    }
  }
  EXPECT_EQ(got, (std::vector<std::string>{"1", "2", "3", "4", "5", "6"}));
}

TEST_F(session_test, queued_bytes_cap_drops_for_clean_and_spills_for_durable_sessions) {
  cfg.max_queued_bytes = 2500;  // two 1,000-byte messages
  cfg.max_inflight = 1;
  s.on_connect(make_connect(version::v311), {}, false, false);
  env.take(version::v311);
  for (int i = 0; i < 4; ++i)  // 1 in flight, 2 queued, 1 dropped
    s.on_deliver(make_msg("t", std::string(1000, 'a'), qos::at_least_once), qos::at_least_once,
                 false, 0);
  EXPECT_EQ(s.queued(), 2u);
  EXPECT_EQ(env.drops, (std::vector<std::string>{"queue_full"}));

  session d{cfg, env, "c2", 8};
  d.on_connect(make_connect(version::v311, false), {}, false, false);
  d.set_store_id(8);
  env.take(version::v311);
  for (std::uint64_t seq = 1; seq <= 4; ++seq) {
    auto m = make_msg("t", std::string(1000, 'b'), qos::at_least_once);
    env.disk.push_back(store::queued{seq, m, qos::at_least_once, false, 0});
    d.on_deliver(m, qos::at_least_once, false, 0, seq);
  }
  EXPECT_EQ(d.queued(), 2u);        // the 4th stays on disk
  EXPECT_EQ(env.drops.size(), 1u);  // nothing dropped for the durable session
}

// A durable session that stops being durable (expiry 0 on a takeover) and
// becomes durable again gets a fresh queue numbered from 1: the state
// machine must neither skip the new seqs as already seen nor acknowledge an
// old seq against the new queue (a message was lost this way).
TEST_F(session_test, store_id_change_restarts_the_queue_numbering) {
  s.on_connect(make_connect(version::v5, false), {}, false, false);
  s.set_store_id(7);
  env.take(version::v5);
  auto old1 = make_msg("t", "old1", qos::at_least_once);
  auto old2 = make_msg("t", "old2", qos::at_least_once);
  std::const_pointer_cast<message>(old1)->id = 11;
  std::const_pointer_cast<message>(old2)->id = 12;
  s.on_deliver(old1, qos::at_least_once, false, 0, 1);
  s.on_deliver(old2, qos::at_least_once, false, 0, 2);
  auto out = env.take(version::v5);
  ASSERT_EQ(out.size(), 2u);
  const std::uint16_t old2_id = std::get<publish>(out[1]).packet_id;
  packet ack1 =
      pub_ack{packet_type::puback, std::get<publish>(out[0]).packet_id, reason::success, {}};
  ASSERT_EQ(s.on_packet(ack1), verdict::keep);
  ASSERT_EQ(env.acks.size(), 1u);

  s.set_store_id(0);  // the store erased the queue; old2 stays in flight
  s.set_store_id(7);  // durable again: the store numbers from 1
  auto new1 = make_msg("t", "new1", qos::at_least_once);
  auto new2 = make_msg("t", "new2", qos::exactly_once);
  std::const_pointer_cast<message>(new1)->id = 21;
  std::const_pointer_cast<message>(new2)->id = 22;
  s.on_deliver(new1, qos::at_least_once, false, 0, 1);
  s.on_deliver(new2, qos::exactly_once, false, 0, 2);
  out = env.take(version::v5);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(std::get<publish>(out[0]).payload, "new1");
  EXPECT_EQ(std::get<publish>(out[1]).payload, "new2");

  // old2's seq belonged to the erased queue: its PUBACK must not delete
  // the new queue's entry 2.
  packet ack2 = pub_ack{packet_type::puback, old2_id, reason::success, {}};
  ASSERT_EQ(s.on_packet(ack2), verdict::keep);
  EXPECT_EQ(env.acks.size(), 1u);

  // Not acknowledged: all come again on the next connection, with DUP.
  s.on_connection_lost();
  s.on_connect(make_connect(version::v5, false), {}, true, false);
  out = env.take(version::v5);
  ASSERT_EQ(out.size(), 3u);  // CONNACK, new1, new2
  EXPECT_TRUE(std::get<publish>(out[1]).dup);
  EXPECT_TRUE(std::get<publish>(out[2]).dup);
  EXPECT_EQ(std::get<publish>(out[2]).payload, "new2");
}

// MQTT 5 §3.3.4: QoS 1 (until its PUBACK went out) and QoS 2 (until PUBREL)
// count against the Receive Maximum the broker announced; one more is
// DISCONNECT 0x93.
TEST_F(session_test, v5_client_beyond_receive_maximum_is_disconnected_0x93) {
  cfg.receive_maximum = 3;
  s.on_connect(make_connect(version::v5), {}, false, false);
  env.take(version::v5);
  packet q2a = publish{"a", "1", qos::exactly_once, false, false, 1, {}};
  packet q2b = publish{"a", "2", qos::exactly_once, false, false, 2, {}};
  ASSERT_EQ(s.on_packet(q2a), verdict::keep);  // PUBREC sent, no PUBREL yet
  ASSERT_EQ(s.on_packet(q2b), verdict::keep);
  env.defer = true;  // the store holds the next PUBACK back
  packet q1 = publish{"a", "3", qos::at_least_once, false, false, 3, {}};
  ASSERT_EQ(s.on_packet(q1), verdict::keep);
  env.take(version::v5);
  packet q0 = publish{"a", "x", qos::at_most_once, false, false, 0, {}};
  ASSERT_EQ(s.on_packet(q0), verdict::keep);  // QoS 0 does not count
  packet over = publish{"a", "4", qos::at_least_once, false, false, 4, {}};
  ASSERT_EQ(s.on_packet(over), verdict::close);
  auto out = env.take(version::v5);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(std::get<disconnect>(out[0]).code, reason::receive_maximum_exceeded);
}

TEST_F(session_test, released_and_acknowledged_publishes_free_the_receive_window) {
  cfg.receive_maximum = 2;
  s.on_connect(make_connect(version::v5), {}, false, false);
  env.take(version::v5);
  env.defer = true;
  packet q1 = publish{"a", "1", qos::at_least_once, false, false, 1, {}};
  packet q2 = publish{"a", "2", qos::exactly_once, false, false, 2, {}};
  ASSERT_EQ(s.on_packet(q1), verdict::keep);
  ASSERT_EQ(s.on_packet(q2), verdict::keep);
  ASSERT_EQ(s.on_stored(env.cookies[0], true), verdict::keep);  // PUBACK 1 goes out
  ASSERT_EQ(s.on_stored(env.cookies[1], true), verdict::keep);  // PUBREC 2 goes out
  packet rel = pub_ack{packet_type::pubrel, 2, reason::success, {}};
  ASSERT_EQ(s.on_packet(rel), verdict::keep);
  env.defer = false;
  packet q3 = publish{"a", "3", qos::exactly_once, false, false, 3, {}};
  packet q4 = publish{"a", "4", qos::at_least_once, false, false, 4, {}};
  EXPECT_EQ(s.on_packet(q3), verdict::keep);
  EXPECT_EQ(s.on_packet(q4), verdict::keep);
}

// 3.1.1 has no Receive Maximum: QoS 1 waiting for the store pauses reads
// (the connection's job) instead of closing.
TEST_F(session_test, v311_qos1_backlog_beyond_receive_maximum_is_kept) {
  cfg.receive_maximum = 2;
  s.on_connect(make_connect(version::v311), {}, false, false);
  env.take(version::v311);
  env.defer = true;
  for (std::uint16_t id = 1; id <= 4; ++id) {
    packet p = publish{"a", "x", qos::at_least_once, false, false, id, {}};
    EXPECT_EQ(s.on_packet(p), verdict::keep);
  }
  EXPECT_EQ(s.inbound_backlog(), 4u);
}

// Overlapping subscriptions delivered as one copy carry every
// subscription identifier (MQTT 5 §3.3.4).
TEST_F(session_test, one_copy_carries_every_subscription_identifier) {
  s.on_connect(make_connect(version::v5), {}, false, false);
  env.take(version::v5);
  sub_id_list ids{4};
  ids.add(9);
  ids.add(4);  // already there
  ids.add(0);  // none
  s.on_deliver(make_msg("a/b", "x", qos::at_least_once), qos::at_least_once, false, ids);
  auto out = env.take(version::v5);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(std::get<publish>(out[0]).props.subscription_identifiers,
            (std::vector<std::uint32_t>{4, 9}));
}

// A device's session is taken over by whatever client id the new
// connection sends: logs and the device log must name that one.
TEST_F(session_test, reconnect_shows_the_new_client_id) {
  s.on_connect(make_connect(version::v311, false), {}, false, false);
  auto c = make_connect(version::v311, false);
  c.client_id = "pk.dn-2";
  s.on_connect(c, {}, true, false);
  EXPECT_EQ(s.client_id(), "pk.dn-2");
}
