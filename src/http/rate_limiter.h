// Per-user token buckets for the cart and purchase routes (429 TOO_MANY_REQUESTS). Generous by
// default so an honest client never meets it. Thread-safe.
#pragma once

#include <chrono>
#include <mutex>
#include <string>
#include <unordered_map>

namespace p720::http {

class RateLimiter {
 public:
  // rate 0 turns limiting off.
  RateLimiter(double per_second, double burst) : rate_(per_second), burst_(burst) {}
  // Takes one token for `user`: 0 when taken, else the whole seconds until one is there again
  // (at least 1), for Retry-After.
  int acquire(const std::string& user);

 private:
  struct Bucket {
    double tokens;
    std::chrono::steady_clock::time_point last;
  };
  double rate_, burst_;
  std::mutex mu_;
  std::unordered_map<std::string, Bucket> buckets_;
  std::chrono::steady_clock::time_point last_sweep_{};
};

}  // namespace p720::http
