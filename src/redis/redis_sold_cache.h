// The sold-ticket index shared by every instance: one Redis bitmap per round (bit = ticket
// index), seeded from the store and OR-merged so concurrent marks are never lost; `auto` picks
// draw uniformly from a local SoldIndex rebuilt from that bitmap at most once a second.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "app/sold_cache.h"
#include "redis/redis_client.h"
#include "store/store.h"

namespace p720::redis {

// Thread-safe. Like every SoldCache it may lag (another instance's sale not yet marked, a mark
// lost to an outage) but never reports an unsold ticket as sold, so the store still decides.
// When Redis cannot be reached every call falls back to an in-process MemorySoldCache; after
// an outage each round is re-seeded from the store before the bitmap is trusted again.
class RedisSoldCache final : public app::SoldCache {
 public:
  RedisSoldCache(RedisClient& client, store::Store& store,
                 std::string prefix = "pension720:", std::chrono::milliseconds refresh = std::chrono::seconds(1));

  Result<std::vector<int>> sold_among(int round, const std::vector<int>& tickets) override;
  // From this process's own index (its sales, and what the store refused as sold): no round trip.
  Result<std::vector<int>> known_sold(int round, const std::vector<int>& tickets) override {
    return fallback_.sold_among(round, tickets);
  }
  void mark_sold(int round, const std::vector<int>& tickets) override;
  Result<std::optional<int>> pick(int round, int group, const std::function<bool(int)>& reject) override;
  long long sold_count(int round) override;

 private:
  struct Snapshot {
    std::shared_ptr<const SoldIndex> index;
    std::chrono::steady_clock::time_point fetched;
  };
  std::string bitmap_key(int round) const { return prefix_ + "sold:" + std::to_string(round); }
  std::string ready_key(int round) const { return bitmap_key(round) + ":ready"; }
  // Seeds the round's bitmap from the store (once per round, and again after an outage).
  // False when Redis or the store failed.
  bool ensure_seeded(int round, bool force);
  // Which of `tickets` the Redis bitmap has sold; nullopt when Redis failed.
  std::optional<std::vector<bool>> remote_sold(int round, const std::vector<int>& tickets);
  // A recent local index of the round, or nullptr when Redis failed.
  std::shared_ptr<const SoldIndex> snapshot(int round);
  void on_failure();

  RedisClient& client_;
  store::Store& store_;
  std::string prefix_;
  std::chrono::milliseconds refresh_;
  app::MemorySoldCache fallback_;

  std::mutex seed_mu_;
  std::mutex refresh_mu_;
  std::mutex mu_;
  std::set<int> seeded_;  // rounds seeded since the last Redis failure
  std::map<int, Snapshot> snapshots_;
};

}  // namespace p720::redis
