#include "actors/call_book.hpp"

#include <gtest/gtest.h>

#include <map>

using namespace iotb;
using namespace iotb::actors;

namespace {

constexpr std::uint64_t self_origin = 1000;
constexpr std::uint64_t dev_session = 7;
constexpr std::uint64_t other_session = 8;

/// A fake broker: who is online, what was published, which timers run.
class fake_call_env : public call_env {
 public:
  std::map<std::string, device_presence> online;  ///< "pk/dn" → sessions
  bool subscribed_answer = true;
  struct published {
    std::string topic, payload;
    std::uint64_t id;
  };
  std::vector<published> sent;
  std::vector<std::pair<std::uint64_t, std::chrono::milliseconds>> timers;
  std::vector<std::string> log;
  std::map<std::pair<call_kind, call_status>, int> ends;
  std::map<thing::answer_drop, int> drops;
  std::uint64_t ids = 100;

  device_presence presence(const std::string& pk, const std::string& dn) override {
    auto it = online.find(pk + "/" + dn);
    return it == online.end() ? device_presence{} : it->second;
  }
  bool subscribed(const std::string&, const std::vector<std::uint64_t>&) override {
    return subscribed_answer;
  }
  void publish(std::string topic, std::string payload, std::uint64_t id) override {
    sent.push_back({std::move(topic), std::move(payload), id});
  }
  void arm(std::uint64_t id, std::chrono::milliseconds after) override {
    timers.emplace_back(id, after);
  }
  void device_log(const std::string& pk, const std::string& dn, std::string text) override {
    log.push_back(pk + "/" + dn + ": " + text);
  }
  std::uint64_t next_id() override { return ids++; }
  void ended(call_kind k, call_status s) override { ++ends[{k, s}]; }
  void answer_dropped(thing::answer_drop why) override { ++drops[why]; }
};

message from(std::string topic, std::string payload, std::uint64_t origin) {
  message m;
  m.topic = std::move(topic);
  m.payload = std::move(payload);
  m.origin = origin;
  return m;
}

class call_book_test : public ::testing::Test {
 protected:
  call_book_test() { env.online["pk/dev-1"] = device_presence{{dev_session}, false}; }

  /// Starts a call; its result lands in `results`.
  void call(call_kind kind, std::string payload = {}, std::string service = {},
            std::optional<bool> sync = std::nullopt, std::string topic = {}) {
    call_request r;
    r.kind = kind;
    r.product_key = "pk";
    r.device_name = "dev-1";
    r.payload = std::move(payload);
    r.service_id = std::move(service);
    r.sync = sync;
    r.topic = std::move(topic);
    r.timeout = std::chrono::milliseconds{500};
    r.done = [this](call_result res) { results.push_back(std::move(res)); };
    book->start(std::move(r));
  }

  fake_call_env env;
  call_config cfg;
  std::vector<call_result> results;
  std::unique_ptr<call_book> book = std::make_unique<call_book>(env, cfg, self_origin);
};

}  // namespace

TEST_F(call_book_test, rrpc_success_on_the_sys_form) {
  call(call_kind::rrpc, "ping");
  ASSERT_EQ(env.sent.size(), 1u);
  EXPECT_EQ(env.sent[0].topic, "/sys/pk/dev-1/rrpc/request/100");
  EXPECT_EQ(env.sent[0].payload, "ping");
  ASSERT_EQ(env.timers.size(), 1u);
  EXPECT_EQ(env.timers[0].second, std::chrono::milliseconds{500});
  EXPECT_TRUE(results.empty());
  book->on_message(from("/sys/pk/dev-1/rrpc/response/100", "pong", dev_session));
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].status, call_status::success);
  EXPECT_EQ(results[0].payload, "pong");
  EXPECT_EQ(results[0].message_id, 100u);
  EXPECT_EQ(book->pending(), 0u);
  book->on_timeout(100);  // the timer fires later: nothing happens
  EXPECT_EQ(results.size(), 1u);
  EXPECT_TRUE(env.log.empty());
}

TEST_F(call_book_test, ext_device_gets_the_extended_form_and_answers_on_it) {
  env.online["pk/dev-1"].ext_rrpc = true;
  call(call_kind::rrpc, "ping");
  ASSERT_EQ(env.sent.size(), 1u);
  EXPECT_EQ(env.sent[0].topic, "/ext/rrpc/100/pk/dev-1/user/get");
  // The request comes back through the actor's own /ext/rrpc/# subscription.
  book->on_message(from(env.sent[0].topic, "ping", self_origin));
  EXPECT_TRUE(results.empty());
  book->on_message(from(env.sent[0].topic, "pong", dev_session));
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].status, call_status::success);
  EXPECT_EQ(results[0].payload, "pong");
}

TEST_F(call_book_test, rrpc_naming_a_topic_uses_the_extended_form) {
  call(call_kind::rrpc, "x", {}, std::nullopt, "/pk/dev-1/user/cmd");
  ASSERT_EQ(env.sent.size(), 1u);
  EXPECT_EQ(env.sent[0].topic, "/ext/rrpc/100/pk/dev-1/user/cmd");
}

TEST_F(call_book_test, timeout_and_offline_and_unsubscribed) {
  call(call_kind::rrpc, "ping");
  book->on_timeout(100);
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].status, call_status::timeout);
  ASSERT_EQ(env.log.size(), 1u);
  EXPECT_NE(env.log[0].find("no answer within 500 ms"), std::string::npos);

  env.online.clear();
  call(call_kind::rrpc, "ping");
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[1].status, call_status::offline);
  EXPECT_EQ(env.sent.size(), 1u);  // nothing published

  env.online["pk/dev-1"] = device_presence{{dev_session}, false};
  env.subscribed_answer = false;
  call(call_kind::rrpc, "ping");
  ASSERT_EQ(results.size(), 3u);
  EXPECT_EQ(results[2].status, call_status::unknown);
  EXPECT_NE(results[2].why.find("no subscription matching /sys/pk/dev-1/rrpc/request/"),
            std::string::npos);
  EXPECT_EQ(env.sent.size(), 1u);
  EXPECT_EQ((env.ends[{call_kind::rrpc, call_status::timeout}]), 1);
  EXPECT_EQ((env.ends[{call_kind::rrpc, call_status::offline}]), 1);
  EXPECT_EQ((env.ends[{call_kind::rrpc, call_status::unknown}]), 1);
}

TEST_F(call_book_test, answers_for_unknown_ids_are_dropped_and_logged) {
  book->on_message(from("/sys/pk/dev-1/rrpc/response/999", "late", dev_session));
  book->on_message(from("/sys/pk/dev-1/rrpc/response/abc", "bad", dev_session));
  EXPECT_EQ(env.drops[thing::answer_drop::unknown_id], 2);
  ASSERT_EQ(env.log.size(), 2u);
  EXPECT_NE(env.log[0].find("unknown or expired message id"), std::string::npos);
  // An application's own extended-form exchange with the device is not ours.
  book->on_message(from("/ext/rrpc/5/pk/dev-1/user/get", "app", 4242));
  EXPECT_EQ(env.drops[thing::answer_drop::unknown_id], 2);
  EXPECT_TRUE(results.empty());
}

TEST_F(call_book_test, answers_from_another_device_or_sender_are_dropped) {
  env.online["pk/dev-2"] = device_presence{{other_session}, false};
  call(call_kind::rrpc, "ping");
  // dev-2 answers dev-1's call on its own topic (the ACL allows no other).
  book->on_message(from("/sys/pk/dev-2/rrpc/response/100", "me too", other_session));
  EXPECT_EQ(env.drops[thing::answer_drop::wrong_device], 1);
  // An application (or the admin API: origin 0) publishes on dev-1's topic.
  book->on_message(from("/sys/pk/dev-1/rrpc/response/100", "fake", 4242));
  book->on_message(from("/sys/pk/dev-1/rrpc/response/100", "fake", 0));
  EXPECT_EQ(env.drops[thing::answer_drop::wrong_sender], 2);
  EXPECT_TRUE(results.empty());
  EXPECT_EQ(env.log.size(), 3u);
  // The device itself still completes the call, even after it disconnected.
  env.online.erase("pk/dev-1");
  book->on_message(from("/sys/pk/dev-1/rrpc/response/100", "pong", dev_session));
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].payload, "pong");
}

TEST_F(call_book_test, property_set_completes_with_set_reply) {
  call(call_kind::property_set, R"({"on":1})");
  ASSERT_EQ(env.sent.size(), 1u);
  EXPECT_EQ(env.sent[0].topic, "/sys/pk/dev-1/thing/service/property/set");
  EXPECT_EQ(
      env.sent[0].payload,
      R"({"id":"100","version":"1.0","params":{"on":1},"method":"thing.service.property.set"})");
  // A reply with another id (an application's own set) completes nothing.
  book->on_message(from("/sys/pk/dev-1/thing/service/property/set_reply",
                        R"({"id":"5","code":200,"data":{}})", dev_session));
  EXPECT_TRUE(results.empty());
  book->on_message(from("/sys/pk/dev-1/thing/service/property/set_reply",
                        R"({"id":"100","code":200,"data":{"on":1}})", dev_session));
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].status, call_status::success);
  ASSERT_TRUE(results[0].reply);
  EXPECT_EQ(results[0].reply->code, 200);
  EXPECT_EQ(results[0].reply->data_json, R"({"on":1})");
}

TEST_F(call_book_test, offline_property_set_goes_to_the_seam) {
  std::vector<offline_property_set> seen;
  cfg.on_offline_property_set = [&](const offline_property_set& req, call_done done) {
    seen.push_back(req);
    done(call_result{call_status::queued, req.message_id, {}, std::nullopt, {}});
  };
  book = std::make_unique<call_book>(env, cfg, self_origin);
  env.online.clear();
  call(call_kind::property_set, R"({"on":1})");
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].params_json, R"({"on":1})");
  EXPECT_EQ(seen[0].device_name, "dev-1");
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].status, call_status::queued);
  EXPECT_TRUE(env.sent.empty());
}

TEST_F(call_book_test, async_service_answers_at_once_and_logs_the_reply) {
  call(call_kind::service, R"({"delay":1})", "reboot");
  ASSERT_EQ(env.sent.size(), 1u);
  EXPECT_EQ(env.sent[0].topic, "/sys/pk/dev-1/thing/service/reboot");
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].status, call_status::sent);
  EXPECT_EQ(env.timers[0].second, cfg.async_reply_window);
  // The reply of another service with the same id completes nothing.
  book->on_message(
      from("/sys/pk/dev-1/thing/service/other_reply", R"({"id":"100","code":200})", dev_session));
  EXPECT_EQ(book->pending(), 1u);
  book->on_message(from("/sys/pk/dev-1/thing/service/reboot_reply",
                        R"({"id":"100","code":200,"message":"done"})", dev_session));
  EXPECT_EQ(book->pending(), 0u);
  ASSERT_EQ(env.log.size(), 1u);
  EXPECT_NE(env.log[0].find("service reboot 100 replied: code=200 done"), std::string::npos);
  EXPECT_EQ(results.size(), 1u);
}

TEST_F(call_book_test, sync_service_goes_through_rrpc_and_returns_data) {
  cfg.service_is_sync = [](const std::string& pk, const std::string& id) -> std::optional<bool> {
    return pk == "pk" && id == "measure";
  };
  book = std::make_unique<call_book>(env, cfg, self_origin);
  call(call_kind::service, "{}", "measure");
  ASSERT_EQ(env.sent.size(), 1u);
  EXPECT_EQ(env.sent[0].topic, "/sys/pk/dev-1/rrpc/request/100");
  EXPECT_EQ(env.sent[0].payload,
            R"({"id":"100","version":"1.0","params":{},"method":"thing.service.measure"})");
  book->on_message(from("/sys/pk/dev-1/rrpc/response/100",
                        R"({"id":"100","code":200,"data":{"t":21.5}})", dev_session));
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].status, call_status::success);
  EXPECT_EQ(results[0].reply->data_json, R"({"t":21.5})");

  // ext=3: /ext/rrpc/${id}/sys/pk/dn/thing/service/${id}, answered on it.
  env.online["pk/dev-1"].ext_rrpc = true;
  call(call_kind::service, "{}", "measure");
  ASSERT_EQ(env.sent.size(), 2u);
  EXPECT_EQ(env.sent[1].topic, "/ext/rrpc/101/sys/pk/dev-1/thing/service/measure");
  book->on_message(from(env.sent[1].topic, "not json", dev_session));
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[1].status, call_status::unknown);
  EXPECT_EQ(results[1].payload, "not json");
  EXPECT_EQ(env.drops[thing::answer_drop::bad_reply], 1);

  // The caller's "sync": false overrides the model.
  call(call_kind::service, "{}", "measure", false);
  EXPECT_EQ(env.sent[2].topic, "/sys/pk/dev-1/thing/service/measure");
  EXPECT_EQ(results.back().status, call_status::sent);
}

TEST_F(call_book_test, pending_calls_end_unknown_at_shutdown_and_at_the_cap) {
  cfg.max_pending = 1;
  book = std::make_unique<call_book>(env, cfg, self_origin);
  call(call_kind::rrpc, "a");
  call(call_kind::rrpc, "b");
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].status, call_status::unknown);
  EXPECT_EQ(results[0].message_id, 0u);
  book.reset();
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[1].status, call_status::unknown);
  EXPECT_EQ(results[1].why, "the broker is shutting down");
}
