// The money-in-and-out part of the Store contract, on SQLite and MariaDB (PENSION_TEST_MYSQL, as
// the conformance suite: without it the MariaDB cases fail): payment orders credited exactly once
// — also when two stores (two processes, as far as the database can tell) settle one order at
// once — and withdrawals debited once, refunded once, never overdrawn.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "domain/rules.h"
#include "store/sql_store.h"
#include "test_database.h"

namespace p720::store {
namespace {

constexpr const char* kAt = "2026-11-24T12:00:00+09:00";

class PaymentStore : public StoreTest {
 protected:
  PaymentStore() : StoreTest("p720pay") {}

  PaymentOrder make_order(const std::string& id, const std::string& user, long long amount) {
    auto o = store_->create_order(PaymentOrder{id, user, amount, "", "", "", kAt, ""});
    EXPECT_TRUE(o.ok()) << o.error().detail;
    return o.ok() ? *o : PaymentOrder{};
  }

  static WithdrawalCommand withdrawal(const std::string& user, long long amount, std::string key = "",
                                      std::string hash = "") {
    return WithdrawalCommand{user, amount, "088", "110123456789", "홍길동", kAt, std::move(key), std::move(hash)};
  }

  // Every wallet is the sum of its ledger lines, read through the store's own API.
  void expect_ledger_matches(const std::string& user) {
    auto lines = store_->ledger(user, 1000);
    auto balance = store_->balance(user);
    ASSERT_TRUE(lines.ok() && balance.ok());
    long long sum = 0;
    for (const auto& l : *lines) sum += l.amount;
    EXPECT_EQ(sum, *balance) << user;
  }
};

TEST_P(PaymentStore, DoneCreditsOnceAndLaterSettlementsChangeNothing) {
  make_order("order-aaaaaa", "u1", 5000);
  auto first = store_->settle_order("order-aaaaaa", true, "pk1", "", kAt);
  ASSERT_TRUE(first.ok()) << first.error().detail;
  EXPECT_TRUE(first->credited);
  EXPECT_EQ(first->balance, 5000);
  EXPECT_EQ(first->order.status, "DONE");
  auto again = store_->settle_order("order-aaaaaa", true, "pk1", "", kAt);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->credited);
  auto failed = store_->settle_order("order-aaaaaa", false, "", "late refusal", kAt);
  ASSERT_TRUE(failed.ok());
  EXPECT_EQ(failed->order.status, "DONE");  // a DONE order never becomes FAILED
  EXPECT_EQ(*store_->balance("u1"), 5000);
  auto lines = store_->ledger("u1", 10);
  ASSERT_TRUE(lines.ok());
  ASSERT_EQ(lines->size(), 1u);
  EXPECT_EQ((*lines)[0].kind, "DEPOSIT");
  EXPECT_EQ((*lines)[0].ref, "order:order-aaaaaa");
}

TEST_P(PaymentStore, FailedStaysUntilTheProviderSaysDone) {
  make_order("order-bbbbbb", "u2", 3000);
  auto failed = store_->settle_order("order-bbbbbb", false, "", "카드 거절", kAt);
  ASSERT_TRUE(failed.ok());
  EXPECT_EQ(failed->order.status, "FAILED");
  EXPECT_EQ(failed->order.message, "카드 거절");
  EXPECT_FALSE(failed->credited);
  auto pending = store_->pending_orders("9999", 10);
  ASSERT_TRUE(pending.ok());
  EXPECT_TRUE(pending->empty());
  // The provider's later word that the money was taken wins: credited once.
  auto done = store_->settle_order("order-bbbbbb", true, "pk", "", kAt);
  ASSERT_TRUE(done.ok());
  EXPECT_TRUE(done->credited);
  EXPECT_EQ(*store_->balance("u2"), 3000);
  auto unknown = store_->settle_order("order-nothere", true, "pk", "", kAt);
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().code, ErrorCode::kNotFound);
}

TEST_P(PaymentStore, PendingOrdersAreListedOldestFirstUpToTheCutoff) {
  store_->create_order(PaymentOrder{"order-late00", "u", 1000, "", "", "", "2026-11-24T12:05:00+09:00", ""}).value();
  store_->create_order(PaymentOrder{"order-early0", "u", 1000, "", "", "", "2026-11-24T12:00:00+09:00", ""}).value();
  auto upto = store_->pending_orders("2026-11-24T12:01:00+09:00", 10);
  ASSERT_TRUE(upto.ok());
  ASSERT_EQ(upto->size(), 1u);
  EXPECT_EQ((*upto)[0].order_id, "order-early0");
  auto all = store_->pending_orders("2026-11-24T13:00:00+09:00", 10);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[1].order_id, "order-late00");
}

TEST_P(PaymentStore, OrderOverTheWalletCapIsRefused) {
  ASSERT_TRUE(store_->deposit("rich", kMaxBalance - 10, "t", kAt).ok());
  auto o = store_->create_order(PaymentOrder{"order-rich00", "rich", 11, "", "", "", kAt, ""});
  ASSERT_FALSE(o.ok());
  EXPECT_EQ(o.error().code, ErrorCode::kInvalidRequest);
}

TEST_P(PaymentStore, TwoStoresSettlingOneOrderCreditOnce) {
  auto other = open();
  for (int i = 0; i < 10; ++i) {
    const std::string id = "order-race" + std::to_string(i) + "00";
    const std::string user = "racer" + std::to_string(i);
    make_order(id, user, 8000);
    std::atomic<int> credited{0};
    std::thread a([&] { credited += store_->settle_order(id, true, "pk", "", kAt).value().credited; });
    std::thread b([&] { credited += other->settle_order(id, true, "pk", "", kAt).value().credited; });
    a.join();
    b.join();
    EXPECT_EQ(credited.load(), 1) << id;
    EXPECT_EQ(*store_->balance(user), 8000) << id;
  }
}

TEST_P(PaymentStore, WithdrawalDebitsAtOnceAndRefundsOnceWhenFailed) {
  ASSERT_TRUE(store_->deposit("w", 10000, "t", kAt).ok());
  auto w = store_->request_withdrawal(withdrawal("w", 4000));
  ASSERT_TRUE(w.ok()) << w.error().detail;
  EXPECT_EQ(w->status, "REQUESTED");
  EXPECT_EQ(w->balance_after, 6000);
  EXPECT_EQ(*store_->balance("w"), 6000);
  auto failed = store_->finish_withdrawal(w->id, false, "계좌 오류", kAt);
  ASSERT_TRUE(failed.ok());
  EXPECT_EQ(failed->status, "FAILED");
  EXPECT_EQ(*store_->balance("w"), 10000);
  for (bool paid : {true, false}) {
    auto again = store_->finish_withdrawal(w->id, paid, "", kAt);
    ASSERT_FALSE(again.ok());
    EXPECT_EQ(again.error().code, ErrorCode::kAlreadyProcessed);
  }
  EXPECT_EQ(*store_->balance("w"), 10000);
  auto missing = store_->finish_withdrawal(w->id + 1000, true, "", kAt);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  auto listed = store_->withdrawals(std::string("w"), std::string("FAILED"), Page{0, 10});
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].reason, "계좌 오류");
  expect_ledger_matches("w");
}

TEST_P(PaymentStore, WithdrawalIdempotencyAndNotEnoughMoney) {
  ASSERT_TRUE(store_->deposit("k", 5000, "t", kAt).ok());
  auto first = store_->request_withdrawal(withdrawal("k", 3000, "key", "h1"));
  auto again = store_->request_withdrawal(withdrawal("k", 3000, "key", "h1"));
  ASSERT_TRUE(first.ok() && again.ok());
  EXPECT_EQ(again->id, first->id);
  EXPECT_TRUE(again->replayed);
  auto conflict = store_->request_withdrawal(withdrawal("k", 1000, "key", "h2"));
  ASSERT_FALSE(conflict.ok());
  EXPECT_EQ(conflict.error().code, ErrorCode::kIdempotencyConflict);
  auto over = store_->request_withdrawal(withdrawal("k", 2001));
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.error().code, ErrorCode::kNotEnoughMoney);
  auto nobody = store_->request_withdrawal(withdrawal("never-seen", 1));
  ASSERT_FALSE(nobody.ok());
  EXPECT_EQ(nobody.error().code, ErrorCode::kNotEnoughMoney);
  EXPECT_EQ(*store_->balance("k"), 2000);
  expect_ledger_matches("k");
}

TEST_P(PaymentStore, TwoStoresWithdrawingAtOnceNeverOverdraw) {
  auto other = open();
  ASSERT_TRUE(store_->deposit("o", 10000, "t", kAt).ok());
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  threads.reserve(8);
  for (int i = 0; i < 8; ++i)
    threads.emplace_back([&, i] { ok += (i % 2 ? *store_ : *other).request_withdrawal(withdrawal("o", 3000)).ok(); });
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 3);
  EXPECT_EQ(*store_->balance("o"), 1000);
  expect_ledger_matches("o");
}

INSTANTIATE_TEST_SUITE_P(Backends, PaymentStore, backends(), backend_name);

}  // namespace
}  // namespace p720::store
