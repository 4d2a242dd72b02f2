// Prometheus text exposition (format 0.0.4) of the HTTP metrics.
#include "http/metrics.h"

#include <charconv>
#include <sstream>

#include "app/holds.h"
#include "app/sales.h"
#include "app/sold_cache.h"
#include "domain/calendar.h"

namespace p720::http {

namespace {

const std::string& method_label(const std::string& method) {
  static const std::array<std::string, 9> kKnown = {"GET",   "HEAD",    "POST",    "PUT",  "DELETE",
                                                    "PATCH", "OPTIONS", "CONNECT", "TRACE"};
  static const std::string kOther = "OTHER";
  for (const auto& m : kKnown)
    if (m == method) return m;
  return kOther;
}

std::string route_label(const std::string& route) { return route.empty() ? "unmatched" : route; }

// The shortest decimal (no exponent: le="0.0005", not "5e-04") that reads back as the same double;
// ostream's default would keep 6 digits only.
std::string number(double x) {
  char buf[400];  // enough for any double in fixed notation
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, x, std::chars_format::fixed);
  return ec == std::errc() ? std::string(buf, end) : "NaN";
}

}  // namespace

void Metrics::observe(const std::string& route, const std::string& method, int status, double seconds) {
  const std::string& m = method_label(method);
  std::lock_guard lock(mu_);
  ++requests_[{route, m, status}];
  auto& h = latency_[{route, m}];
  for (size_t i = 0; i < kBuckets.size(); ++i)
    if (seconds <= kBuckets[i]) ++h.buckets[i];
  ++h.count;
  h.sum += seconds;
}

void Metrics::add_source(std::function<std::string()> source) {
  std::lock_guard lock(mu_);
  sources_.push_back(std::move(source));
}

std::string Metrics::sample(const std::string& name, const std::string& type, const std::string& help, long long value,
                            const std::string& labels) {
  return "# HELP " + name + " " + help + "\n# TYPE " + name + " " + type + "\n" + name +
         (labels.empty() ? "" : "{" + labels + "}") + " " + std::to_string(value) + "\n";
}

std::string Metrics::text() const {
  std::ostringstream out;
  std::vector<std::function<std::string()>> sources;
  {
    std::lock_guard lock(mu_);
    // Route patterns and method names hold no quote, backslash or newline: no escaping needed.
    out << "# HELP pension_http_requests_total HTTP requests answered, by route pattern, method and status.\n"
           "# TYPE pension_http_requests_total counter\n";
    for (const auto& [key, n] : requests_) {
      const auto& [route, method, status] = key;
      out << "pension_http_requests_total{route=\"" << route_label(route) << "\",method=\"" << method << "\",status=\""
          << status << "\"} " << n << "\n";
    }
    out << "# HELP pension_http_request_duration_seconds Time from a request read to its response, by route "
           "pattern and method.\n"
           "# TYPE pension_http_request_duration_seconds histogram\n";
    for (const auto& [key, h] : latency_) {
      const std::string labels = "route=\"" + route_label(key.first) + "\",method=\"" + key.second + "\"";
      for (size_t i = 0; i < kBuckets.size(); ++i)
        out << "pension_http_request_duration_seconds_bucket{" << labels << ",le=\"" << number(kBuckets[i]) << "\"} "
            << h.buckets[i] << "\n";
      out << "pension_http_request_duration_seconds_bucket{" << labels << ",le=\"+Inf\"} " << h.count << "\n";
      out << "pension_http_request_duration_seconds_sum{" << labels << "} " << number(h.sum) << "\n";
      out << "pension_http_request_duration_seconds_count{" << labels << "} " << h.count << "\n";
    }
    sources = sources_;
  }
  for (const auto& s : sources) out << s();
  return out.str();
}

std::function<std::string()> sales_metrics(const app::Sales& sales, app::HoldRegistry& holds, app::SoldCache& sold,
                                           const RoundCalendar& calendar, const app::Clock& clock) {
  return [&sales, &holds, &sold, &calendar, &clock] {
    const auto now = clock.now();
    const int round = calendar.current_round(now);
    return Metrics::sample("pension_purchases_total", "counter",
                           "Purchases this instance committed (checkouts and direct purchases; replays not counted).",
                           sales.purchases_made()) +
           Metrics::sample("pension_tickets_purchased_total", "counter", "Tickets in those purchases.",
                           sales.tickets_sold()) +
           Metrics::sample("pension_active_holds", "gauge", "Tickets held in carts now (this instance's view).",
                           static_cast<long long>(holds.active(now))) +
           Metrics::sample("pension_tickets_sold", "gauge", "Tickets sold in the current round.",
                           sold.sold_count(round), "round=\"" + std::to_string(round) + "\"");
  };
}

std::function<std::string()> redis_metrics(std::function<bool()> ping) {
  return [ping = std::move(ping)] {
    return Metrics::sample("pension_redis_up", "gauge", "1 when Redis answered a PING at this scrape, else 0.",
                           ping() ? 1 : 0);
  };
}

}  // namespace p720::http
