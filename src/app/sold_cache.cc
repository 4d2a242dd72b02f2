// In-memory sold-ticket cache.
#include "app/sold_cache.h"

#include <mutex>
#include <random>

#include "domain/ticket.h"

namespace p720::app {
namespace {

uint64_t thread_random() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return rng();
}

}  // namespace

std::optional<int> pick_from(const SoldIndex& index, int group, const std::function<bool(int)>& reject,
                             const std::function<uint64_t()>& rng) {
  const bool all = group == 0;
  const int count = all ? index.unsold_all_groups_digits() : index.unsold_in_group(group);
  if (count <= 0) return std::nullopt;
  auto nth = [&](int k) { return all ? index.nth_unsold_digits_all_groups(k) : index.nth_unsold(group, k); };
  for (int attempt = 0; attempt < 16; ++attempt) {
    auto c = nth(static_cast<int>(rng() % static_cast<uint64_t>(count)));
    if (c && !reject(*c)) return c;
  }
  const int start = static_cast<int>(rng() % static_cast<uint64_t>(count));
  for (int i = 0; i < count; ++i) {
    auto c = nth((start + i) % count);
    if (c && !reject(*c)) return c;
  }
  return std::nullopt;
}

Result<std::shared_ptr<SoldIndex>> MemorySoldCache::index(int round) {
  {
    std::shared_lock lock(mu_);
    if (auto it = rounds_.find(round); it != rounds_.end()) return it->second;
  }
  auto sold = store_.sold_tickets(round);
  if (!sold.ok()) return sold.error();
  auto idx = std::make_shared<SoldIndex>();
  for (int t : *sold) idx->mark_sold(t);
  std::unique_lock lock(mu_);
  auto [it, inserted] = rounds_.emplace(round, std::move(idx));
  // Old rounds are evicted; a round is at most reloaded, never wrong, since marks after the
  // load come from committed purchases only.
  while (rounds_.size() > max_rounds_ && rounds_.begin()->first != round) rounds_.erase(rounds_.begin());
  return it->second;
}

Result<std::vector<int>> MemorySoldCache::sold_among(int round, const std::vector<int>& tickets) {
  auto idx = index(round);
  if (!idx.ok()) return idx.error();
  std::shared_lock lock(mu_);
  std::vector<int> out;
  for (int t : tickets)
    if ((*idx)->sold(t)) out.push_back(t);
  return out;
}

void MemorySoldCache::mark_sold(int round, const std::vector<int>& tickets) {
  auto idx = index(round);
  if (!idx.ok()) return;  // not cached: it will load from the store, which has the sale
  std::unique_lock lock(mu_);
  for (int t : tickets) (*idx)->mark_sold(t);
}

Result<std::optional<int>> MemorySoldCache::pick(int round, int group, const std::function<bool(int)>& reject) {
  auto idx = index(round);
  if (!idx.ok()) return idx.error();
  std::shared_lock lock(mu_);
  return pick_from(**idx, group, reject, thread_random);
}

long long MemorySoldCache::sold_count(int round) {
  auto idx = index(round);
  if (!idx.ok()) return 0;
  std::shared_lock lock(mu_);
  return (*idx)->sold_count();
}

}  // namespace p720::app
