// Redis-backed sold-ticket cache.
#include "redis/redis_sold_cache.h"

#include <spdlog/spdlog.h>

#include <random>

#include "domain/ticket.h"

namespace p720::redis {
namespace {

// KEYS[1] = bitmap, KEYS[2] = ready marker; ARGV = bit offsets. nil when not seeded.
constexpr const char* kCheck = R"lua(
if redis.call('EXISTS', KEYS[2]) == 0 then return false end
local out = {}
for i = 1, #ARGV do out[i] = redis.call('GETBIT', KEYS[1], ARGV[i]) end
return out
)lua";

// KEYS[1] = bitmap; ARGV = bit offsets to set.
constexpr const char* kMark = R"lua(
for i = 1, #ARGV do redis.call('SETBIT', KEYS[1], ARGV[i], 1) end
return #ARGV
)lua";

// KEYS[1] = bitmap, KEYS[2] = ready marker, KEYS[3] = scratch key; ARGV[1] = bitmap built from
// the store. OR keeps every bit another instance set meanwhile.
constexpr const char* kSeed = R"lua(
redis.call('SET', KEYS[3], ARGV[1])
redis.call('BITOP', 'OR', KEYS[1], KEYS[1], KEYS[3])
redis.call('DEL', KEYS[3])
redis.call('SET', KEYS[2], '1')
return 1
)lua";

// KEYS[1] = bitmap, KEYS[2] = ready marker. The bitmap ('' when empty), nil when not seeded.
constexpr const char* kFetch = R"lua(
if redis.call('EXISTS', KEYS[2]) == 0 then return false end
return redis.call('GET', KEYS[1]) or ''
)lua";

// KEYS[1] = bitmap, KEYS[2] = ready marker. nil when not seeded.
constexpr const char* kCount = R"lua(
if redis.call('EXISTS', KEYS[2]) == 0 then return false end
return redis.call('BITCOUNT', KEYS[1])
)lua";

constexpr size_t kBitmapBytes = (kTicketsPerRound + 7) / 8;
// Bounds the Redis checks of one pick; past it candidates are trusted (the store decides).
constexpr int kMaxRemoteChecks = 32;

uint64_t thread_random() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return rng();
}

std::vector<int> tickets_of_candidate(int group, int candidate) {
  if (group != 0) return {candidate};
  std::vector<int> out;
  for (int g = 1; g <= kGroups; ++g) out.push_back(Ticket{g, candidate}.index());
  return out;
}

}  // namespace

RedisSoldCache::RedisSoldCache(RedisClient& client, store::Store& store, std::string prefix,
                               std::chrono::milliseconds refresh)
    : client_(client), store_(store), prefix_(std::move(prefix)), refresh_(refresh), fallback_(store) {}

void RedisSoldCache::on_failure() {
  std::lock_guard lock(mu_);
  seeded_.clear();  // marks may have been lost meanwhile: re-seed from the store
}

bool RedisSoldCache::ensure_seeded(int round, bool force) {
  {
    std::lock_guard lock(mu_);
    if (!force && seeded_.count(round)) return true;
  }
  // During an outage, fail fast instead of reading the round from the store on every call.
  if (!client_.healthy() && !client_.ping()) return false;
  std::lock_guard seeding(seed_mu_);  // one seeding at a time; the others then find it done
  {
    std::lock_guard lock(mu_);
    if (!force && seeded_.count(round)) return true;
  }
  // Read the store first, then merge: a sale committed after this read is marked by its seller.
  auto sold = store_.sold_tickets(round);
  if (!sold.ok()) return false;
  std::string bits(kBitmapBytes, '\0');
  for (int t : *sold)
    if (t >= 0 && t < kTicketsPerRound) bits[t >> 3] = static_cast<char>(bits[t >> 3] | (0x80 >> (t & 7)));
  auto r = client_.eval(kSeed, {bitmap_key(round), ready_key(round), bitmap_key(round) + ":seed"}, {bits});
  if (!r || r->error()) {
    on_failure();
    return false;
  }
  std::lock_guard lock(mu_);
  seeded_.insert(round);
  return true;
}

std::optional<std::vector<bool>> RedisSoldCache::remote_sold(int round, const std::vector<int>& tickets) {
  if (!ensure_seeded(round, false)) return std::nullopt;
  std::vector<std::string> offsets;
  offsets.reserve(tickets.size());
  for (int t : tickets) offsets.push_back(std::to_string(t));
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto r = client_.eval(kCheck, {bitmap_key(round), ready_key(round)}, offsets);
    if (!r || r->error()) {
      on_failure();
      return std::nullopt;
    }
    if (r->nil()) {  // Redis lost the bitmap (restart without persistence): seed it again
      if (!ensure_seeded(round, true)) return std::nullopt;
      continue;
    }
    std::vector<bool> out;
    for (const auto& e : r->elements) out.push_back(e.integer == 1);
    if (out.size() != tickets.size()) return std::nullopt;
    return out;
  }
  return std::nullopt;
}

Result<std::vector<int>> RedisSoldCache::sold_among(int round, const std::vector<int>& tickets) {
  auto remote = remote_sold(round, tickets);
  if (!remote) return fallback_.sold_among(round, tickets);
  std::vector<int> out;
  for (size_t i = 0; i < tickets.size(); ++i)
    if ((*remote)[i]) out.push_back(tickets[i]);
  return out;
}

void RedisSoldCache::mark_sold(int round, const std::vector<int>& tickets) {
  if (tickets.empty()) return;
  fallback_.mark_sold(round, tickets);
  std::vector<std::string> offsets;
  offsets.reserve(tickets.size());
  for (int t : tickets) offsets.push_back(std::to_string(t));
  // Off the caller's thread (the store's writer): the shared bitmap is advisory, and the local
  // fallback above is already marked.
  client_.eval_later(kMark, {bitmap_key(round)}, std::move(offsets), true);
}

std::shared_ptr<const SoldIndex> RedisSoldCache::snapshot(int round) {
  auto fresh = [&]() -> std::shared_ptr<const SoldIndex> {
    std::lock_guard lock(mu_);
    auto it = snapshots_.find(round);
    if (it == snapshots_.end()) return nullptr;
    if (std::chrono::steady_clock::now() - it->second.fetched < refresh_) return it->second.index;
    return nullptr;
  };
  if (auto index = fresh()) return index;
  std::shared_ptr<const SoldIndex> stale;
  {
    std::lock_guard lock(mu_);
    if (auto it = snapshots_.find(round); it != snapshots_.end()) stale = it->second.index;
  }
  // One thread fetches (625 KB) and rebuilds; meanwhile the others keep using the stale copy,
  // or, when there is none yet, wait for the first one.
  std::unique_lock refreshing(refresh_mu_, std::defer_lock);
  if (stale) {
    if (!refreshing.try_lock()) return stale;
  } else {
    refreshing.lock();
  }
  if (auto index = fresh()) return index;
  const auto now = std::chrono::steady_clock::now();
  if (!ensure_seeded(round, false)) return nullptr;
  auto r = client_.eval(kFetch, {bitmap_key(round), ready_key(round)}, {});
  if (!r || r->error()) {
    on_failure();
    return nullptr;
  }
  if (r->nil()) {
    ensure_seeded(round, true);
    return nullptr;  // the next call sees the seeded bitmap
  }
  auto index = std::make_shared<SoldIndex>();
  const std::string& bits = r->str;
  for (size_t byte = 0; byte < bits.size(); ++byte) {
    const auto b = static_cast<unsigned char>(bits[byte]);
    if (!b) continue;
    for (int bit = 0; bit < 8; ++bit)
      if (b & (0x80 >> bit)) index->mark_sold(static_cast<int>(byte * 8 + bit));
  }
  std::lock_guard lock(mu_);
  snapshots_[round] = Snapshot{index, now};
  while (snapshots_.size() > 3) snapshots_.erase(snapshots_.begin());  // old rounds
  return index;
}

Result<std::optional<int>> RedisSoldCache::pick(int round, int group, const std::function<bool(int)>& reject) {
  auto index = snapshot(round);
  if (!index) return fallback_.pick(round, group, reject);
  // The snapshot may be up to a second old: confirm a candidate against the live bitmap.
  int checks = 0;
  auto reject_sold = [&](int candidate) {
    if (reject(candidate)) return true;
    if (checks++ >= kMaxRemoteChecks) return false;
    auto remote = remote_sold(round, tickets_of_candidate(group, candidate));
    if (!remote) return false;
    for (bool s : *remote)
      if (s) return true;
    return false;
  };
  // The snapshot is immutable once published, so concurrent picks may read it without a lock.
  return app::pick_from(*index, group, reject_sold, thread_random);
}

long long RedisSoldCache::sold_count(int round) {
  if (ensure_seeded(round, false)) {
    auto r = client_.eval(kCount, {bitmap_key(round), ready_key(round)}, {});
    if (r && r->type == Reply::Type::kInteger) return r->integer;
    if (!r) on_failure();
  }
  return fallback_.sold_count(round);
}

}  // namespace p720::redis
