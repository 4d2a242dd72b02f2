// In-memory hold registry.
#include "app/holds.h"

namespace p720::app {

std::vector<int> MemoryHolds::acquire(int round, const std::vector<int>& tickets, const std::string& user, Instant now,
                                      Instant until) {
  std::lock_guard lock(mu_);
  sweep(now);
  std::vector<int> taken;
  for (int t : tickets) {
    auto it = holds_.find(key(round, t));
    if (it != holds_.end() && it->second.expires > now && it->second.user_id != user) taken.push_back(t);
  }
  if (!taken.empty()) return taken;
  for (int t : tickets) holds_[key(round, t)] = Hold{user, until};
  return taken;
}

void MemoryHolds::release(int round, const std::vector<int>& tickets, const std::string& user) {
  std::lock_guard lock(mu_);
  for (int t : tickets) {
    auto it = holds_.find(key(round, t));
    if (it != holds_.end() && it->second.user_id == user) holds_.erase(it);
  }
}

std::vector<std::optional<Hold>> MemoryHolds::lookup(int round, const std::vector<int>& tickets, Instant now) {
  std::lock_guard lock(mu_);
  std::vector<std::optional<Hold>> out;
  out.reserve(tickets.size());
  for (int t : tickets) {
    auto it = holds_.find(key(round, t));
    if (it != holds_.end() && it->second.expires > now) out.emplace_back(it->second);
    else out.emplace_back(std::nullopt);
  }
  return out;
}

size_t MemoryHolds::active(Instant now) {
  std::lock_guard lock(mu_);
  sweep(now);
  return holds_.size();
}

void MemoryHolds::sweep(Instant now) {
  // Amortised: at most once a second, so memory stays bounded by live holds.
  if (now - last_sweep_ < std::chrono::seconds(1)) return;
  last_sweep_ = now;
  std::erase_if(holds_, [&](const auto& kv) { return kv.second.expires <= now; });
}

}  // namespace p720::app
