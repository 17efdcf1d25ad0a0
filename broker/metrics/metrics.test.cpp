#include "broker/metrics/metrics.hpp"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "broker/metrics/broker_metrics.hpp"

namespace iotb::metrics {
namespace {

TEST(MetricsThread, CounterSumsEveryThreadsIncrements) {
  counter c;
  std::vector<std::thread> ts;
  for (int t = 0; t < 20; ++t)  // more threads than cells: some share one
    ts.emplace_back([&c] {
      for (int i = 0; i < 10000; ++i)
        c.inc();
    });
  for (auto& t : ts)
    t.join();
  EXPECT_EQ(c.value(), 200000u);
}

TEST(Metrics, HistogramBucketsAreCumulative) {
  const double bounds[] = {0.001, 0.01, 0.1};
  histogram h(bounds);
  h.observe(0.0005);
  h.observe(0.005);
  h.observe(0.005);
  h.observe(5.0);
  EXPECT_EQ(h.cumulative(0), 1u);
  EXPECT_EQ(h.cumulative(1), 3u);
  EXPECT_EQ(h.cumulative(2), 3u);
  EXPECT_EQ(h.cumulative(3), 4u);  // +Inf
  EXPECT_EQ(h.count(), 4u);
  EXPECT_NEAR(h.sum(), 5.0105, 1e-6);
}

TEST(Metrics, PrometheusTextNamesEveryFamilyOnce) {
  broker_metrics m;
  m.drop(drop_reason::slow_consumer, 3);
  m.packets_received[3].inc(7);
  m.listener(listener_id::ws).connections.add(2);
  m.store_commit_seconds.observe(0.003);
  auto text = render_prometheus(m, {5, 9});
  EXPECT_NE(text.find("iotbroker_messages_dropped_total{reason=\"slow_consumer\"} 3\n"),
            std::string::npos);
  EXPECT_NE(text.find("iotbroker_messages_received_total 7\n"), std::string::npos);
  EXPECT_NE(text.find("iotbroker_packets_received_total{type=\"publish\"} 7\n"), std::string::npos);
  EXPECT_NE(text.find("iotbroker_connections{listener=\"ws\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("iotbroker_subscriptions 5\n"), std::string::npos);
  EXPECT_NE(text.find("iotbroker_store_commit_seconds_bucket{le=\"0.005\"} 1\n"),
            std::string::npos);
  EXPECT_NE(text.find("iotbroker_store_commit_seconds_count 1\n"), std::string::npos);
  // Each family has one TYPE line.
  std::size_t types = 0;
  for (auto pos = text.find("# TYPE"); pos != std::string::npos; pos = text.find("# TYPE", pos + 1))
    ++types;
  std::size_t helps = 0;
  for (auto pos = text.find("# HELP"); pos != std::string::npos; pos = text.find("# HELP", pos + 1))
    ++helps;
  EXPECT_EQ(types, helps);
  EXPECT_GT(types, 15u);
  // No store (persistence off): its gauges are absent, not zero.
  EXPECT_EQ(text.find("iotbroker_store_used_bytes"), std::string::npos);
}

TEST(Metrics, SessionStoreGaugesWhenThereIsAStore) {
  broker_metrics m;
  scrape_gauges g;
  g.store_used_bytes = 4096;
  g.store_max_bytes = 1 << 20;
  auto text = render_prometheus(m, g);
  EXPECT_NE(text.find("iotbroker_store_used_bytes 4096\n"), std::string::npos);
  EXPECT_NE(text.find("iotbroker_store_max_bytes 1048576\n"), std::string::npos);
}

}  // namespace
}  // namespace iotb::metrics
