// The store's annuity installments, one-time prize tax and leases, on SQLite and on MariaDB: an
// installment is paid once whatever races it, with its credit and ledger line in the same
// transaction; money stays conserved with installments in it.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "domain/ticket.h"
#include "store/sql_store.h"
#include "test_database.h"

namespace p720::store {
namespace {

constexpr int kRound = 343;

class AnnuityStore : public StoreTest {
 protected:
  AnnuityStore() : StoreTest("p720ann", /*outbox=*/true) {}

  // alice holds the 1st prize (2조 123456) and a 3rd (1조 923456) of round 343, settled.
  long long settle_round() {
    EXPECT_TRUE(store_->deposit("alice", 10'000, "t", "2026-11-24T12:00:00+09:00").ok());
    const std::vector<int> tickets{Ticket{2, 123456}.index(), Ticket{1, 923456}.index()};
    EXPECT_TRUE(
        store_->purchase(PurchaseCommand{"alice", kRound, tickets, 1000, 100, "2026-11-24T12:00:00+09:00"}).ok());
    EXPECT_TRUE(store_->record_draw(DrawRecord{kRound, 2, 123456, 654321, "2026-11-26", false}).ok());
    EXPECT_TRUE(store_->settle_draw(kRound, "2026-11-26T19:10:00+09:00").ok());
    auto rows = store_->annuities(AnnuityQuery{"alice"});
    EXPECT_TRUE(rows.ok() && rows->size() == 1u);
    return rows.ok() && !rows->empty() ? rows->front().ticket_id : 0;
  }

  void expect_conserved() {
    auto t = store_->totals();
    ASSERT_TRUE(t.ok());
    EXPECT_EQ(t->deposits + t->prizes + t->installments, t->balances + t->sales);
  }

  static InstallmentPayment installment(long long ticket, const std::string& month) {
    return InstallmentPayment{ticket, month, 7'000'000, 1'400'000, 140'000, "2026-12-20T00:00:05+09:00"};
  }
};

TEST_P(AnnuityStore, AnInstallmentIsPaidOnceEvenWhenTwoStoresRaceForIt) {
  const long long ticket = settle_round();
  const long long before = *store_->balance("alice");
  auto other = open();
  std::atomic<int> paid{0};
  std::vector<std::thread> threads;
  threads.reserve(8);
  for (int i = 0; i < 8; ++i)
    threads.emplace_back([&, i] {
      auto r = (i % 2 ? *other : *store_).pay_installment(installment(ticket, "2026-12"));
      ASSERT_TRUE(r.ok()) << r.error().detail;
      if (*r) ++paid;
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(paid.load(), 1);
  EXPECT_EQ(*store_->balance("alice"), before + 5'460'000);
  auto again = store_->pay_installment(installment(ticket, "2026-12"));
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(*again);

  auto ledger = store_->ledger("alice", 10);
  ASSERT_TRUE(ledger.ok());
  const auto& line = ledger->front();
  EXPECT_EQ(line.kind, "INSTALLMENT");
  EXPECT_EQ(line.ref, "annuity:" + std::to_string(ticket) + ":2026-12");
  EXPECT_TRUE(line.taxed);
  EXPECT_EQ(line.amount, 5'460'000);
  EXPECT_EQ(line.gross, 7'000'000);
  EXPECT_EQ(line.tax, 1'540'000);

  auto list = store_->installments_of(ticket);
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ(list->front().for_month, "2026-12");
  EXPECT_EQ(list->front().net(), 5'460'000);
  auto rows = store_->annuities(AnnuityQuery{"alice", ticket});
  ASSERT_TRUE(rows.ok() && rows->size() == 1u);
  EXPECT_EQ(rows->front().paid_months, 1);
  EXPECT_EQ(rows->front().months, 240);
  EXPECT_EQ(rows->front().first_payment_month, "2026-12");
  EXPECT_EQ(rows->front().gross_paid, 7'000'000);
  EXPECT_EQ(rows->front().tax_withheld, 1'540'000);
  EXPECT_EQ(rows->front().net_paid, 5'460'000);
  EXPECT_TRUE(store_->annuities(AnnuityQuery{"bob"})->empty());

  auto report = store_->tax_report("2026-12");
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->installments.count, 1);
  EXPECT_EQ(report->installments.income, 1'400'000);
  EXPECT_EQ(report->installments.local, 140'000);
  EXPECT_EQ(store_->tax_report("2027-01")->installments.count, 0);
  EXPECT_EQ(store_->totals()->installments, 5'460'000);
  expect_conserved();

  // The outbox carries the installment event.
  auto events = store_->pending_events(100);
  ASSERT_TRUE(events.ok());
  int installments = 0;
  for (const auto& e : *events) installments += e.kind == "installment";
  EXPECT_EQ(installments, 1);
}

TEST_P(AnnuityStore, UnknownAnnuitiesAndBadAmountsAreRefused) {
  settle_round();
  auto r = store_->pay_installment(installment(999'999, "2026-12"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kNotFound);
  auto rows = store_->annuities(AnnuityQuery{"alice"});
  auto bad = installment(rows->front().ticket_id, "2026-12");
  bad.income_tax = 8'000'000;  // more tax than gross
  ASSERT_FALSE(store_->pay_installment(bad).ok());
  EXPECT_EQ(store_->annuities(AnnuityQuery{"alice"})->front().paid_months, 0);
  expect_conserved();
}

TEST_P(AnnuityStore, OneTimePrizesAboveTheFreeAmountAreTaxedAtSettlement) {
  TaxRules rules;
  rules.free_up_to = 500'000;
  store_->set_tax_rules(rules);
  settle_round();
  // 3rd prize 1,000,000 − 22%.
  EXPECT_EQ(*store_->balance("alice"), 10'000 - 2'000 + 780'000);
  auto ledger = store_->ledger("alice", 10);
  const auto& line = ledger->front();
  EXPECT_EQ(line.kind, "PRIZE");
  EXPECT_EQ(line.amount, 780'000);
  EXPECT_EQ(line.gross, 1'000'000);
  EXPECT_EQ(line.tax, 220'000);
  auto wins = store_->winnings_of("alice");
  ASSERT_TRUE(wins.ok());
  for (const auto& w : *wins) {
    if (w.result == 3) EXPECT_EQ(std::make_pair(w.gross_paid, w.tax_withheld), std::make_pair(1'000'000LL, 220'000LL));
    else EXPECT_EQ(std::make_pair(w.gross_paid, w.tax_withheld), std::make_pair(0LL, 0LL));
  }
  auto report = store_->tax_report("2026-11");
  EXPECT_EQ(report->one_time.count, 1);
  EXPECT_EQ(report->one_time.gross, 1'000'000);
  EXPECT_EQ(report->one_time.income, 200'000);
  EXPECT_EQ(report->one_time.local, 20'000);
  expect_conserved();
}

TEST_P(AnnuityStore, UntaxedPrizesKeepTheirGrossOnTheLedger) {
  settle_round();  // default rules: 1,000,000 is tax-free
  EXPECT_EQ(*store_->balance("alice"), 10'000 - 2'000 + 1'000'000);
  const auto line = store_->ledger("alice", 1)->front();
  EXPECT_EQ(std::make_tuple(line.kind, line.amount, line.gross, line.tax),
            std::make_tuple(std::string("PRIZE"), 1'000'000LL, 1'000'000LL, 0LL));
  EXPECT_EQ(store_->tax_report("2026-11")->one_time.count, 0);
}

TEST_P(AnnuityStore, ALeaseHasOneHolderUntilItExpiresOrIsReleased) {
  auto other = open();
  EXPECT_TRUE(*store_->take_lease("job", "a", 1000, 60));
  EXPECT_FALSE(*other->take_lease("job", "b", 1030, 60));
  EXPECT_TRUE(*store_->take_lease("job", "a", 1030, 60));  // renewed: until 1090
  EXPECT_FALSE(*other->take_lease("job", "b", 1089, 60));
  EXPECT_TRUE(*other->take_lease("job", "b", 1091, 60));  // expired: taken over
  EXPECT_FALSE(*store_->take_lease("job", "a", 1100, 60));
  ASSERT_TRUE(store_->release_lease("job", "a").ok());  // not a's: no effect
  EXPECT_FALSE(*store_->take_lease("job", "a", 1100, 60));
  ASSERT_TRUE(other->release_lease("job", "b").ok());
  EXPECT_TRUE(*store_->take_lease("job", "a", 1100, 60));
  EXPECT_TRUE(*other->take_lease("other-job", "b", 1100, 60));  // leases are by name

  // Racing for a free lease: one winner.
  std::atomic<int> winners{0};
  std::vector<std::thread> threads;
  threads.reserve(6);
  for (int i = 0; i < 6; ++i)
    threads.emplace_back([&, i] {
      auto r = (i % 2 ? *other : *store_).take_lease("race", "h" + std::to_string(i), 2000, 60);
      ASSERT_TRUE(r.ok());
      if (*r) ++winners;
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(winners.load(), 1);
}

INSTANTIATE_TEST_SUITE_P(Backends, AnnuityStore, backends(), backend_name);

}  // namespace
}  // namespace p720::store
