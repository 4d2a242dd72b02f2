// Token-bucket rate limiter.
#include "http/rate_limiter.h"

#include <algorithm>
#include <cmath>

namespace p720::http {

int RateLimiter::acquire(const std::string& user) {
  if (rate_ <= 0) return 0;
  const auto now = std::chrono::steady_clock::now();
  std::lock_guard lock(mu_);
  // Buckets that have refilled completely carry no state; drop them now and then so memory is
  // bounded by recently active users.
  if (now - last_sweep_ > std::chrono::seconds(60)) {
    last_sweep_ = now;
    std::erase_if(buckets_, [&](const auto& kv) {
      return kv.second.tokens + std::chrono::duration<double>(now - kv.second.last).count() * rate_ >= burst_;
    });
  }
  auto [it, fresh] = buckets_.try_emplace(user, Bucket{burst_, now});
  auto& b = it->second;
  if (!fresh) {
    b.tokens = std::min(burst_, b.tokens + std::chrono::duration<double>(now - b.last).count() * rate_);
    b.last = now;
  }
  if (b.tokens < 1) return std::max(1, static_cast<int>(std::ceil((1 - b.tokens) / rate_)));
  b.tokens -= 1;
  return 0;
}

}  // namespace p720::http
