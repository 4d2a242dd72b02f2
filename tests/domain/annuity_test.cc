// Unit tests for the annuity schedule: months, KST due dates, the pay day at month ends, and the
// SPEC's installments of results 1, 2 and 8.
#include "domain/annuity.h"

#include <gtest/gtest.h>

#include "domain/prize.h"

namespace p720 {
namespace {

Instant at(const char* iso) { return *parse_instant(iso); }
YearMonth ym(const char* s) { return *parse_year_month(s); }

TEST(AnnuityTest, ParsesAndFormatsMonths) {
  EXPECT_EQ(ym("2026-12"), (YearMonth{2026, 12}));
  EXPECT_EQ(format_year_month({2027, 1}), "2027-01");
  for (const char* bad : {"", "2026-1", "2026-13", "2026-00", "26-12", "2026/12", "2026-12-01", " 2026-12", "2026-1a",
                          "+026-12", "1899-12", "２０２６-12"})
    EXPECT_FALSE(parse_year_month(bad)) << bad;
}

TEST(AnnuityTest, MonthArithmeticCrossesYears) {
  EXPECT_EQ(ym("2026-12").plus(1), ym("2027-01"));
  EXPECT_EQ(ym("2027-01").plus(-1), ym("2026-12"));
  EXPECT_EQ(ym("2026-12").plus(239), ym("2046-11"));
  EXPECT_LT(ym("2026-12"), ym("2027-01"));
}

TEST(AnnuityTest, DueAtMidnightKstOfThePayDay) {
  EXPECT_EQ(due_at(ym("2026-12"), 20), at("2026-12-20T00:00:00+09:00"));
  EXPECT_EQ(due_at(ym("2026-12"), 20), at("2026-12-19T15:00:00Z"));
  EXPECT_EQ(due_date(ym("2026-12"), 20), "2026-12-20");
}

TEST(AnnuityTest, PayDayBeyondTheMonthIsItsLastDay) {
  EXPECT_EQ(due_date(ym("2027-02"), 31), "2027-02-28");
  EXPECT_EQ(due_date(ym("2028-02"), 30), "2028-02-29");
  EXPECT_EQ(due_date(ym("2027-04"), 31), "2027-04-30");
  EXPECT_EQ(due_date(ym("2027-01"), 31), "2027-01-31");
  EXPECT_EQ(due_date(ym("2027-01"), 1), "2027-01-01");
}

TEST(AnnuityTest, LatestDueMonthFollowsTheKstCalendar) {
  EXPECT_EQ(latest_due_month(at("2026-12-19T23:59:59+09:00"), 20), ym("2026-11"));
  EXPECT_EQ(latest_due_month(at("2026-12-20T00:00:00+09:00"), 20), ym("2026-12"));
  // 15:00Z on the 19th is already the 20th in Korea.
  EXPECT_EQ(latest_due_month(at("2026-12-19T15:00:00Z"), 20), ym("2026-12"));
  EXPECT_EQ(latest_due_month(at("2026-12-19T14:59:59Z"), 20), ym("2026-11"));
  EXPECT_EQ(latest_due_month(at("2027-01-05T12:00:00+09:00"), 20), ym("2026-12"));
  EXPECT_EQ(latest_due_month(at("2027-01-01T00:00:00+09:00"), 1), ym("2027-01"));
}

TEST(AnnuityTest, MonthsDueCountsFromTheFirstAndStopsAtTheLast) {
  const AnnuityTerms a{7'000'000, 240, ym("2026-12")};
  EXPECT_EQ(a.last(), ym("2046-11"));
  EXPECT_EQ(a.months_due_by(ym("2026-11")), 0);
  EXPECT_EQ(a.months_due_by(ym("2026-12")), 1);
  EXPECT_EQ(a.months_due_by(ym("2027-11")), 12);
  EXPECT_EQ(a.months_due_by(ym("2046-11")), 240);
  EXPECT_EQ(a.months_due_by(ym("2060-01")), 240);
  EXPECT_FALSE(a.pays_in(ym("2026-11")));
  EXPECT_TRUE(a.pays_in(ym("2026-12")));
  EXPECT_TRUE(a.pays_in(ym("2046-11")));
  EXPECT_FALSE(a.pays_in(ym("2046-12")));
  EXPECT_EQ((AnnuityTerms{1, 0, ym("2026-12")}).months_due_by(ym("2030-01")), 0);
}

TEST(AnnuityTest, FirstPrizeInstallments) {
  const auto prize = *prize_for(1);
  const AnnuityTerms a{prize.monthly, prize.months, ym(first_payment_month("2026-11-26").c_str())};
  const auto first = installment_of(a, ym("2026-12"), kDefaultPayDay, TaxRules{});
  ASSERT_TRUE(first);
  EXPECT_EQ(first->number, 1);
  EXPECT_EQ(first->due_date, "2026-12-20");
  EXPECT_EQ(first->amounts, (Withholding{7'000'000, 1'400'000, 140'000}));
  EXPECT_EQ(first->amounts.net(), 5'460'000);
  const auto last = installment_of(a, ym("2046-11"), kDefaultPayDay, TaxRules{});
  ASSERT_TRUE(last);
  EXPECT_EQ(last->number, 240);
  EXPECT_FALSE(installment_of(a, ym("2046-12"), kDefaultPayDay, TaxRules{}));
  EXPECT_FALSE(installment_of(a, ym("2026-11"), kDefaultPayDay, TaxRules{}));
  long long net = 0;
  for (int i = 0; i < 240; ++i) net += installment_of(a, a.first.plus(i), kDefaultPayDay, TaxRules{})->amounts.net();
  EXPECT_EQ(net, 240LL * 5'460'000);
}

TEST(AnnuityTest, SecondAndBonusInstallments) {
  for (int result : {2, 8}) {
    const auto prize = *prize_for(result);
    const AnnuityTerms a{prize.monthly, prize.months, ym("2027-01")};
    EXPECT_EQ(a.last(), ym("2036-12"));
    const auto i = installment_of(a, ym("2030-06"), 25, TaxRules{});
    ASSERT_TRUE(i);
    EXPECT_EQ(i->number, 42);
    EXPECT_EQ(i->due_date, "2030-06-25");
    EXPECT_EQ(i->amounts.net(), 780'000);
    EXPECT_EQ(i->amounts.tax(), 220'000);
  }
}

}  // namespace
}  // namespace p720
