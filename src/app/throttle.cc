// Sliding-window counters.
#include "app/throttle.h"

#include <algorithm>

namespace p720::app {

long long Throttle::retry_after(const std::string& key, Clock::time_point now) {
  if (max_ <= 0) return 0;
  std::lock_guard lock(mu_);
  auto it = events_.find(key);
  if (it == events_.end()) return 0;
  auto& q = it->second;
  while (!q.empty() && q.front() + window_ <= now) q.pop_front();
  if (static_cast<int>(q.size()) < max_) return 0;
  // The oldest event that must leave the window before the count is under max again.
  const auto free_at = q[q.size() - static_cast<size_t>(max_)] + window_;
  const auto secs = std::chrono::ceil<std::chrono::seconds>(free_at - now).count();
  return secs < 1 ? 1 : secs;
}

void Throttle::record(const std::string& key, Clock::time_point now) {
  if (max_ <= 0) return;
  std::lock_guard lock(mu_);
  sweep(now);
  auto& q = events_[key];
  q.push_back(now);
  // Older events beyond max never matter again.
  while (static_cast<int>(q.size()) > max_) q.pop_front();
}

void Throttle::reset(const std::string& key) {
  std::lock_guard lock(mu_);
  events_.erase(key);
}

void Throttle::sweep(Clock::time_point now) {
  if (now - last_sweep_ < window_ && events_.size() < sweep_at_) return;
  last_sweep_ = now;
  for (auto it = events_.begin(); it != events_.end();) {
    if (it->second.empty() || it->second.back() + window_ <= now) it = events_.erase(it);
    else ++it;
  }
  // Keys still live stay; sweeping them again on every event would cost O(keys) each.
  sweep_at_ = std::max<size_t>(100'000, 2 * events_.size());
}

}  // namespace p720::app
