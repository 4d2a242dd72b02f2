// Unit tests for the prize rules: every result boundary and the 1 > 2 > 8 > 3..7 order.
#include "domain/prize.h"

#include <gtest/gtest.h>

namespace p720 {
namespace {

// Winning 3조 123456, bonus 987650 (shares no suffix with the winning digits).
constexpr DrawNumbers kDraw{3, 123456, 987650};

int result(int group, int digits, const DrawNumbers& d = kDraw) { return result_of(Ticket{group, digits}, d); }

TEST(PrizeTest, EachRank) {
  EXPECT_EQ(result(3, 123456), 1);
  EXPECT_EQ(result(1, 123456), 2);
  EXPECT_EQ(result(5, 123456), 2);
  EXPECT_EQ(result(3, 987650), 8);
  EXPECT_EQ(result(3, 923456), 3);
  EXPECT_EQ(result(3, 993456), 4);
  EXPECT_EQ(result(3, 999456), 5);
  EXPECT_EQ(result(3, 999956), 6);
  EXPECT_EQ(result(3, 999996), 7);
  EXPECT_EQ(result(3, 999999), -1);
}

TEST(PrizeTest, LowerRanksIgnoreGroup) {
  for (int g = 1; g <= 5; ++g) {
    EXPECT_EQ(result(g, 23456), 3);  // "023456": last five equal
    EXPECT_EQ(result(g, 3456), 4);
    EXPECT_EQ(result(g, 456), 5);
    EXPECT_EQ(result(g, 56), 6);
    EXPECT_EQ(result(g, 6), 7);
    EXPECT_EQ(result(g, 0), -1);
  }
}

TEST(PrizeTest, GroupMismatchGivesTwoNotOne) {
  for (int g = 1; g <= 5; ++g) EXPECT_EQ(result(g, 123456), g == 3 ? 1 : 2);
}

TEST(PrizeTest, BonusInAnyGroup) {
  for (int g = 1; g <= 5; ++g) EXPECT_EQ(result(g, 987650), 8);
  EXPECT_EQ(result(1, 987651), -1);  // five of six bonus digits win nothing by the bonus
  EXPECT_EQ(result(1, 187650), -1);
}

TEST(PrizeTest, BonusBeatsSuffixRanks) {
  // Bonus shares the last five digits of the winning number: a ticket equal to the bonus
  // also wins 3 on the suffix, but 8 ranks above 3.
  const DrawNumbers d{2, 123456, 923456};
  EXPECT_EQ(result(4, 923456, d), 8);
  EXPECT_EQ(result(4, 823456, d), 3);
  const DrawNumbers d7{2, 123456, 999996};  // bonus shares the last digit only
  EXPECT_EQ(result(1, 999996, d7), 8);
}

TEST(PrizeTest, OneAndTwoBeatBonusEvenWhenEqual) {
  // A real draw never has bonus == winning digits; the order is still 1 > 2 > 8.
  const DrawNumbers d{2, 123456, 123456};
  EXPECT_EQ(result(2, 123456, d), 1);
  EXPECT_EQ(result(5, 123456, d), 2);
}

TEST(PrizeTest, ZeroDigitsSuffixes) {
  const DrawNumbers d{1, 0, 500000};
  EXPECT_EQ(result(1, 0, d), 1);
  EXPECT_EQ(result(1, 100000, d), 3);
  EXPECT_EQ(result(1, 10, d), 7);
  EXPECT_EQ(result(1, 1, d), -1);
  EXPECT_EQ(result(1, 500000, d), 8);
}

TEST(PrizeTest, ResultAgreesWithDigitComparisonForManyTickets) {
  // Brute-force reference: count equal trailing digits position by position.
  const DrawNumbers d{4, 305172, 861034};
  for (int digits = 0; digits < 1000000; digits += 7) {
    for (int g = 1; g <= 5; ++g) {
      const Ticket t{g, digits};
      const Ticket w{d.group, d.digits};
      int suffix = 0;
      while (suffix < 6 && t.digit(5 - suffix) == w.digit(5 - suffix)) ++suffix;
      int expected = -1;
      if (suffix == 6) expected = g == d.group ? 1 : 2;
      else if (digits == d.bonus) expected = 8;
      else if (suffix >= 1) expected = 8 - suffix;
      ASSERT_EQ(result_of(t, d), expected) << g << " " << digits;
    }
  }
}

bool passes(int ticket, const std::vector<ResultRule>& filter) {
  for (const auto& f : filter)
    if (f.modulus == 0 ? ticket == f.value : ticket % f.modulus == f.value) return true;
  return false;
}

// Every ticket of the round (all 5,000,000) that wins under `rules` passes winning_filter(rules);
// returns how many pass, so a test can also see that the filter narrows.
int check_filter_keeps_every_winner(const std::vector<ResultRule>& rules) {
  const auto filter = winning_filter(rules);
  int passing = 0;
  for (int t = 0; t < kTicketsPerRound; ++t) {
    const bool pass = passes(t, filter);
    passing += pass;
    if (result_among(t, rules) > 0 && !pass) {
      ADD_FAILURE() << "winner " << t << " dropped by the prefilter";
      return passing;
    }
  }
  return passing;
}

TEST(PrizeTest, ResultAmongIsResultOf) {
  const auto rules = result_rules(kDraw);
  for (int t = 0; t < kTicketsPerRound; t += 997)
    EXPECT_EQ(result_among(t, rules), result_of(Ticket::from_index(t), kDraw));
}

TEST(PrizeTest, WinningFilterOfTheRealRules) {
  // Every winner of 1..7 ends in the winning number's last digit; 8 is the bonus digits.
  EXPECT_EQ(winning_filter(result_rules(kDraw)), (std::vector<ResultRule>{{0, kNumbersPerGroup, 987650}, {0, 10, 6}}));
  // A bonus ending in the same digit is covered by it: one condition.
  EXPECT_EQ(winning_filter(result_rules(DrawNumbers{2, 123456, 999996})), (std::vector<ResultRule>{{0, 10, 6}}));
  for (const DrawNumbers& d :
       {kDraw, DrawNumbers{2, 123456, 923456}, DrawNumbers{1, 0, 500000}, DrawNumbers{5, 999999, 0}}) {
    SCOPED_TRACE(d.digits);
    const int passing = check_filter_keeps_every_winner(result_rules(d));
    EXPECT_LE(passing, kTicketsPerRound / 10 + 5);  // ~10% of the round is read
  }
}

// The prefilter follows the rules: change a rule and the filter changes with it, still keeping
// every winner of the changed table (so the settlement, which reads through it, follows too).
TEST(PrizeTest, WinningFilterFollowsChangedRules) {
  const auto real = result_rules(kDraw);
  // Variant 1: no "last digit" prize (result 7 dropped) — the filter narrows to two digits.
  auto no_seven = real;
  std::erase_if(no_seven, [](const ResultRule& r) { return r.result == 7; });
  EXPECT_EQ(winning_filter(no_seven), (std::vector<ResultRule>{{0, kNumbersPerGroup, 987650}, {0, 100, 56}}));
  EXPECT_LE(check_filter_keeps_every_winner(no_seven), kTicketsPerRound / 100 + 5);
  // Variant 2: a new prize for the bonus's last three digits — the filter widens to them.
  auto bonus_three = real;
  bonus_three.push_back({9, 1000, kDraw.bonus % 1000});
  EXPECT_EQ(winning_filter(bonus_three), (std::vector<ResultRule>{{0, 10, 6}, {0, 1000, 650}}));
  check_filter_keeps_every_winner(bonus_three);
  // Variant 3: only an exact ticket wins (1st prize alone): the filter is that ticket.
  const std::vector<ResultRule> first_only = {real.front()};
  EXPECT_EQ(winning_filter(first_only), (std::vector<ResultRule>{{0, 0, real.front().value}}));
  EXPECT_EQ(check_filter_keeps_every_winner(first_only), 1);
  // Variant 4: the same condition twice is kept once.
  EXPECT_EQ(winning_filter({{3, 100, 5}, {4, 100, 5}}), (std::vector<ResultRule>{{0, 100, 5}}));
  EXPECT_TRUE(winning_filter({}).empty());
}

TEST(PrizeTest, PrizeTable) {
  const auto p1 = prize_for(1);
  ASSERT_TRUE(p1);
  EXPECT_TRUE(p1->annuity);
  EXPECT_EQ(p1->amount, 0);
  EXPECT_EQ(p1->monthly, 7'000'000);
  EXPECT_EQ(p1->months, 240);
  for (int r : {2, 8}) {
    const auto p = prize_for(r);
    ASSERT_TRUE(p);
    EXPECT_EQ(p->result, r);
    EXPECT_TRUE(p->annuity);
    EXPECT_EQ(p->amount, 0);
    EXPECT_EQ(p->monthly, 1'000'000);
    EXPECT_EQ(p->months, 120);
  }
  const std::pair<int, long long> once[] = {{3, 1'000'000}, {4, 100'000}, {5, 50'000}, {6, 5'000}, {7, 1'000}};
  for (auto [r, amount] : once) {
    const auto p = prize_for(r);
    ASSERT_TRUE(p);
    EXPECT_EQ(p->result, r);
    EXPECT_FALSE(p->annuity);
    EXPECT_EQ(p->amount, amount);
    EXPECT_EQ(p->monthly, 0);
    EXPECT_EQ(p->months, 0);
  }
  for (int r : {-1, 0, 9, 100, -2}) EXPECT_FALSE(prize_for(r)) << r;
}

TEST(PrizeTest, ResultsInOrderCoversEveryPrize) {
  EXPECT_EQ(kResultsInOrder, (std::array<int, 8>{1, 2, 8, 3, 4, 5, 6, 7}));
  for (int r : kResultsInOrder) EXPECT_TRUE(prize_for(r)) << r;
}

}  // namespace
}  // namespace p720
