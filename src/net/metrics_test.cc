#include "net/metrics.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace kw::net {
namespace {

TEST(Metrics, RendersCountersAndGauges) {
  Metrics m;
  m.Describe("kw_requests_total", "counter", "Requests.\nSecond line with \\.");
  m.Add("kw_requests_total", "method=\"GET\",code=\"200\"");
  m.Add("kw_requests_total", "method=\"GET\",code=\"200\"", 2);
  m.Add("kw_requests_total", "method=\"POST\",code=\"201\"");
  m.Describe("kw_open", "gauge", "Open things.");
  m.Set("kw_open", "", 7);
  m.Set("kw_open", "", 5.5);
  EXPECT_EQ(m.Render(),
            "# HELP kw_open Open things.\n"
            "# TYPE kw_open gauge\n"
            "kw_open 5.5\n"
            "# HELP kw_requests_total Requests.\\nSecond line with \\\\.\n"
            "# TYPE kw_requests_total counter\n"
            "kw_requests_total{method=\"GET\",code=\"200\"} 3\n"
            "kw_requests_total{method=\"POST\",code=\"201\"} 1\n");
}

TEST(Metrics, HistogramBucketsAreCumulative) {
  Metrics m;
  m.Describe("kw_seconds", "histogram", "Latency.");
  // Binary fractions, so that the sum is exact.
  m.Observe("kw_seconds", "m=\"GET\"", 0.0001220703125);  // 2^-13: first bucket
  m.Observe("kw_seconds", "m=\"GET\"", 0.00390625);       // 2^-8: le=0.005
  m.Observe("kw_seconds", "m=\"GET\"", 0.00390625);
  m.Observe("kw_seconds", "m=\"GET\"", 64);               // only +Inf
  std::string text = m.Render();
  EXPECT_NE(text.find("# TYPE kw_seconds histogram\n"), std::string::npos) << text;
  EXPECT_NE(text.find("kw_seconds_bucket{m=\"GET\",le=\"0.0005\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("kw_seconds_bucket{m=\"GET\",le=\"0.0025\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("kw_seconds_bucket{m=\"GET\",le=\"0.005\"} 3\n"), std::string::npos) << text;
  EXPECT_NE(text.find("kw_seconds_bucket{m=\"GET\",le=\"10\"} 3\n"), std::string::npos) << text;
  EXPECT_NE(text.find("kw_seconds_bucket{m=\"GET\",le=\"+Inf\"} 4\n"), std::string::npos) << text;
  EXPECT_NE(text.find("kw_seconds_sum{m=\"GET\"} 64.0079345703125\n"), std::string::npos) << text;
  EXPECT_NE(text.find("kw_seconds_count{m=\"GET\"} 4\n"), std::string::npos) << text;
  // 14 fixed bounds and +Inf.
  size_t buckets = 0;
  for (size_t pos = 0; (pos = text.find("kw_seconds_bucket", pos)) != std::string::npos; ++pos) ++buckets;
  EXPECT_EQ(buckets, Metrics::kBuckets.size() + 1);
}

TEST(Metrics, HistogramWithoutLabels) {
  Metrics m;
  m.Observe("kw_h", "", 1);
  std::string text = m.Render();
  EXPECT_NE(text.find("kw_h_bucket{le=\"1\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("kw_h_count 1\n"), std::string::npos) << text;
  EXPECT_EQ(text.find("# HELP kw_h"), std::string::npos) << text;  // never described
}

TEST(Metrics, UpdatesOfTheWrongKindAreIgnored) {
  Metrics m;
  m.Describe("kw_g", "gauge", "G.");
  m.Add("kw_g", "", 5);
  m.Observe("kw_g", "", 1);
  m.Describe("kw_g", "counter", "Changed help.");  // keeps the type
  EXPECT_EQ(m.Render(), "# HELP kw_g Changed help.\n# TYPE kw_g gauge\n");
}

TEST(Metrics, ConcurrentUpdatesAllCount) {
  Metrics m;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&m] {
      for (int i = 0; i < 10000; ++i) {
        m.Add("kw_c_total", "");
        m.Observe("kw_h", "", 0.001);
      }
    });
  }
  for (auto& t : threads) t.join();
  std::string text = m.Render();
  EXPECT_NE(text.find("kw_c_total 40000\n"), std::string::npos) << text;
  EXPECT_NE(text.find("kw_h_count 40000\n"), std::string::npos) << text;
}

TEST(Metrics, NumbersPrintPlainly) {
  Metrics m;
  m.Set("kw_big", "", 1e7);
  m.Set("kw_small", "", 0.000125);
  m.Set("kw_neg", "", -2.5);
  std::string text = m.Render();
  EXPECT_NE(text.find("kw_big 10000000\n"), std::string::npos) << text;
  EXPECT_NE(text.find("kw_small 0.000125\n"), std::string::npos) << text;
  EXPECT_NE(text.find("kw_neg -2.5\n"), std::string::npos) << text;
}

TEST(MetricLabel, Escapes) {
  EXPECT_EQ(MetricLabel("path", "a\"b\\c\nd"), "path=\"a\\\"b\\\\c\\nd\"");
}

}  // namespace
}  // namespace kw::net
