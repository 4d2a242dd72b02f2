// The in-memory set of sold tickets of one round, with the rank/select queries that let
// an auto pick choose uniformly among unsold tickets in O(log n), even when nearly full.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "domain/rank_bitmap.h"
#include "domain/ticket.h"

namespace p720 {

// Two rank bitmaps:
//  - tickets: one bit per ticket index (5,000,000), set when sold;
//  - digits:  one bit per six-digit value (1,000,000), set when that value is sold in at
//    least one group, so an all-groups (group 0) pick is uniform among the digit values
//    still unsold in every group.
// About 800 KB in all (memory_bytes() < 1 MB).
//
// Random picks take the random value as a parameter, so this class stays pure and tests
// can drive it. Indexes outside [0, kTicketsPerRound) are never sold: mark_sold and
// unmark ignore them and queries report them unsold.
//
// Not thread-safe: the owner (one per round) must serialise all access, reads included.
class SoldIndex {
 public:
  SoldIndex();

  bool sold(int ticket) const;
  // Returns false if the ticket was already sold (or `ticket` is not 0..4,999,999).
  bool mark_sold(int ticket);
  // Undoes mark_sold (for rebuilds and tests). A digit value stays marked as long as any
  // group's ticket with those digits is still sold.
  void unmark(int ticket);

  // Unsold tickets of group 1..5; 0 for any other group.
  int unsold_in_group(int group) const;
  // Digit values 0..999999 unsold in all five groups.
  int unsold_all_groups_digits() const;
  long long sold_count() const;

  // Uniform picks. `r` is a uniform random 64-bit value from the caller; it is reduced
  // modulo the number of candidates (bias below 2^-40, irrelevant here), so r = 0, 1, 2, …
  // walk the candidates in order.
  // A ticket index in `group` that is unsold; nullopt if none (or group is not 1..5).
  std::optional<int> pick_unsold(int group, uint64_t r) const;
  // Digits 0..999999 unsold in every group; nullopt if none.
  std::optional<int> pick_unsold_digits_all_groups(uint64_t r) const;

  // The k-th (0-based, in index order) unsold ticket index of `group`; nullopt when k is
  // out of [0, unsold_in_group(group)).
  std::optional<int> nth_unsold(int group, int k) const;
  // The k-th (0-based, ascending) digit value unsold in every group.
  std::optional<int> nth_unsold_digits_all_groups(int k) const;

  size_t memory_bytes() const;

 private:
  RankBitmap tickets_;
  RankBitmap digits_;
};

}  // namespace p720
