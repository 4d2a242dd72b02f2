// Unit tests for SoldIndex: counts, picks that never return sold tickets, rank/select
// against brute force, the all-groups digit set, and the memory bound.
#include "domain/sold_index.h"

#include <gtest/gtest.h>

#include <limits>
#include <map>
#include <random>
#include <set>
#include <vector>

namespace p720 {
namespace {

int idx(int group, int digits) { return Ticket{group, digits}.index(); }

TEST(SoldIndexTest, FreshIndexIsEmpty) {
  const SoldIndex s;
  EXPECT_EQ(s.sold_count(), 0);
  for (int g = 1; g <= kGroups; ++g) EXPECT_EQ(s.unsold_in_group(g), kNumbersPerGroup);
  EXPECT_EQ(s.unsold_all_groups_digits(), kNumbersPerGroup);
  EXPECT_FALSE(s.sold(0));
  EXPECT_FALSE(s.sold(kTicketsPerRound - 1));
  EXPECT_EQ(s.nth_unsold(1, 0), 0);
  EXPECT_EQ(s.nth_unsold(5, kNumbersPerGroup - 1), kTicketsPerRound - 1);
  EXPECT_EQ(s.nth_unsold_digits_all_groups(123), 123);
}

TEST(SoldIndexTest, MemoryStaysUnderOneMegabyte) {
  const SoldIndex s;
  EXPECT_LT(s.memory_bytes(), 1'000'000u);
  EXPECT_GT(s.memory_bytes(), 5'000'000u / 8);  // the ticket bitmap alone is 625 KB
}

TEST(SoldIndexTest, MarkSoldUpdatesCounts) {
  SoldIndex s;
  EXPECT_TRUE(s.mark_sold(idx(2, 49309)));
  EXPECT_FALSE(s.mark_sold(idx(2, 49309)));
  EXPECT_TRUE(s.sold(idx(2, 49309)));
  EXPECT_FALSE(s.sold(idx(1, 49309)));
  EXPECT_FALSE(s.sold(idx(3, 49309)));
  EXPECT_EQ(s.sold_count(), 1);
  EXPECT_EQ(s.unsold_in_group(2), kNumbersPerGroup - 1);
  EXPECT_EQ(s.unsold_in_group(1), kNumbersPerGroup);
  EXPECT_EQ(s.unsold_all_groups_digits(), kNumbersPerGroup - 1);

  EXPECT_TRUE(s.mark_sold(idx(5, 49309)));  // same digits, other group
  EXPECT_EQ(s.unsold_all_groups_digits(), kNumbersPerGroup - 1);
  EXPECT_TRUE(s.mark_sold(idx(5, 0)));
  EXPECT_EQ(s.unsold_all_groups_digits(), kNumbersPerGroup - 2);
  EXPECT_EQ(s.sold_count(), 3);
}

TEST(SoldIndexTest, UnmarkKeepsDigitsSoldWhileAnyGroupHoldsThem) {
  SoldIndex s;
  ASSERT_TRUE(s.mark_sold(idx(1, 777)));
  ASSERT_TRUE(s.mark_sold(idx(3, 777)));
  s.unmark(idx(1, 777));
  EXPECT_FALSE(s.sold(idx(1, 777)));
  EXPECT_EQ(s.unsold_all_groups_digits(), kNumbersPerGroup - 1);
  EXPECT_EQ(s.nth_unsold_digits_all_groups(777), 778);
  s.unmark(idx(1, 777));  // unmarking an unsold ticket changes nothing
  EXPECT_EQ(s.sold_count(), 1);
  s.unmark(idx(3, 777));
  EXPECT_EQ(s.sold_count(), 0);
  EXPECT_EQ(s.unsold_all_groups_digits(), kNumbersPerGroup);
  EXPECT_EQ(s.nth_unsold_digits_all_groups(777), 777);
  EXPECT_TRUE(s.mark_sold(idx(1, 777)));  // can be sold again after undo
}

TEST(SoldIndexTest, OutOfRangeArgumentsAreHarmless) {
  SoldIndex s;
  EXPECT_FALSE(s.mark_sold(-1));
  EXPECT_FALSE(s.mark_sold(kTicketsPerRound));
  s.unmark(-1);
  s.unmark(kTicketsPerRound);
  EXPECT_FALSE(s.sold(-1));
  EXPECT_FALSE(s.sold(kTicketsPerRound));
  EXPECT_EQ(s.sold_count(), 0);
  EXPECT_EQ(s.unsold_in_group(0), 0);
  EXPECT_EQ(s.unsold_in_group(6), 0);
  EXPECT_FALSE(s.pick_unsold(0, 1));
  EXPECT_FALSE(s.pick_unsold(6, 1));
  EXPECT_FALSE(s.nth_unsold(1, -1));
  EXPECT_FALSE(s.nth_unsold(1, kNumbersPerGroup));
  EXPECT_FALSE(s.nth_unsold_digits_all_groups(-1));
  EXPECT_FALSE(s.nth_unsold_digits_all_groups(kNumbersPerGroup));
}

TEST(SoldIndexTest, ThreeLeftAreEachReachable) {
  SoldIndex s;
  const std::set<int> left = {idx(2, 0), idx(2, 500001), idx(2, 999999)};
  for (int d = 0; d < kNumbersPerGroup; ++d) {
    if (!left.count(idx(2, d))) s.mark_sold(idx(2, d));
  }
  ASSERT_EQ(s.unsold_in_group(2), 3);
  EXPECT_EQ(s.pick_unsold(2, 0), idx(2, 0));
  EXPECT_EQ(s.pick_unsold(2, 1), idx(2, 500001));
  EXPECT_EQ(s.pick_unsold(2, 2), idx(2, 999999));
  EXPECT_EQ(s.pick_unsold(2, 3), idx(2, 0));
  const uint64_t big = std::numeric_limits<uint64_t>::max();
  std::set<int> seen;
  for (uint64_t r : {big, big - 1, big - 2}) {
    auto pick = s.pick_unsold(2, r);
    ASSERT_TRUE(pick);
    EXPECT_TRUE(left.count(*pick));
    seen.insert(*pick);
  }
  EXPECT_EQ(seen, left);
  // Consecutive r values spread evenly: exactly uniform over any multiple of 3.
  std::map<int, int> counts;
  for (uint64_t r = 0; r < 3000; ++r) ++counts[*s.pick_unsold(2, r)];
  for (int t : left) EXPECT_EQ(counts[t], 1000);
  // Other groups are untouched.
  EXPECT_EQ(s.unsold_in_group(1), kNumbersPerGroup);
  EXPECT_EQ(s.unsold_in_group(3), kNumbersPerGroup);
  EXPECT_EQ(s.unsold_all_groups_digits(), 3);
}

TEST(SoldIndexTest, FullySoldGroupHasNothingToPick) {
  SoldIndex s;
  for (int d = 0; d < kNumbersPerGroup; ++d) ASSERT_TRUE(s.mark_sold(idx(4, d)));
  EXPECT_EQ(s.unsold_in_group(4), 0);
  EXPECT_FALSE(s.pick_unsold(4, 0));
  EXPECT_FALSE(s.pick_unsold(4, 12345));
  EXPECT_FALSE(s.nth_unsold(4, 0));
  EXPECT_EQ(s.unsold_all_groups_digits(), 0);
  EXPECT_FALSE(s.pick_unsold_digits_all_groups(7));
  // Neighbouring groups still pick inside themselves.
  EXPECT_EQ(s.nth_unsold(3, kNumbersPerGroup - 1), idx(3, 999999));
  EXPECT_EQ(s.nth_unsold(5, 0), idx(5, 0));
  EXPECT_EQ(s.pick_unsold(5, 0), idx(5, 0));
}

TEST(SoldIndexTest, EverythingSold) {
  SoldIndex s;
  for (int i = 0; i < kTicketsPerRound; ++i) s.mark_sold(i);
  EXPECT_EQ(s.sold_count(), kTicketsPerRound);
  for (int g = 1; g <= kGroups; ++g) EXPECT_FALSE(s.pick_unsold(g, 99));
  EXPECT_FALSE(s.pick_unsold_digits_all_groups(99));
  s.unmark(kTicketsPerRound - 1);
  EXPECT_EQ(s.pick_unsold(5, 99), kTicketsPerRound - 1);
  EXPECT_EQ(s.pick_unsold_digits_all_groups(99), std::nullopt);  // sold in groups 1..4
}

TEST(SoldIndexTest, NearlySoldOutPicksNeverReturnSold) {
  SoldIndex s;
  std::mt19937_64 rng(42);
  // Sell 99.99% of group 1: leave 100 random tickets.
  std::set<int> left;
  while (left.size() < 100) left.insert(static_cast<int>(rng() % kNumbersPerGroup));
  for (int d = 0; d < kNumbersPerGroup; ++d) {
    if (!left.count(d)) s.mark_sold(idx(1, d));
  }
  ASSERT_EQ(s.unsold_in_group(1), 100);
  std::set<int> seen;
  for (int i = 0; i < 20000; ++i) {
    auto pick = s.pick_unsold(1, rng());
    ASSERT_TRUE(pick);
    ASSERT_FALSE(s.sold(*pick));
    ASSERT_EQ(Ticket::from_index(*pick).group, 1);
    seen.insert(*pick);
  }
  EXPECT_EQ(seen.size(), 100u);  // all reachable (each missed with p ~ e^-200)
}

// Random mixed-density pattern; every rank/select answer is compared to brute force.
TEST(SoldIndexTest, NthUnsoldMatchesBruteForce) {
  SoldIndex s;
  std::vector<char> ref(kTicketsPerRound, 0);
  std::mt19937_64 rng(7);
  // Regions of very different density, including whole 512-bit blocks sold.
  for (int i = 0; i < kTicketsPerRound; ++i) {
    const int region = i / 40000;
    const uint64_t density = region % 4 == 0 ? 0 : region % 4 == 1 ? 5 : region % 4 == 2 ? 60 : 100;
    if (rng() % 100 < density) {
      ASSERT_TRUE(s.mark_sold(i));
      ref[i] = 1;
    }
  }
  // Some undo, to exercise unmark.
  for (int n = 0; n < 100000; ++n) {
    const int i = static_cast<int>(rng() % kTicketsPerRound);
    if (ref[i]) {
      s.unmark(i);
      ref[i] = 0;
    }
  }
  long long sold = 0;
  for (char c : ref) sold += c;
  EXPECT_EQ(s.sold_count(), sold);

  for (int g = 1; g <= kGroups; ++g) {
    std::vector<int> unsold;
    for (int d = 0; d < kNumbersPerGroup; ++d) {
      const int i = idx(g, d);
      ASSERT_EQ(s.sold(i), ref[i] != 0);
      if (!ref[i]) unsold.push_back(i);
    }
    ASSERT_EQ(s.unsold_in_group(g), static_cast<int>(unsold.size())) << g;
    for (size_t k = 0; k < unsold.size(); ++k) {
      ASSERT_EQ(s.nth_unsold(g, static_cast<int>(k)), unsold[k]) << g << " " << k;
    }
    EXPECT_FALSE(s.nth_unsold(g, static_cast<int>(unsold.size())));
  }

  std::vector<int> free_digits;
  for (int d = 0; d < kNumbersPerGroup; ++d) {
    bool any = false;
    for (int g = 1; g <= kGroups; ++g) any = any || ref[idx(g, d)];
    if (!any) free_digits.push_back(d);
  }
  ASSERT_EQ(s.unsold_all_groups_digits(), static_cast<int>(free_digits.size()));
  for (size_t k = 0; k < free_digits.size(); ++k) {
    ASSERT_EQ(s.nth_unsold_digits_all_groups(static_cast<int>(k)), free_digits[k]) << k;
  }
  for (int n = 0; n < 10000; ++n) {
    auto d = s.pick_unsold_digits_all_groups(rng());
    ASSERT_TRUE(d);
    for (int g = 1; g <= kGroups; ++g) ASSERT_FALSE(s.sold(idx(g, *d)));
  }
}

TEST(SoldIndexTest, AllGroupsDigitsWithFewLeft) {
  SoldIndex s;
  // Each digit value is sold in exactly one group (rotating), except 3 values.
  const std::set<int> left = {5, 654321, 999999};
  for (int d = 0; d < kNumbersPerGroup; ++d) {
    if (!left.count(d)) s.mark_sold(idx(d % kGroups + 1, d));
  }
  EXPECT_EQ(s.unsold_all_groups_digits(), 3);
  for (int g = 1; g <= kGroups; ++g) EXPECT_GT(s.unsold_in_group(g), 799'000);
  EXPECT_EQ(s.pick_unsold_digits_all_groups(0), 5);
  EXPECT_EQ(s.pick_unsold_digits_all_groups(1), 654321);
  EXPECT_EQ(s.pick_unsold_digits_all_groups(2), 999999);
  EXPECT_EQ(s.pick_unsold_digits_all_groups(std::numeric_limits<uint64_t>::max()), 5);
  s.mark_sold(idx(3, 654321));
  EXPECT_EQ(s.unsold_all_groups_digits(), 2);
  EXPECT_EQ(s.pick_unsold_digits_all_groups(1), 999999);
}

}  // namespace
}  // namespace p720
