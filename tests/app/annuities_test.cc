// The annuity payer against a real SQLite store: what falls due by the service clock, months
// missed while down, the ADMIN route's TIME_OUT, the lease, and the reads.
#include "app/annuities.h"

#include <gtest/gtest.h>

#include "test_support.h"

namespace p720::testing {
namespace {

constexpr int kRound = 343;
const app::Actor kAdmin{"admin", true};
const app::Actor kAlice{"alice", false};

// alice holds the 1st prize of round 343 (and a 2nd through its other group); settled.
struct Winners : World {
  Winners()
      : World(app::SalesConfig{.round_limit = 1000}),
        real(at("2030-01-01T00:00:00Z")),
        annuities(*store, clock, real, app::AnnuityConfig{}) {
    EXPECT_TRUE(store->deposit("alice", 2000, "test", "t").ok());
    EXPECT_TRUE(sales.buy(kAlice, kRound, {app::TicketSpec{2, 123456}, app::TicketSpec{3, 123456}}, "", "").ok());
    clock.set(at("2026-11-26T18:00:00+09:00"));
    EXPECT_TRUE(draws.record(kAdmin, kRound, DrawNumbers{2, 123456, 654321}).ok());
  }
  long long paid() { return store->totals()->installments; }
  ManualClock real;
  app::Annuities annuities;
};

TEST(AnnuitiesTest, NothingIsDueBeforeTheFirstPayDay) {
  Winners w;
  w.clock.set(at("2026-12-19T23:59:59+09:00"));
  auto run = w.annuities.run_due();
  ASSERT_TRUE(run.ok() && run->has_value());
  EXPECT_EQ((*run)->installments, 0);
  EXPECT_EQ((*run)->month, "2026-11");
  auto r = w.annuities.pay_up_to(kAdmin, "2026-12");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kTimeOut);
}

TEST(AnnuitiesTest, PaysEachMonthDueOnceAndCatchesUpAfterDowntime) {
  Winners w;
  w.clock.set(at("2026-12-20T00:00:00+09:00"));
  auto run = w.annuities.run_due();
  ASSERT_TRUE(run.ok() && run->has_value());
  EXPECT_EQ((*run)->installments, 2);
  EXPECT_EQ((*run)->net, 5'460'000 + 780'000);
  EXPECT_EQ((*run)->tax, 1'540'000 + 220'000);
  EXPECT_EQ((*w.annuities.run_due())->installments, 0);  // again: nothing new
  // Down until 2027-06-25: January to June are paid at the next run, once.
  w.clock.set(at("2027-06-25T08:00:00+09:00"));
  EXPECT_EQ((*w.annuities.run_due())->installments, 12);
  EXPECT_EQ(w.paid(), 7 * (5'460'000 + 780'000));
  auto views = w.annuities.annuities_of(kAlice);
  ASSERT_TRUE(views.ok());
  ASSERT_EQ(views->size(), 2u);
  for (const auto& v : *views) {
    EXPECT_EQ(v.row.paid_months, 7);
    EXPECT_EQ(v.next_payment_date, "2027-07-20");
    EXPECT_EQ(v.remaining_months, v.row.months - 7);
    EXPECT_EQ(v.monthly.net(), v.row.result == 1 ? 5'460'000 : 780'000);
  }
}

TEST(AnnuitiesTest, AdminPaysUpToAMonthOnly) {
  Winners w;
  w.clock.set(at("2027-03-21T00:00:00+09:00"));
  auto r = w.annuities.pay_up_to(kAdmin, "2027-01");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->installments, 4);  // 2026-12 and 2027-01 of both annuities
  EXPECT_EQ(w.annuities.pay_up_to(kAdmin, "2027-01")->installments, 0);
  EXPECT_EQ(w.annuities.pay_up_to(kAdmin, "2027-03")->installments, 4);
  EXPECT_EQ(w.annuities.pay_up_to(kAdmin, "2027-04").error().code, ErrorCode::kTimeOut);
  EXPECT_EQ(w.annuities.pay_up_to(kAlice, "2027-01").error().code, ErrorCode::kForbidden);
  for (const char* bad : {"2027-13", "2027-1", "", "2027-01-01", "abcd-ef"})
    EXPECT_EQ(w.annuities.pay_up_to(kAdmin, bad).error().code, ErrorCode::kInvalidRequest) << bad;
}

TEST(AnnuitiesTest, AnotherHolderOfTheLeaseKeepsThisPayerIdle) {
  Winners w;
  w.clock.set(at("2027-03-21T00:00:00+09:00"));
  const long long now = w.real.now().time_since_epoch().count();
  ASSERT_TRUE(*w.store->take_lease("annuity-payer", "someone-else", now, 60));
  auto run = w.annuities.run_due();
  ASSERT_TRUE(run.ok());
  EXPECT_FALSE(run->has_value());
  EXPECT_EQ(w.paid(), 0);
  w.real.advance(std::chrono::seconds(61));  // its lease expired: this payer takes over
  run = w.annuities.run_due();
  ASSERT_TRUE(run.ok() && run->has_value());
  EXPECT_EQ((*run)->installments, 8);
}

TEST(AnnuitiesTest, PaymentsAreTheOwnersOnly) {
  Winners w;
  w.clock.set(at("2027-01-21T00:00:00+09:00"));
  ASSERT_TRUE(w.annuities.run_due().ok());
  const long long ticket = w.annuities.annuities_of(kAlice)->front().row.ticket_id;
  auto mine = w.annuities.payments(kAlice, ticket);
  ASSERT_TRUE(mine.ok());
  ASSERT_EQ(mine->size(), 2u);
  EXPECT_EQ(mine->front().for_month, "2026-12");
  EXPECT_EQ(w.annuities.payments(app::Actor{"mallory", false}, ticket).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(w.annuities.payments(kAlice, 123456789).error().code, ErrorCode::kNotFound);
  EXPECT_TRUE(w.annuities.payments(kAdmin, ticket).ok());
  auto tax = w.annuities.tax_report(kAdmin, "2027-01");
  ASSERT_TRUE(tax.ok());
  EXPECT_EQ(tax->installments.count, 4);
  EXPECT_EQ(w.annuities.tax_report(kAlice, "2027-01").error().code, ErrorCode::kForbidden);
  EXPECT_EQ(w.annuities.tax_report(kAdmin, "2027").error().code, ErrorCode::kInvalidRequest);
}

TEST(AnnuitiesTest, ThePayerThreadPaysAtStartAndStops) {
  Winners w;
  w.clock.set(at("2027-01-21T00:00:00+09:00"));
  w.annuities.start_payer();
  for (int i = 0; i < 2000 && w.paid() < 2 * (5'460'000 + 780'000); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));  // polling interval of a bounded poll
  w.annuities.stop_payer();
  EXPECT_EQ(w.paid(), 2 * (5'460'000 + 780'000));
}

}  // namespace
}  // namespace p720::testing
