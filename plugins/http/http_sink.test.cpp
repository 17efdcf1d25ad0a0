// The HTTP webhook sink: its pure parts (configuration, URL, status
// mapping, bodies) directly, and the built plugin through the broker's
// loader against sockets of the test's own (refused, silent, a tiny
// keep-alive server). The HTTPS and reliability cases are in
// tests/integration/test_sink_http.py.

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "broker/plugins/registry.hpp"
#include "plugins/http/config.hpp"
#include "plugins/http/mapping.hpp"

namespace iotb::http_sink {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
namespace sink = iotbroker::sink;

TEST(HttpConfig, DefaultsWithOnlyAUrl) {
  auto c = parse_config(R"({"url":"http://127.0.0.1:8080/hook?x=1"})");
  ASSERT_TRUE(c) << c.error();
  EXPECT_FALSE(c->url.tls);
  EXPECT_EQ(c->url.host, "127.0.0.1");
  EXPECT_TRUE(c->url.ip_literal);
  EXPECT_EQ(c->url.port, 8080);
  EXPECT_EQ(c->url.target, "/hook?x=1");
  EXPECT_EQ(c->method, "POST");
  EXPECT_TRUE(c->headers.empty());
  EXPECT_EQ(c->timeout_ms, 5000u);
  EXPECT_EQ(c->batch, batch_mode::array);
  EXPECT_EQ(c->body, body_mode::output);
  EXPECT_EQ(c->ca_file, default_ca_file);
  EXPECT_FALSE(c->insecure_skip_verify);
}

TEST(HttpConfig, EveryKey) {
  auto c = parse_config(R"({"url":"https://hooks.example.com","method":"PUT",
    "headers":{"Authorization":"Bearer t","X-Site":"north"},"timeoutMs":250,"batch":"single",
    "body":"envelope","caFile":"/tmp/ca.pem","insecureSkipVerify":true})");
  ASSERT_TRUE(c) << c.error();
  EXPECT_TRUE(c->url.tls);
  EXPECT_EQ(c->url.port, 443);
  EXPECT_EQ(c->url.target, "/");
  EXPECT_FALSE(c->url.ip_literal);
  EXPECT_EQ(c->method, "PUT");
  ASSERT_EQ(c->headers.size(), 2u);
  EXPECT_EQ(c->headers[0].first, "Authorization");
  EXPECT_EQ(c->headers[1].second, "north");
  EXPECT_EQ(c->timeout_ms, 250u);
  EXPECT_EQ(c->batch, batch_mode::single);
  EXPECT_EQ(c->body, body_mode::envelope);
  EXPECT_EQ(c->ca_file, "/tmp/ca.pem");
  EXPECT_TRUE(c->insecure_skip_verify);
}

TEST(HttpConfig, RefusesWhatIsWrongWithTheReason) {
  struct bad_case {
    const char* json;
    const char* why;
  };
  const bad_case cases[] = {
      {R"([1])", "JSON object"},
      {R"({"url":"http://a"x})", "JSON object"},
      {R"({})", "url: required"},
      {R"({"url":"http://a","verbose":true})", "unknown key 'verbose'"},
      {R"({"url":42})", "url: expected a string"},
      {R"({"url":"ftp://a/b"})", "scheme 'ftp'"},
      {R"({"url":"a.example.com/x"})", "url: expected"},
      {R"({"url":"http://a:0/"})", "bad port '0'"},
      {R"({"url":"http://a:65536/"})", "bad port"},
      {R"({"url":"http://a:/"})", "bad port"},
      {R"({"url":"http://a:8x/"})", "bad port"},
      {R"({"url":"http://u:p@a/"})", "user information"},
      {R"({"url":"http://a/x#frag"})", "fragments"},
      {R"({"url":"http://a b/"})", "spaces"},
      {R"({"url":"http:///x"})", "bad host"},
      {R"({"url":"http://[::1/"})", "unterminated"},
      {R"({"url":"http://[nope]/"})", "not an IPv6 address"},
      {R"({"url":"http://a","method":"GET"})", "method: expected \"POST\" or \"PUT\""},
      {R"({"url":"http://a","timeoutMs":0})", "timeoutMs: expected an integer in [1, 60000]"},
      {R"({"url":"http://a","timeoutMs":60001})", "timeoutMs"},
      {R"({"url":"http://a","timeoutMs":"5"})", "timeoutMs"},
      {R"({"url":"http://a","batch":"many"})", "batch: expected \"array\" or \"single\""},
      {R"({"url":"http://a","body":"raw"})", "body: expected \"output\" or \"envelope\""},
      {R"({"url":"http://a","headers":["a"]})", "headers: expected an object"},
      {R"({"url":"http://a","headers":{"X":1}})", "headers.X: expected a string"},
      {R"({"url":"http://a","headers":{"X":"a\r\nEvil: 1"}})", "control characters"},
      {R"({"url":"http://a","headers":{"Bad Name":"1"}})", "not a valid header name"},
      {R"({"url":"http://a","headers":{"content-length":"1"}})", "set by the sink itself"},
      {R"({"url":"http://a","headers":{"Host":"b"}})", "set by the sink itself"},
      {R"({"url":"http://a","caFile":""})", "caFile"},
      {R"({"url":"http://a","insecureSkipVerify":"yes"})", "insecureSkipVerify"},
  };
  for (const auto& c : cases) {
    auto r = parse_config(c.json);
    ASSERT_FALSE(r) << c.json;
    EXPECT_THAT(r.error(), HasSubstr(c.why)) << c.json;
  }
}

TEST(HttpUrl, HostsPortsAndTargets) {
  auto u = parse_url("https://[::1]:8443?q=1");
  ASSERT_TRUE(u) << u.error();
  EXPECT_EQ(u->host, "::1");
  EXPECT_TRUE(u->ip_literal);
  EXPECT_EQ(u->target, "/?q=1");
  EXPECT_EQ(u->authority(), "[::1]:8443");
  EXPECT_EQ(u->origin(), "https://[::1]:8443");
  u = parse_url("HTTP://Hooks.Example.com/a/b");
  ASSERT_TRUE(u) << u.error();
  EXPECT_EQ(u->port, 80);
  EXPECT_EQ(u->authority(), "Hooks.Example.com");
  EXPECT_EQ(u->origin(), "http://Hooks.Example.com:80");
  u = parse_url("https://h:443/");
  ASSERT_TRUE(u) << u.error();
  EXPECT_EQ(u->authority(), "h");  // the default port is not repeated
}

const url& test_url() {
  static const url u = *parse_url("https://hooks.example.com:8443/secret-path");
  return u;
}

TEST(HttpMapping, SuccessIsOk) {
  for (unsigned s : {200u, 201u, 202u, 204u, 299u}) {
    auto v = map_response(test_url(), s, "", "whatever");
    EXPECT_EQ(v.status, sink::status::ok) << s;
    EXPECT_TRUE(v.error.empty());
  }
}

TEST(HttpMapping, TooManyRequestsAndUnavailableThrottleWithRetryAfter) {
  auto v = map_response(test_url(), 429, "7", "");
  EXPECT_EQ(v.status, sink::status::throttle);
  EXPECT_EQ(v.delay_ms, 7000u);
  EXPECT_THAT(v.error, HasSubstr("HTTP 429"));
  v = map_response(test_url(), 503, "", "");
  EXPECT_EQ(v.status, sink::status::throttle);
  EXPECT_EQ(v.delay_ms, 0u);  // the host's default back-off
}

TEST(HttpMapping, ServerErrorsAndRequestTimeoutRetry) {
  for (unsigned s : {500u, 502u, 504u, 599u, 408u}) {
    auto v = map_response(test_url(), s, "5", "oops");
    EXPECT_EQ(v.status, sink::status::retry) << s;
    EXPECT_EQ(v.delay_ms, 0u) << s;
    EXPECT_THAT(v.error, HasSubstr("https://hooks.example.com:8443: HTTP " + std::to_string(s)));
  }
}

TEST(HttpMapping, OtherClientErrorsDropWithTheBodysStart) {
  const std::string body = "{\"error\":\"bad\nfield\"}" + std::string(300, 'x');
  for (unsigned s : {400u, 401u, 403u, 404u, 413u, 422u, 302u}) {
    auto v = map_response(test_url(), s, "", body);
    EXPECT_EQ(v.status, sink::status::drop) << s;
    EXPECT_THAT(v.error, HasSubstr("HTTP " + std::to_string(s) + ": {\"error\":\"bad field\"}"));
    EXPECT_THAT(v.error, HasSubstr(std::string(200 - 21, 'x')));
    EXPECT_THAT(v.error, Not(HasSubstr(std::string(200 - 20, 'x'))));
    EXPECT_THAT(v.error, Not(HasSubstr("secret-path")));
  }
}

TEST(HttpMapping, RetryAfterSeconds) {
  EXPECT_EQ(retry_after_ms("5"), 5000u);
  EXPECT_EQ(retry_after_ms(" 5 "), 5000u);
  EXPECT_EQ(retry_after_ms("0"), 0u);
  EXPECT_EQ(retry_after_ms(""), 0u);
  EXPECT_EQ(retry_after_ms("-1"), 0u);
  EXPECT_EQ(retry_after_ms("Wed, 21 Oct 2015 07:28:00 GMT"), 0u);
  EXPECT_EQ(retry_after_ms("3600"), max_retry_after_s * 1000);
  EXPECT_EQ(retry_after_ms("99999999999999999999999"), max_retry_after_s * 1000);
}

TEST(HttpMapping, TransportFailuresRetryNamingHostAndCause) {
  struct failure_case {
    transport_failure f;
    const char* text;
  };
  const failure_case cases[] = {
      {{transport_errc::connection_refused, {}},
       "https://hooks.example.com:8443: connection refused"},
      {{transport_errc::timed_out, "waiting for the answer"},
       "https://hooks.example.com:8443: timed out after 5000 ms (waiting for the answer)"},
      {{transport_errc::certificate, "unable to get local issuer certificate"},
       "certificate verify failed (unable to get local issuer certificate)"},
      {{transport_errc::connection_reset, {}}, "connection closed by the peer"},
      {{transport_errc::resolve_failed, "nx: Host not found"}, "cannot resolve"},
      {{transport_errc::tls_handshake, "x"}, "TLS handshake failed"},
  };
  for (const auto& c : cases) {
    auto v = map_failure(test_url(), c.f, 5000);
    EXPECT_EQ(v.status, sink::status::retry) << c.text;
    EXPECT_THAT(v.error, HasSubstr(c.text));
  }
}

sink::record make_record(std::string_view output) {
  sink::record r;
  r.output = output;
  r.topic = "/a1/dev1/user/update";
  r.product_key = "a1";
  r.device_name = "dev1";
  r.rule = "r1";
  r.message_id = 18'000'000'000'000'000'001ULL;
  r.timestamp_ms = 1700000000123;
  return r;
}

TEST(HttpBody, ArrayOfOutputsAndEnvelopes) {
  std::vector<sink::record> rs{make_record(R"({"t":1})"), make_record(""),
                               make_record(R"({"t":3})")};
  EXPECT_EQ(request_body(rs, 0, 3, body_mode::output, true), R"([{"t":1},null,{"t":3}])");
  EXPECT_EQ(request_body(rs, 2, 3, body_mode::output, false), R"({"t":3})");
  EXPECT_EQ(request_body(rs, 0, 1, body_mode::envelope, false),
            R"({"rule":"r1","topic":"/a1/dev1/user/update","productKey":"a1","deviceName":"dev1",)"
            R"("messageId":"18000000000000000001","timestamp":1700000000123,"output":{"t":1}})");
  auto arr = request_body(rs, 0, 2, body_mode::envelope, true);
  EXPECT_EQ(arr.front(), '[');
  EXPECT_THAT(arr, HasSubstr(R"("output":null})"));
}

// ---- the built plugin, through the broker's loader ----

/// A listening socket on 127.0.0.1 (port 0); closed at the end.
class listener {
 public:
  listener() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&a), len) != 0 || ::listen(fd_, 16) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) != 0)
      ADD_FAILURE() << "cannot listen";
    port_ = ntohs(a.sin_port);
  }
  ~listener() { close(); }
  listener(const listener&) = delete;
  listener& operator=(const listener&) = delete;
  void close() {
    if (fd_ >= 0)
      ::close(fd_);
    fd_ = -1;
  }
  [[nodiscard]] int fd() const { return fd_; }
  [[nodiscard]] int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

/// Answers every request on each accepted connection with `answer`,
/// keeping connections open (or closing each after its answer, without
/// saying so: a peer whose idle timeout is shorter than ours); counts
/// connections and requests.
class tiny_server {
 public:
  explicit tiny_server(std::string answer, bool close_after_answer = false)
      : answer_(std::move(answer)), close_after_answer_(close_after_answer) {
    thread_ = std::thread([this] { serve(); });
  }
  ~tiny_server() {
    ::shutdown(l_.fd(), SHUT_RDWR);
    thread_.join();
  }
  tiny_server(const tiny_server&) = delete;
  tiny_server& operator=(const tiny_server&) = delete;
  [[nodiscard]] int port() const { return l_.port(); }
  std::atomic<int> connections{0};
  std::atomic<int> requests{0};
  /// The last request, as received.
  std::string last() {
    std::lock_guard lock{mu_};
    return last_;
  }

 private:
  void serve() {
    for (;;) {
      int c = ::accept(l_.fd(), nullptr, nullptr);
      if (c < 0)
        return;
      ++connections;
      std::string in;
      char buf[4096];
      for (;;) {
        auto n = ::read(c, buf, sizeof buf);
        if (n <= 0)
          break;
        in.append(buf, static_cast<std::size_t>(n));
        auto end = in.find("\r\n\r\n");
        if (end == std::string::npos)
          continue;
        auto cl = in.find("Content-Length: ");
        std::size_t body = cl == std::string::npos ? 0 : std::stoul(in.substr(cl + 16));
        if (in.size() < end + 4 + body)
          continue;
        {
          std::lock_guard lock{mu_};
          last_ = in.substr(0, end + 4 + body);
        }
        in.erase(0, end + 4 + body);
        ++requests;
        if (::write(c, answer_.data(), answer_.size()) < 0 || close_after_answer_)
          break;
      }
      ::close(c);
    }
  }

  listener l_;
  std::string answer_;
  bool close_after_answer_;
  std::mutex mu_;
  std::string last_;
  std::thread thread_;
};

class HttpSinkPlugin : public ::testing::Test {
 protected:
  void SetUp() override {
    reg_ = plugins::plugin_registry::load({IOTB_PLUGIN_BUILD_DIR});
    ASSERT_NE(reg_->find("http"), nullptr) << reg_->to_json();
  }

  std::vector<plugins::record_status> deliver(plugins::sink_instance& s, std::size_t n) {
    std::vector<plugins::record> batch(n);
    for (std::size_t i = 0; i < n; ++i) {
      batch[i].output = R"({"n":1})";
      batch[i].topic = "t";
      batch[i].message_id = i + 1;
    }
    return s.deliver(batch);
  }

  std::shared_ptr<plugins::plugin_registry> reg_;
};

TEST_F(HttpSinkPlugin, BadConfigurationFailsCreate) {
  auto s = reg_->create("http", R"({"url":"http://127.0.0.1:1","nope":1})");
  ASSERT_FALSE(s);
  EXPECT_THAT(s.error(), HasSubstr("bad configuration"));
  EXPECT_THAT(s.error(), HasSubstr("unknown key 'nope'"));
  s = reg_->create("http", R"({"url":"https://127.0.0.1:1","caFile":"/nonexistent/ca.pem"})");
  ASSERT_FALSE(s);
  EXPECT_THAT(s.error(), HasSubstr("caFile: cannot load /nonexistent/ca.pem"));
}

TEST_F(HttpSinkPlugin, RefusedConnectionRetriesEveryRecord) {
  listener l;
  const int port = l.port();
  l.close();  // nothing listens there now
  auto s = reg_->create("http", R"({"url":"http://127.0.0.1:)" + std::to_string(port) + "/\"}");
  ASSERT_TRUE(s) << s.error();
  auto st = deliver(*s, 3);
  ASSERT_EQ(st.size(), 3u);
  for (const auto& r : st) {
    EXPECT_EQ(r.status, plugins::delivery_status::retry);
    EXPECT_THAT(r.error, HasSubstr("127.0.0.1:" + std::to_string(port) + ": connection refused"));
  }
}

TEST_F(HttpSinkPlugin, SilentPeerTimesOutWithinTimeoutMs) {
  listener l;  // accepts (the kernel does) and never answers
  auto s = reg_->create(
      "http", R"({"url":"http://127.0.0.1:)" + std::to_string(l.port()) + R"(/","timeoutMs":200})");
  ASSERT_TRUE(s) << s.error();
  const auto t0 = std::chrono::steady_clock::now();
  auto st = deliver(*s, 2);
  const auto took = std::chrono::steady_clock::now() - t0;
  ASSERT_EQ(st.size(), 2u);
  EXPECT_EQ(st[0].status, plugins::delivery_status::retry);
  EXPECT_THAT(st[0].error, HasSubstr("timed out after 200 ms"));
  EXPECT_GE(took, std::chrono::milliseconds{190});
  EXPECT_LT(took, std::chrono::milliseconds{2000});
}

TEST_F(HttpSinkPlugin, KeepsTheConnectionAndMapsStatuses) {
  tiny_server ok{"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"};
  auto s = reg_->create("http", R"({"url":"http://127.0.0.1:)" + std::to_string(ok.port()) +
                                    R"(/in?k=v","headers":{"X-Token":"abc"}})");
  ASSERT_TRUE(s) << s.error();
  for (int i = 0; i < 3; ++i) {
    auto st = deliver(*s, 2);
    ASSERT_EQ(st.size(), 2u);
    EXPECT_EQ(st[1].status, plugins::delivery_status::ok) << st[1].error;
  }
  EXPECT_EQ(ok.requests.load(), 3);
  EXPECT_EQ(ok.connections.load(), 1);
  const auto last = ok.last();
  EXPECT_THAT(last, HasSubstr("POST /in?k=v HTTP/1.1\r\n"));
  EXPECT_THAT(last, HasSubstr("X-Token: abc\r\n"));
  EXPECT_THAT(last, HasSubstr("Content-Type: application/json\r\n"));
  EXPECT_THAT(last, HasSubstr("\r\n\r\n[{\"n\":1},{\"n\":1}]"));

  tiny_server nope{"HTTP/1.1 404 Not Found\r\nContent-Length: 12\r\n\r\nno such hook"};
  // Declared after its server: closes its connection before the server stops.
  auto s2 = reg_->create("http", R"({"url":"http://127.0.0.1:)" + std::to_string(nope.port()) +
                                     R"(/","batch":"single"})");
  ASSERT_TRUE(s2) << s2.error();
  auto st = deliver(*s2, 2);
  ASSERT_EQ(st.size(), 2u);
  for (const auto& r : st) {
    EXPECT_EQ(r.status, plugins::delivery_status::drop);
    EXPECT_THAT(r.error, HasSubstr("HTTP 404: no such hook"));
  }
  EXPECT_EQ(nope.requests.load(), 2);  // one request per record
}

TEST_F(HttpSinkPlugin, ReconnectsWhenThePeerClosedTheKeptConnection) {
  tiny_server srv{"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", true};
  auto s =
      reg_->create("http", R"({"url":"http://127.0.0.1:)" + std::to_string(srv.port()) + "\"}");
  ASSERT_TRUE(s) << s.error();
  // Whether the peer's FIN arrived before the next request or not, the
  // request goes out again on a new connection.
  for (int i = 0; i < 3; ++i) {
    auto st = deliver(*s, 1);
    ASSERT_EQ(st.size(), 1u);
    EXPECT_EQ(st[0].status, plugins::delivery_status::ok) << i << ": " << st[0].error;
  }
  EXPECT_EQ(srv.requests.load(), 3);
  EXPECT_EQ(srv.connections.load(), 3);
}

}  // namespace
}  // namespace iotb::http_sink
