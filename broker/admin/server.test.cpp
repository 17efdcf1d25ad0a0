#include "broker/admin/server.hpp"

#include <gtest/gtest.h>

#include <thread>

#include <rapidjson/document.h>
#include <boost/asio/connect.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include "broker/admin/registry_ops.hpp"
#include "broker/store/admin_store.hpp"
#include "broker/util/temp_dir.hpp"

namespace iotb::admin {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

/// A server on a free loopback port with two users, run by one thread.
class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto e = store::env::open(tmp_ / "registry", {std::size_t{64} << 20, false});
    ASSERT_TRUE(e) << e.error().what;
    env_ = *e;
    ASSERT_TRUE(ops::add_user(*env_, "alice", store::admin_role::admin, "pw-alice"));
    ASSERT_TRUE(ops::add_user(*env_, "victor", store::admin_role::viewer, "pw-victor"));
    auto s = server::open(ioc_, env_, "127.0.0.1", 0, "");
    ASSERT_TRUE(s) << s.error();
    srv_ = std::move(*s);
  }
  void run() {
    srv_->start();
    thread_ = std::thread([this] { ioc_.run(); });
  }
  void TearDown() override {
    if (srv_)
      srv_->stop();
    work_.reset();
    ioc_.stop();
    if (thread_.joinable())
      thread_.join();
  }

  /// One request on a fresh connection: (status, body).
  std::pair<int, std::string> call(const std::string& method, const std::string& target,
                                   const std::string& body = "", const std::string& token = "") {
    asio::io_context ctx;
    tcp::socket s(ctx);
    s.connect({asio::ip::make_address("127.0.0.1"), srv_->port()});
    std::string req = method + " " + target + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n";
    if (!token.empty())
      req += "Authorization: Bearer " + token + "\r\n";
    req += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
    asio::write(s, asio::buffer(req));
    std::string out;
    boost::system::error_code ec;
    asio::read(s, asio::dynamic_buffer(out), ec);
    auto sp = out.find(' ');
    int status = sp == std::string::npos ? 0 : std::atoi(out.c_str() + sp + 1);
    auto b = out.find("\r\n\r\n");
    return {status, b == std::string::npos ? "" : out.substr(b + 4)};
  }
  std::string login(const std::string& user, const std::string& pw) {
    auto [status, body] =
        call("POST", "/api/v1/login", R"({"username":")" + user + R"(","password":")" + pw + "\"}");
    EXPECT_EQ(status, 200) << body;
    rapidjson::Document d;
    d.Parse(body.c_str());
    return d.IsObject() && d.HasMember("token") ? d["token"].GetString() : "";
  }

  temp_dir tmp_{"iotb-admin-server"};
  std::shared_ptr<store::env> env_;
  asio::io_context ioc_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_{
      asio::make_work_guard(ioc_)};
  std::unique_ptr<server> srv_;
  std::thread thread_;
};

TEST_F(ServerTest, RoutesCheckAccessAndAuditChanges) {
  run();
  auto admin = login("alice", "pw-alice");
  auto viewer = login("victor", "pw-victor");
  EXPECT_EQ(call("GET", "/api/v1/products").first, 401);
  EXPECT_EQ(call("GET", "/api/v1/products", "", admin).first, 200);
  EXPECT_EQ(call("GET", "/api/v1/products", "", viewer).first, 200);
  EXPECT_EQ(call("POST", "/api/v1/products", R"({"name":"thermo_1"})", viewer).first, 403);
  EXPECT_EQ(call("POST", "/api/v1/products", R"({"name":"thermo_1"})", admin).first, 201);
  EXPECT_EQ(call("GET", "/api/v1/audit", "", viewer).first, 403);
  auto [status, audit] = call("GET", "/api/v1/audit", "", admin);
  EXPECT_EQ(status, 200);
  EXPECT_NE(audit.find(R"("who":"user:victor")"), std::string::npos) << audit;
  EXPECT_NE(audit.find(R"("result":403)"), std::string::npos);
  EXPECT_NE(audit.find(R"("result":201)"), std::string::npos);
  EXPECT_NE(audit.find(R"("total":2)"), std::string::npos);
}

TEST_F(ServerTest, ExtraRoutesMayAnswerLaterFromAnotherThread) {
  std::vector<std::thread> helpers;
  std::mutex mu;
  ASSERT_TRUE(srv_->route(method::get, "/api/v1/slow/{id}", access::read,
                          [&](const std::shared_ptr<api_call>& c) {
                            std::lock_guard lk(mu);
                            helpers.emplace_back([c] {
                              std::this_thread::sleep_for(std::chrono::milliseconds{20});
                              c->reply(200, "{\"id\":\"" + std::string(c->path.value("id")) +
                                                "\",\"by\":\"" + c->who->name + "\"}");
                              c->reply(500, "{}");  // ignored: only the first answer counts
                            });
                          }));
  EXPECT_FALSE(srv_->route(method::get, "/api/v1/slow/{other}", access::read, {}));
  run();
  auto token = login("alice", "pw-alice");
  auto [status, body] = call("GET", "/api/v1/slow/x%20y", "", token);
  EXPECT_EQ(status, 200);
  EXPECT_EQ(body, R"({"id":"x y","by":"alice"})");
  std::lock_guard lk(mu);
  for (auto& t : helpers)
    t.join();
}

TEST_F(ServerTest, StoreErrorsMapToStatuses) {
  EXPECT_EQ(status_of(to_api_error({store::errc::not_found, ""}).code), 404u);
  EXPECT_EQ(status_of(to_api_error({store::errc::exists, ""}).code), 409u);
  EXPECT_EQ(status_of(to_api_error({store::errc::in_use, ""}).code), 409u);
  EXPECT_EQ(status_of(to_api_error({store::errc::invalid, ""}).code), 400u);
  EXPECT_EQ(status_of(to_api_error({store::errc::limit, ""}).code), 429u);
  EXPECT_EQ(status_of(to_api_error({store::errc::map_full, ""}).code), 503u);
  EXPECT_EQ(status_of(to_api_error({store::errc::corrupt, ""}).code), 500u);
}

TEST_F(ServerTest, InitialAdminOnlyWhenNoUserExists) {
  temp_dir dir{"iotb-admin-initial"};
  auto e = store::env::open(dir / "registry", {std::size_t{64} << 20, false});
  ASSERT_TRUE(e);
  auto s = server::open(ioc_, *e, "127.0.0.1", 0, dir.path());
  ASSERT_TRUE(s);
  auto t = (*e)->read();
  EXPECT_EQ(store::count_admin_users(*t), 1u);
  EXPECT_FALSE(server::open(ioc_, *e, "not-an-address", 0, dir.path()));
}

}  // namespace
}  // namespace iotb::admin
