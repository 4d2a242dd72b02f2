// Cart holds shared by every instance, in Redis: one key per held ticket whose value is the
// holder and whose PX expiry is the hold's end, plus a sorted set of expiries for counting.
#pragma once

#include <string>
#include <vector>

#include "app/holds.h"
#include "redis/redis_client.h"

namespace p720::redis {

// Thread-safe. acquire is all-or-none (one Lua script); release only removes the caller's own
// holds. Holds are advisory (the store decides sales), so when Redis cannot be reached every
// call degrades instead of failing: acquire succeeds without holding, lookup reports nothing
// held, active() reports 0, and healthy() is false until Redis answers again.
class RedisHolds final : public app::HoldRegistry {
 public:
  explicit RedisHolds(RedisClient& client, std::string prefix = "pension720:");

  std::vector<int> acquire(int round, const std::vector<int>& tickets, const std::string& user, Instant now,
                           Instant until) override;
  void release(int round, const std::vector<int>& tickets, const std::string& user) override;
  std::vector<std::optional<app::Hold>> lookup(int round, const std::vector<int>& tickets, Instant now) override;
  size_t active(Instant now) override;
  bool healthy() override { return client_.healthy(); }

 private:
  std::string key(int round, int ticket) const;

  RedisClient& client_;
  std::string prefix_;
  std::string index_;  // the sorted set of hold keys by expiry (Redis server time, ms)
};

}  // namespace p720::redis
