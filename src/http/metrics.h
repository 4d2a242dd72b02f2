// Prometheus metrics of the HTTP server: request counts per route/method/status and latency
// histograms per route and method, plus text supplied by other layers. Thread-safe.
#pragma once

#include <array>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

namespace p720 {
class RoundCalendar;
namespace app {
class Sales;
class HoldRegistry;
class SoldCache;
class Clock;
}  // namespace app
}  // namespace p720

namespace p720::http {

class Metrics {
 public:
  // `route` is the pattern matched ("" when none matched); a method outside the standard ones
  // is counted as OTHER, so a client cannot grow the series without bound.
  void observe(const std::string& route, const std::string& method, int status, double seconds);
  // Text in the exposition format (with its # HELP and # TYPE lines) appended verbatim, e.g.
  // the store's or the application's; called on every scrape, without the lock held.
  void add_source(std::function<std::string()> source);
  std::string text() const;
  // One metric of one sample in the exposition format, for add_source: `type` is "counter" or
  // "gauge"; `labels` is empty or like `round="343"`.
  static std::string sample(const std::string& name, const std::string& type, const std::string& help, long long value,
                            const std::string& labels = "");

 private:
  static constexpr std::array<double, 12> kBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                      0.05,   0.1,   0.25,   0.5,   1,    2.5};
  struct Histogram {
    std::array<long long, kBuckets.size()> buckets{};  // cumulative: observations <= kBuckets[i]
    long long count = 0;
    double sum = 0;
  };
  mutable std::mutex mu_;
  std::map<std::tuple<std::string, std::string, int>, long long> requests_;
  std::map<std::pair<std::string, std::string>, Histogram> latency_;  // by (route, method)
  std::vector<std::function<std::string()>> sources_;
};

// Metrics::add_source texts of the other layers, named and described here with the server's own:
// the application's sales (purchases, tickets, holds, the current round's sold tickets) …
std::function<std::string()> sales_metrics(const app::Sales& sales, app::HoldRegistry& holds, app::SoldCache& sold,
                                           const RoundCalendar& calendar, const app::Clock& clock);
// … and whether Redis answers (`ping` asks it, at every scrape).
std::function<std::string()> redis_metrics(std::function<bool()> ping);

}  // namespace p720::http
