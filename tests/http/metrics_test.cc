// The HTTP metrics' exposition text: cumulative histogram buckets, bounded label values.
#include "http/metrics.h"

#include <gtest/gtest.h>

namespace p720::http {
namespace {

bool has(const std::string& text, const std::string& line) { return text.find(line + "\n") != std::string::npos; }

TEST(MetricsTest, LatencyBucketsAreCumulativeWithInfSumAndCount) {
  Metrics m;
  m.observe("/api/v1/pension/purchases", "POST", 201, 0.00390625);  // exact in binary, so the sum is too
  m.observe("/api/v1/pension/purchases", "POST", 201, 0.25);
  m.observe("/api/v1/pension/purchases", "POST", 409, 7.0);
  const std::string t = m.text();
  const std::string b =
      "pension_http_request_duration_seconds_bucket{route=\"/api/v1/pension/purchases\",method=\"POST\",";
  EXPECT_TRUE(has(t, "# TYPE pension_http_request_duration_seconds histogram")) << t;
  EXPECT_TRUE(has(t, b + "le=\"0.0005\"} 0")) << t;  // plain decimals, as before
  EXPECT_TRUE(has(t, b + "le=\"0.0025\"} 0")) << t;
  EXPECT_TRUE(has(t, b + "le=\"0.005\"} 1")) << t;
  EXPECT_TRUE(has(t, b + "le=\"0.1\"} 1")) << t;
  EXPECT_TRUE(has(t, b + "le=\"0.25\"} 2")) << t;
  EXPECT_TRUE(has(t, b + "le=\"2.5\"} 2")) << t;
  EXPECT_TRUE(has(t, b + "le=\"+Inf\"} 3")) << t;
  EXPECT_TRUE(has(
      t, "pension_http_request_duration_seconds_sum{route=\"/api/v1/pension/purchases\",method=\"POST\"} 7.25390625"))
      << t;
  EXPECT_TRUE(
      has(t, "pension_http_request_duration_seconds_count{route=\"/api/v1/pension/purchases\",method=\"POST\"} 3"))
      << t;
  EXPECT_TRUE(
      has(t, "pension_http_requests_total{route=\"/api/v1/pension/purchases\",method=\"POST\",status=\"409\"} 1"))
      << t;
}

TEST(MetricsTest, UnknownMethodsAndUnmatchedRoutesShareOneSeries) {
  Metrics m;
  m.observe("", "FOO", 404, 0.001);
  m.observe("", "BAR\"", 404, 0.001);
  const std::string t = m.text();
  EXPECT_TRUE(has(t, "pension_http_requests_total{route=\"unmatched\",method=\"OTHER\",status=\"404\"} 2")) << t;
  EXPECT_EQ(t.find("FOO"), std::string::npos) << t;
}

TEST(MetricsTest, SourcesAreAppendedAndSampleHasHelpAndType) {
  Metrics m;
  m.add_source([] { return Metrics::sample("pension_redis_up", "gauge", "Redis answered.", 1); });
  const std::string t = m.text();
  EXPECT_TRUE(has(t, "# HELP pension_redis_up Redis answered.")) << t;
  EXPECT_TRUE(has(t, "# TYPE pension_redis_up gauge")) << t;
  EXPECT_TRUE(has(t, "pension_redis_up 1")) << t;
  EXPECT_EQ(Metrics::sample("x", "gauge", "h", 3, "round=\"343\""), "# HELP x h\n# TYPE x gauge\nx{round=\"343\"} 3\n");
}

}  // namespace
}  // namespace p720::http
