// Token-bucket rate limiter.
#include "http/rate_limiter.h"

#include <algorithm>

namespace p720::http {

bool RateLimiter::allow(const std::string& user) {
  if (rate_ <= 0) return true;
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
  if (b.tokens < 1) return false;
  b.tokens -= 1;
  return true;
}

}  // namespace p720::http
