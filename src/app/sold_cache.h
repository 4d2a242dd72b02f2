// A cache of which tickets of a round are sold, so availability checks and `auto` picks need no
// database round trip. The store stays the truth: a stale cache can only make a request fail
// early or reach the store, never sell twice. Thread-safe.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <vector>

#include "domain/sold_index.h"
#include "domain/status.h"
#include "store/store.h"

namespace p720::app {

class SoldCache {
 public:
  virtual ~SoldCache() = default;
  // The sold ones among `tickets`.
  virtual Result<std::vector<int>> sold_among(int round, const std::vector<int>& tickets) = 0;
  // The sold ones among `tickets` that this process can tell without asking another (it may miss
  // a ticket sold elsewhere a moment ago). For purchases, whose store transaction checks every
  // ticket anyway: this only spares the store the requests that are sure to fail.
  virtual Result<std::vector<int>> known_sold(int round, const std::vector<int>& tickets) {
    return sold_among(round, tickets);
  }
  virtual void mark_sold(int round, const std::vector<int>& tickets) = 0;
  // A uniformly random unsold ticket of `group` (1..5), or unsold digits in all five groups when
  // group is 0 (returned as digits 0..999999), skipping those `reject` refuses. nullopt: none left.
  virtual Result<std::optional<int>> pick(int round, int group, const std::function<bool(int)>& reject) = 0;
  virtual long long sold_count(int round) = 0;
};

// Per-round SoldIndex bitmaps in this process, loaded from the store on first use.
class MemorySoldCache final : public SoldCache {
 public:
  explicit MemorySoldCache(store::Store& store, size_t max_rounds = 3) : store_(store), max_rounds_(max_rounds) {}
  Result<std::vector<int>> sold_among(int round, const std::vector<int>& tickets) override;
  void mark_sold(int round, const std::vector<int>& tickets) override;
  Result<std::optional<int>> pick(int round, int group, const std::function<bool(int)>& reject) override;
  long long sold_count(int round) override;

 private:
  Result<std::shared_ptr<SoldIndex>> index(int round);  // loads if needed

  store::Store& store_;
  size_t max_rounds_;
  std::shared_mutex mu_;
  std::map<int, std::shared_ptr<SoldIndex>> rounds_;
};

// Draws a uniform pick from `index`, skipping rejected candidates. Bounded work: a few random
// tries, then a walk over the unsold tickets from a random start (only reached when nearly every
// unsold ticket is rejected). Exposed for tests.
std::optional<int> pick_from(const SoldIndex& index, int group, const std::function<bool(int)>& reject,
                             const std::function<uint64_t()>& rng);

}  // namespace p720::app
