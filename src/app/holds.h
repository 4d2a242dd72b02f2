// Holds: a ticket put in a cart is reserved for its buyer for a while, so nobody else can select
// or buy it. A hold is advisory — losing every hold (restart, Redis outage) can never sell a
// ticket twice, because the store decides sales. Implementations are thread-safe.
#pragma once

#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "domain/calendar.h"

namespace p720::app {

struct Hold {
  std::string user_id;
  Instant expires;
};

class HoldRegistry {
 public:
  virtual ~HoldRegistry() = default;
  // Holds every ticket for `user` until `until`, all or none. Tickets already held by the same
  // user are extended. Returns the tickets held by someone else (empty means success).
  virtual std::vector<int> acquire(int round, const std::vector<int>& tickets, const std::string& user, Instant now,
                                   Instant until) = 0;
  // Releases the user's holds on these tickets; others' holds are left alone.
  virtual void release(int round, const std::vector<int>& tickets, const std::string& user) = 0;
  // Current unexpired holds of these tickets (nullopt where not held).
  virtual std::vector<std::optional<Hold>> lookup(int round, const std::vector<int>& tickets, Instant now) = 0;
  virtual size_t active(Instant now) = 0;
  virtual bool healthy() { return true; }
};

// Holds in this process's memory: right for a single instance (the embedded default).
class MemoryHolds final : public HoldRegistry {
 public:
  std::vector<int> acquire(int round, const std::vector<int>& tickets, const std::string& user, Instant now,
                           Instant until) override;
  void release(int round, const std::vector<int>& tickets, const std::string& user) override;
  std::vector<std::optional<Hold>> lookup(int round, const std::vector<int>& tickets, Instant now) override;
  size_t active(Instant now) override;

 private:
  static long long key(int round, int ticket) { return static_cast<long long>(round) * 10'000'000 + ticket; }
  void sweep(Instant now);  // drops expired holds; caller holds mu_

  std::mutex mu_;
  std::unordered_map<long long, Hold> holds_;
  Instant last_sweep_{};
};

}  // namespace p720::app
