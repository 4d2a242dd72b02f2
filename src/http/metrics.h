// Prometheus metrics of the HTTP server: request counts per route/method/status and latency
// histograms per route, plus gauges supplied by the application. Thread-safe.
#pragma once

#include <array>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <tuple>
#include <vector>

namespace p720::http {

class Metrics {
 public:
  void observe(const std::string& route, const std::string& method, int status, double seconds);
  // Extra lines appended verbatim (e.g. application gauges); called on every scrape.
  void add_source(std::function<std::string()> source);
  std::string text() const;

 private:
  static constexpr std::array<double, 12> kBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                       0.05,   0.1,   0.25,   0.5,   1,     2.5};
  struct Histogram {
    std::array<long long, kBuckets.size()> buckets{};
    long long count = 0;
    double sum = 0;
  };
  mutable std::mutex mu_;
  std::map<std::tuple<std::string, std::string, int>, long long> requests_;
  std::map<std::string, Histogram> latency_;
  std::vector<std::function<std::string()>> sources_;
};

}  // namespace p720::http
