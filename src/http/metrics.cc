// Prometheus text exposition.
#include "http/metrics.h"

#include <sstream>

namespace p720::http {

void Metrics::observe(const std::string& route, const std::string& method, int status, double seconds) {
  std::lock_guard lock(mu_);
  ++requests_[{route, method, status}];
  auto& h = latency_[route];
  for (size_t i = 0; i < kBuckets.size(); ++i)
    if (seconds <= kBuckets[i]) ++h.buckets[i];
  ++h.count;
  h.sum += seconds;
}

void Metrics::add_source(std::function<std::string()> source) {
  std::lock_guard lock(mu_);
  sources_.push_back(std::move(source));
}

std::string Metrics::text() const {
  std::ostringstream out;
  std::vector<std::function<std::string()>> sources;
  {
    std::lock_guard lock(mu_);
    out << "# HELP pension_http_requests_total HTTP requests by route, method and status.\n"
           "# TYPE pension_http_requests_total counter\n";
    for (const auto& [key, n] : requests_) {
      const auto& [route, method, status] = key;
      out << "pension_http_requests_total{route=\"" << (route.empty() ? "unmatched" : route) << "\",method=\""
          << method << "\",status=\"" << status << "\"} " << n << "\n";
    }
    out << "# HELP pension_http_request_duration_seconds HTTP request latency by route.\n"
           "# TYPE pension_http_request_duration_seconds histogram\n";
    for (const auto& [route, h] : latency_) {
      const std::string r = route.empty() ? "unmatched" : route;
      for (size_t i = 0; i < kBuckets.size(); ++i)
        out << "pension_http_request_duration_seconds_bucket{route=\"" << r << "\",le=\"" << kBuckets[i] << "\"} "
            << h.buckets[i] << "\n";
      out << "pension_http_request_duration_seconds_bucket{route=\"" << r << "\",le=\"+Inf\"} " << h.count << "\n";
      out << "pension_http_request_duration_seconds_sum{route=\"" << r << "\"} " << h.sum << "\n";
      out << "pension_http_request_duration_seconds_count{route=\"" << r << "\"} " << h.count << "\n";
    }
    sources = sources_;
  }
  for (const auto& s : sources) out << s();
  return out.str();
}

}  // namespace p720::http
