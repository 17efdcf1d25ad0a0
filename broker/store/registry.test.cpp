#include "broker/store/registry.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <future>

#include "broker/store/writer.hpp"
#include "broker/util/clock.hpp"
#include "broker/util/temp_dir.hpp"

namespace iotb::store {
namespace {

/// A fresh environment in a temporary directory, removed afterwards.
class RegistryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto e = env::open(dir_, {std::size_t{64} << 20, false});
    ASSERT_TRUE(e) << e.error().what;
    env_ = *e;
  }
  void TearDown() override { env_.reset(); }

  product_record make_product(bool dynamic = false) {
    auto t = env_->write();
    product_spec s;
    s.name = "thermo_1";
    s.dynamic_register = dynamic;
    auto p = create_product(*t, s);
    EXPECT_TRUE(p) << p.error().what;
    EXPECT_TRUE(t->commit());
    return *p;
  }

  device_record make_device(const std::string& pk, const std::string& dn) {
    auto t = env_->write();
    auto d = create_device(*t, pk, dn);
    EXPECT_TRUE(d) << d.error().what;
    EXPECT_TRUE(t->commit());
    return *d;
  }

  temp_dir tmp_{"iotb-registry"};
  const std::string& dir_ = tmp_.path();
  std::shared_ptr<env> env_;
};

TEST_F(RegistryTest, ProductKeysAndSecretsFollowSpec) {
  auto p = make_product();
  EXPECT_EQ(p.product_key.size(), 11u);
  EXPECT_GE(p.product_secret.size(), 16u);
  for (char c : p.product_key)
    EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c)));
  auto t = env_->read();
  auto got = get_product(*t, p.product_key);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->name, "thermo_1");
  EXPECT_EQ(got->product_secret, p.product_secret);
  auto all = list_products(*t);
  ASSERT_TRUE(all);
  EXPECT_EQ(all->size(), 1u);
}

TEST_F(RegistryTest, BadProductNamesAreRefusedClearly) {
  auto t = env_->write();
  for (const char* name : {"abc", "this-name-is-far-too-long-for-a-product", "bad name", "x$yz"}) {
    product_spec s;
    s.name = name;
    auto p = create_product(*t, s);
    ASSERT_FALSE(p) << name;
    EXPECT_EQ(p.error().code, errc::invalid);
    EXPECT_NE(p.error().what.find("product name"), std::string::npos);
  }
}

TEST_F(RegistryTest, DevicesAreUniqueWithinTheirProduct) {
  auto p = make_product();
  auto d = make_device(p.product_key, "sensor-01");
  EXPECT_EQ(d.device_secret.size(), 32u);
  auto t = env_->write();
  auto again = create_device(*t, p.product_key, "sensor-01");
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, errc::exists);
  auto bad = create_device(*t, p.product_key, "a b");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, errc::invalid);
  auto no_product = create_device(*t, "nosuchprod1", "sensor-02");
  ASSERT_FALSE(no_product);
  EXPECT_EQ(no_product.error().code, errc::not_found);
  auto generated = create_device(*t, p.product_key, "");
  ASSERT_TRUE(generated);
  EXPECT_EQ(generated->device_name.size(), 20u);
}

TEST_F(RegistryTest, DisableDeleteAndTheChangeFeed) {
  auto p = make_product();
  make_device(p.product_key, "sensor-01");
  std::uint64_t seen;
  {
    auto r = env_->read();
    seen = last_change(*r);
  }
  {
    auto t = env_->write();
    ASSERT_TRUE(set_disabled(*t, p.product_key, "sensor-01", true));
    ASSERT_TRUE(delete_device(*t, p.product_key, "sensor-01"));
    ASSERT_TRUE(t->commit());
  }
  auto r = env_->read();
  auto changes = changes_since(*r, seen, 100);
  ASSERT_TRUE(changes);
  ASSERT_EQ(changes->size(), 2u);
  EXPECT_EQ((*changes)[0].kind, change_kind::device_disabled);
  EXPECT_EQ((*changes)[1].kind, change_kind::device_deleted);
  EXPECT_EQ((*changes)[1].device_name, "sensor-01");
  EXPECT_EQ((*changes)[1].seq, seen + 2);
  auto gone = get_device(*r, p.product_key, "sensor-01");
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().code, errc::not_found);
}

TEST_F(RegistryTest, DeviceLogKeepsTheNewestEntries) {
  auto p = make_product();
  make_device(p.product_key, "sensor-01");
  auto t = env_->write();
  for (std::size_t i = 0; i < device_log_keep + 5; ++i)
    ASSERT_TRUE(append_log(*t, p.product_key, "sensor-01", log_kind::connect,
                           "connect " + std::to_string(i), "127.0.0.1", 1000 + i));
  ASSERT_TRUE(t->commit());
  auto r = env_->read();
  auto all = read_log(*r, p.product_key, "sensor-01", 10000);
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), device_log_keep);
  EXPECT_EQ(all->front().text, "connect 5");
  EXPECT_EQ(all->back().text, "connect " + std::to_string(device_log_keep + 4));
  auto last3 = read_log(*r, p.product_key, "sensor-01", 3);
  ASSERT_TRUE(last3);
  ASSERT_EQ(last3->size(), 3u);
  EXPECT_EQ(last3->back().seq, device_log_keep + 5);
}

TEST_F(RegistryTest, OnlineOfflineAndActivation) {
  auto p = make_product();
  make_device(p.product_key, "sensor-01");
  auto t = env_->write();
  ASSERT_TRUE(mark_online(*t, p.product_key, "sensor-01", "10.0.0.7", 111));
  ASSERT_TRUE(mark_offline(*t, p.product_key, "sensor-01", 222));
  ASSERT_TRUE(mark_online(*t, p.product_key, "sensor-01", "10.0.0.8", 333));
  ASSERT_TRUE(t->commit());
  auto r = env_->read();
  auto d = get_device(*r, p.product_key, "sensor-01");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->state, device_state::online);
  EXPECT_EQ(d->activated_ms, 111u);
  EXPECT_EQ(d->last_online_ms, 333u);
  EXPECT_EQ(d->last_offline_ms, 222u);
  EXPECT_EQ(d->last_ip, "10.0.0.8");
}

TEST_F(RegistryTest, RegistrationFreeClientsAreLimitedToFive) {
  auto p = make_product(true);
  auto t = env_->write();
  std::string first;
  for (int i = 0; i < 5; ++i) {
    auto tok = regnwl_register(*t, p.product_key, "lamp-0001", "client" + std::to_string(i));
    ASSERT_TRUE(tok) << tok.error().what;
    if (i == 0)
      first = *tok;
  }
  auto sixth = regnwl_register(*t, p.product_key, "lamp-0001", "client5");
  ASSERT_FALSE(sixth);
  EXPECT_EQ(sixth.error().code, errc::limit);
  // The same client id registers again: a new token, no new slot.
  auto again = regnwl_register(*t, p.product_key, "lamp-0001", "client0");
  ASSERT_TRUE(again);
  EXPECT_NE(*again, first);
  ASSERT_TRUE(t->commit());
  auto r = env_->read();
  auto tok = regnwl_token(*r, p.product_key, "lamp-0001", "client0");
  ASSERT_TRUE(tok);
  EXPECT_EQ(*tok, *again);
  EXPECT_TRUE(get_device(*r, p.product_key, "lamp-0001"));  // created on the way
}

TEST_F(RegistryTest, ApplicationsNeedExistingProducts) {
  auto p = make_product();
  auto t = env_->write();
  auto bad = create_app(*t, "svc", {"nosuchprod1"}, {});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, errc::not_found);
  auto a = create_app(*t, "svc", {p.product_key}, {"subscribe"});
  ASSERT_TRUE(a);
  ASSERT_TRUE(t->commit());
  auto r = env_->read();
  auto got = get_app(*r, a->access_key_id);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->products, std::vector<std::string>{p.product_key});
  EXPECT_EQ(got->access_key_secret, a->access_key_secret);
}

TEST_F(RegistryTest, CorruptRecordsAreReportedNotTrusted) {
  auto p = make_product();
  {
    auto t = env_->write();
    const std::uint8_t junk[] = {0xff, 0xff, 0xff, 0x7f, 1, 2, 3};
    ASSERT_TRUE(t->put(table::devices, p.product_key + "/broken-1", junk));
    ASSERT_TRUE(t->put(table::products, "truncated01", std::span<const std::uint8_t>(junk, 2)));
    ASSERT_TRUE(t->commit());
  }
  auto r = env_->read();
  auto d = get_device(*r, p.product_key, "broken-1");
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().code, errc::corrupt);
  auto q = get_product(*r, "truncated01");
  ASSERT_FALSE(q);
  EXPECT_EQ(q.error().code, errc::corrupt);
  auto all = list_products(*r);
  ASSERT_FALSE(all);
  EXPECT_EQ(all.error().code, errc::corrupt);
}

TEST(RegistryEnv, UnknownFormatVersionIsRefusedAtOpen) {
  temp_dir tmp("iotb-registry");
  const std::string& dir = tmp.path();
  {
    auto e = env::open(dir, {std::size_t{16} << 20, false});
    ASSERT_TRUE(e);
    auto t = (*e)->write();
    const char rec[8] = {'I', 'O', 'T', 'B', 99, 0, 0, 0};
    ASSERT_TRUE(
        t->put(table::meta, "format", {reinterpret_cast<const std::uint8_t*>(rec), sizeof rec}));
    ASSERT_TRUE(t->commit());
  }
  auto e = env::open(dir, {std::size_t{16} << 20, false});
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().code, errc::format_mismatch);
  EXPECT_NE(e.error().what.find("version 99"), std::string::npos) << e.error().what;
}

TEST_F(RegistryTest, WriterGroupsJobsAndIsolatesAFailingOne) {
  auto p = make_product();
  make_device(p.product_key, "sensor-01");
  auto pk = p.product_key;
  {
    writer w(env_);
    for (int i = 0; i < 500; ++i)
      w.submit([pk, i](write_txn& t) {
        return append_log(t, pk, "sensor-01", log_kind::connect, "n" + std::to_string(i), "",
                          static_cast<std::uint64_t>(i));
      });
    w.submit([](write_txn& t) -> expected<bool, error> {
      return mark_online(t, "nosuchprod1", "nobody", "", 1);  // fails: not found
    });
    w.submit([pk](write_txn& t) { return mark_online(t, pk, "sensor-01", "1.2.3.4", 7); });
    w.drain();
    auto s = w.snapshot();
    EXPECT_EQ(s.jobs, 502u);
    EXPECT_EQ(s.failures, 1u);
    EXPECT_LT(s.commits, 502u);  // grouped, not one per job
  }
  auto r = env_->read();
  auto log = read_log(*r, pk, "sensor-01", 1000);
  ASSERT_TRUE(log);
  EXPECT_EQ(log->size(), device_log_keep);
  EXPECT_EQ(log->back().text, "n499");
  auto d = get_device(*r, pk, "sensor-01");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->last_ip, "1.2.3.4");
}

TEST_F(RegistryTest, TransactRunsDirectlyWithoutAWriter) {
  auto p = make_product();
  auto ok = env_->transact([&](write_txn& t) -> expected<bool, error> {
    return mark_online(t, p.product_key, "x", "", 1);
  });
  EXPECT_FALSE(ok);  // no such device: the job's own error, nothing written
  std::string dn;
  ok = env_->transact([&](write_txn& t) -> expected<bool, error> {
    auto d = create_device(t, p.product_key, "sensor-02");
    if (!d)
      return unexpected{d.error()};
    dn = d->device_name;
    return true;
  });
  ASSERT_TRUE(ok) << ok.error().what;
  auto r = env_->read();
  EXPECT_TRUE(get_device(*r, p.product_key, dn));
}

TEST_F(RegistryTest, TransactRoutedThroughTheWriterWaitsForItsGroupAndReportsItsError) {
  auto p = make_product();
  auto pk = p.product_key;
  writer w(env_, 1000, std::chrono::seconds{5});  // a window no durable change waits for
  w.route_to(*env_);
  // Queued jobs before and after: grouped with the durable change, and one
  // failing durable change loses nothing else.
  for (int i = 0; i < 50; ++i)
    w.submit([pk, i](write_txn& t) -> expected<bool, error> {
      auto d = create_device(t, pk, "bulk-" + std::to_string(i));
      if (!d)
        return unexpected{d.error()};
      return true;
    });
  auto started = clock::now();
  auto bad = env_->transact([&](write_txn& t) -> expected<bool, error> {
    return mark_online(t, "nosuchprod1", "nobody", "", 1);
  });
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, errc::not_found);
  auto good = env_->transact([&](write_txn& t) -> expected<bool, error> {
    auto d = create_device(t, pk, "sensor-03");
    if (!d)
      return unexpected{d.error()};
    return true;
  });
  ASSERT_TRUE(good) << good.error().what;
  EXPECT_LT(clock::now() - started, std::chrono::seconds{4});
  {
    auto r = env_->read();  // visible at once: the change has committed
    EXPECT_TRUE(get_device(*r, pk, "sensor-03"));
    EXPECT_TRUE(get_device(*r, pk, "bulk-49"));
  }
  env_->route_writes({});
  w.stop();
  // A direct transaction again, now that the writer is gone.
  EXPECT_TRUE(env_->transact([&](write_txn& t) -> expected<bool, error> {
    auto d = create_device(t, pk, "sensor-04");
    if (!d)
      return unexpected{d.error()};
    return true;
  }));
}

TEST_F(RegistryTest, WriterRefusesADurableChangeFromItsOwnThread) {
  writer w(env_);
  std::promise<bool> refused;
  w.submit([](write_txn&) -> expected<bool, error> { return true; },
           [&](bool) {
             auto r = w.change([](write_txn&) -> expected<bool, error> { return true; });
             refused.set_value(!r);
           });
  EXPECT_TRUE(refused.get_future().get());
}

}  // namespace
}  // namespace iotb::store
