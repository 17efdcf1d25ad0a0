#include "broker/admin/identity.hpp"

#include <gtest/gtest.h>

#include <sys/stat.h>

#include <fstream>

#include "broker/admin/registry_ops.hpp"
#include "broker/store/registry.hpp"
#include "broker/tls/password.hpp"
#include "broker/util/clock.hpp"
#include "broker/util/temp_dir.hpp"

namespace iotb::admin {
namespace {

using namespace std::chrono_literals;

class IdentityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto e = store::env::open(tmp_ / "registry", {std::size_t{64} << 20, false});
    ASSERT_TRUE(e) << e.error().what;
    env_ = *e;
    ASSERT_TRUE(ops::add_user(*env_, "alice", store::admin_role::admin, "correct horse"));
    ASSERT_TRUE(ops::add_user(*env_, "victor", store::admin_role::viewer, "viewer pw"));
    tokens_ = std::make_shared<token_store>(24h, [this] { return wall_; });
    id_ = std::make_unique<identity>(env_, tokens_, login_limits{}, [this] { return now_; });
  }

  static std::string basic(const std::string& id, const std::string& secret) {
    return "Basic " + tls::base64_encode(id + ":" + secret);
  }

  temp_dir tmp_{"iotb-identity"};
  std::shared_ptr<store::env> env_;
  std::shared_ptr<token_store> tokens_;
  std::unique_ptr<identity> id_;
  std::chrono::steady_clock::time_point now_{std::chrono::hours{1000}};
  std::chrono::system_clock::time_point wall_{std::chrono::seconds{1'700'000'000}};
};

TEST_F(IdentityTest, LoginGivesABearerToken) {
  auto r = id_->login("alice", "correct horse", "10.0.0.1");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->role, store::admin_role::admin);
  EXPECT_EQ(r->expires_ms, clock::to_ms(wall_ + 24h));
  auto p = id_->authenticate("Bearer " + r->token);
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_EQ(p->name, "alice");
  EXPECT_TRUE(p->is_admin());
  EXPECT_TRUE(p->may_change("anything"));
  EXPECT_EQ(p->audit_name(), "user:alice");
  auto v = id_->login("victor", "viewer pw", "10.0.0.1");
  auto pv = id_->authenticate("bearer " + v->token);
  ASSERT_TRUE(pv);
  EXPECT_FALSE(pv->is_admin());
  EXPECT_FALSE(pv->may_change("pk"));
  EXPECT_TRUE(pv->may_see("pk"));
}

TEST_F(IdentityTest, WrongCredentialsAre401) {
  EXPECT_EQ(id_->login("alice", "wrong", "a").error().code, api_errc::unauthorized);
  EXPECT_EQ(id_->login("nobody", "correct horse", "b").error().code, api_errc::unauthorized);
  EXPECT_EQ(id_->login("", "", "c").error().code, api_errc::unauthorized);
}

TEST_F(IdentityTest, MissingForgedAndExpiredTokensAre401) {
  for (auto h : {"", "Bearer", "Bearer ", "Bearer forged", "Token abc", "Basic", "Basic !!!",
                 "Basic Zm9v" /* foo */})
    EXPECT_EQ(id_->authenticate(h).error().code, api_errc::unauthorized) << h;
  auto r = id_->login("alice", "correct horse", "x");
  wall_ += 24h;
  EXPECT_EQ(id_->authenticate("Bearer " + r->token).error().code, api_errc::unauthorized);
}

TEST_F(IdentityTest, TokensDieWithTheirUserOrPassword) {
  auto a = id_->login("alice", "correct horse", "x");
  auto v = id_->login("victor", "viewer pw", "x");
  ASSERT_TRUE(a && v);
  ASSERT_TRUE(ops::set_password(*env_, "alice", "battery staple"));  // e.g. by the CLI
  EXPECT_EQ(id_->authenticate("Bearer " + a->token).error().code, api_errc::unauthorized);
  EXPECT_TRUE(id_->login("alice", "battery staple", "x"));
  ASSERT_TRUE(ops::delete_user(*env_, "victor"));
  EXPECT_EQ(id_->authenticate("Bearer " + v->token).error().code, api_errc::unauthorized);
}

TEST_F(IdentityTest, MoreThanFiveFailuresAMinutePerUserAre429) {
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(id_->login("alice", "guess", "10.0.0." + std::to_string(i)).error().code,
              api_errc::unauthorized);
  // Even the right password is refused now, from a fresh address.
  EXPECT_EQ(id_->login("alice", "correct horse", "10.9.9.9").error().code, api_errc::throttled);
  EXPECT_TRUE(id_->login("victor", "viewer pw", "10.9.9.9"));  // other users are fine
  now_ += 12s;                                                 // one failure's worth has drained
  EXPECT_TRUE(id_->login("alice", "correct horse", "10.9.9.9"));
}

TEST_F(IdentityTest, MoreThanFiveFailuresAMinutePerAddressAre429) {
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(id_->login("user" + std::to_string(i), "guess", "10.1.1.1").error().code,
              api_errc::unauthorized);
  EXPECT_EQ(id_->login("alice", "correct horse", "10.1.1.1").error().code, api_errc::throttled);
  EXPECT_TRUE(id_->login("alice", "correct horse", "10.1.1.2"));
  now_ += 60s;
  EXPECT_TRUE(id_->login("alice", "correct horse", "10.1.1.1"));
}

TEST_F(IdentityTest, SuccessfulLoginsAreNotLimited) {
  for (int i = 0; i < 20; ++i)
    EXPECT_TRUE(id_->login("alice", "correct horse", "10.0.0.1"));
}

TEST_F(IdentityTest, ApplicationCredentialsByBasicAuth) {
  store::product_spec s;
  s.name = "thermo_1";
  auto p = ops::create_product(*env_, s);
  ASSERT_TRUE(p);
  auto ro = ops::create_app(*env_, "ro", {p->product_key}, {});
  auto rw = ops::create_app(*env_, "rw", {p->product_key}, {"write"});
  ASSERT_TRUE(ro && rw);
  auto a = id_->authenticate(basic(ro->access_key_id, ro->access_key_secret));
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_EQ(a->who, principal::kind::app);
  EXPECT_TRUE(a->may_see(p->product_key));
  EXPECT_FALSE(a->may_see("other"));
  EXPECT_FALSE(a->may_change(p->product_key));
  EXPECT_FALSE(a->is_admin());
  auto b = id_->authenticate(basic(rw->access_key_id, rw->access_key_secret));
  ASSERT_TRUE(b);
  EXPECT_TRUE(b->may_change(p->product_key));
  EXPECT_FALSE(b->may_change("other"));
  EXPECT_EQ(id_->authenticate(basic(ro->access_key_id, "wrong")).error().code,
            api_errc::unauthorized);
  EXPECT_EQ(id_->authenticate(basic("nobody", "x")).error().code, api_errc::unauthorized);
}

TEST_F(IdentityTest, InitialAdminIsCreatedOnceWithAPrivateFile) {
  temp_dir dir{"iotb-initial-admin"};
  auto e = store::env::open(dir / "registry", {std::size_t{64} << 20, true});
  ASSERT_TRUE(e);
  auto path = ops::ensure_initial_admin(**e, dir.path());
  ASSERT_TRUE(path) << path.error().what;
  EXPECT_EQ(*path, dir / "initial-admin-password");
  struct stat st;
  ASSERT_EQ(::stat(path->c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  std::string password;
  std::getline(std::ifstream(*path), password);
  EXPECT_GE(password.size(), 16u);
  identity id(*e, std::make_shared<token_store>());
  auto r = id.login("admin", password, "x");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->role, store::admin_role::admin);
  auto again = ops::ensure_initial_admin(**e, dir.path());
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, "");  // users exist: nothing done
}

}  // namespace
}  // namespace iotb::admin
