// Cart and purchase rules of app::Sales against a real SQLite store.
#include "app/sales.h"

#include <gtest/gtest.h>

#include <set>
#include <thread>

#include "domain/ticket.h"
#include "test_support.h"

namespace p720::testing {
namespace {

constexpr int kRound = 343;

app::TicketSpec pick(int group, int digits) { return {group, digits}; }
app::TicketSpec auto_pick(int group) { return {group, std::nullopt}; }

TEST(SalesTest, SelectHoldsTicketForTenMinutes) {
  World w;
  auto alice = w.user("alice");
  auto items = w.sales.select(alice, kRound, pick(3, 123456));
  ASSERT_TRUE(items.ok());
  ASSERT_EQ(items->size(), 1u);
  EXPECT_EQ(items->at(0).item.ticket, idx(3, 123456));
  ASSERT_TRUE(items->at(0).hold_expires.has_value());
  EXPECT_EQ(*items->at(0).hold_expires, at(kOnSale) + std::chrono::minutes(10));
}

TEST(SalesTest, SelectSameTicketTwiceIsDuplicated) {
  World w;
  auto alice = w.user("alice");
  ASSERT_TRUE(w.sales.select(alice, kRound, pick(1, 1)).ok());
  auto again = w.sales.select(alice, kRound, pick(1, 1));
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, ErrorCode::kSelectDuplicated);
}

TEST(SalesTest, TicketHeldByAnotherBuyerCannotBeSelectedOrBought) {
  World w;
  auto alice = w.user("alice", 10000), bob = w.user("bob", 10000);
  ASSERT_TRUE(w.sales.select(alice, kRound, pick(2, 777)).ok());
  auto sel = w.sales.select(bob, kRound, pick(2, 777));
  ASSERT_FALSE(sel.ok());
  EXPECT_EQ(sel.error().code, ErrorCode::kTicketHeld);
  auto buy = w.sales.buy(bob, kRound, {pick(2, 777)}, "", "");
  ASSERT_FALSE(buy.ok());
  EXPECT_EQ(buy.error().code, ErrorCode::kTicketHeld);
  EXPECT_EQ(*w.store->balance("bob"), 10000);
}

TEST(SalesTest, LapsedHoldFreesTheTicketButItStaysInTheCart) {
  World w;
  auto alice = w.user("alice", 10000), bob = w.user("bob", 10000);
  ASSERT_TRUE(w.sales.select(alice, kRound, pick(2, 777)).ok());
  w.clock.advance(std::chrono::minutes(10));
  auto cart = w.sales.cart(alice);
  ASSERT_TRUE(cart.ok());
  ASSERT_EQ(cart->size(), 1u);
  EXPECT_FALSE(cart->at(0).hold_expires.has_value());
  ASSERT_TRUE(w.sales.buy(bob, kRound, {pick(2, 777)}, "", "").ok());
  // Alice's checkout now finds it sold and changes nothing.
  auto checkout = w.sales.checkout(alice, "", "");
  ASSERT_FALSE(checkout.ok());
  EXPECT_EQ(checkout.error().code, ErrorCode::kPurchaseDuplicated);
  EXPECT_EQ(checkout.error().tickets, std::vector<int>{idx(2, 777)});
  EXPECT_EQ(*w.store->balance("alice"), 10000);
  EXPECT_EQ(w.sales.cart(alice)->size(), 1u);
}

TEST(SalesTest, HoldsOffLetsTwoBuyersSelectTheSameTicket) {
  app::SalesConfig cfg;
  cfg.hold_seconds = 0;
  World w(cfg);
  auto alice = w.user("alice"), bob = w.user("bob");
  auto a = w.sales.select(alice, kRound, pick(4, 4));
  ASSERT_TRUE(a.ok());
  EXPECT_FALSE(a->at(0).hold_expires.has_value());
  EXPECT_TRUE(w.sales.select(bob, kRound, pick(4, 4)).ok());
}

TEST(SalesTest, GroupZeroSelectsAllFiveOrNone) {
  World w;
  auto alice = w.user("alice", 100000), bob = w.user("bob");
  ASSERT_TRUE(w.sales.buy(alice, kRound, {pick(4, 55)}, "", "").ok());
  auto none = w.sales.select(bob, kRound, pick(0, 55));
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().code, ErrorCode::kPurchaseDuplicated);
  EXPECT_TRUE(w.sales.cart(bob)->empty());
  auto five = w.sales.select(bob, kRound, pick(0, 56));
  ASSERT_TRUE(five.ok());
  std::set<int> groups;
  for (const auto& e : *five) groups.insert(Ticket::from_index(e.item.ticket).group);
  EXPECT_EQ(groups, (std::set<int>{1, 2, 3, 4, 5}));
}

TEST(SalesTest, CartIsLimitedToTwentyTickets) {
  World w;
  auto alice = w.user("alice");
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(w.sales.select(alice, kRound, pick(0, i)).ok());
  auto over = w.sales.select(alice, kRound, pick(1, 999));
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.error().code, ErrorCode::kMaxSelected);
  EXPECT_EQ(w.sales.cart(alice)->size(), 20u);
}

TEST(SalesTest, AutoNeverPicksSoldHeldOrSelectedTickets) {
  World w;
  auto alice = w.user("alice", 1'000'000'000), bob = w.user("bob");
  // Sell all of group 5 but three tickets; hold one, select another: auto must pick the third.
  std::vector<int> all;
  for (int d = 0; d < kNumbersPerGroup; ++d)
    if (d != 10 && d != 20 && d != 30) all.push_back(idx(5, d));
  w.sold.mark_sold(kRound, all);
  ASSERT_TRUE(w.sales.select(alice, kRound, pick(5, 10)).ok());  // held by alice
  ASSERT_TRUE(w.sales.select(bob, kRound, pick(5, 20)).ok());    // selected by bob
  for (int i = 0; i < 5; ++i) {
    auto got = w.sales.select(bob, kRound, auto_pick(5));
    ASSERT_TRUE(got.ok());
    EXPECT_EQ(got->at(0).item.ticket, idx(5, 30));
    ASSERT_TRUE(w.sales.remove(bob, got->at(0).item.id).ok());
  }
  ASSERT_TRUE(w.sales.select(bob, kRound, pick(5, 30)).ok());
  auto none = w.sales.select(bob, kRound, auto_pick(5));
  ASSERT_FALSE(none.ok());
}

// An auto purchase never buys a ticket of the buyer's own cart: while holds are kept it knows
// them by their holds (no cart read), with holds off by reading the cart.
void auto_purchase_skips_own_cart(app::SalesConfig cfg) {
  World w(cfg);
  auto alice = w.user("alice", 1'000'000);
  std::vector<int> all;
  for (int d = 0; d < kNumbersPerGroup; ++d)
    if (d != 10 && d != 30) all.push_back(idx(5, d));
  w.sold.mark_sold(kRound, all);
  ASSERT_TRUE(w.sales.select(alice, kRound, pick(5, 10)).ok());
  auto first = w.sales.buy(alice, kRound, {auto_pick(5)}, "", "");
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(first->tickets.size(), 1u);
  EXPECT_EQ(first->tickets[0].ticket, idx(5, 30));
  auto none = w.sales.buy(alice, kRound, {auto_pick(5)}, "", "");
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().code, ErrorCode::kPurchaseDuplicated);
  EXPECT_EQ(*w.store->balance("alice"), 1'000'000 - kTicketPrice);
  EXPECT_EQ(w.sales.cart(alice)->size(), 1u);
}

TEST(SalesTest, AutoPurchaseNeverBuysATicketOfTheBuyersCartWithHolds) { auto_purchase_skips_own_cart({}); }

TEST(SalesTest, AutoPurchaseNeverBuysATicketOfTheBuyersCartWithHoldsOff) {
  app::SalesConfig cfg;
  cfg.hold_seconds = 0;
  auto_purchase_skips_own_cart(cfg);
}

TEST(SalesTest, SelectionOutsideTheSalesWindowTimesOut) {
  World w(app::SalesConfig{}, "2026-11-26T17:00:00+09:00");
  auto alice = w.user("alice", 10000);
  for (int round : {342, 343, 344}) {
    auto sel = w.sales.select(alice, round, pick(1, 1));
    ASSERT_FALSE(sel.ok());
    EXPECT_EQ(sel.error().code, ErrorCode::kTimeOut);
  }
  w.clock.set(at("2026-11-26T21:00:00+09:00"));
  EXPECT_TRUE(w.sales.select(alice, 344, pick(1, 1)).ok());
  auto old = w.sales.select(alice, 343, pick(1, 2));
  ASSERT_FALSE(old.ok());
  EXPECT_EQ(old.error().code, ErrorCode::kTimeOut);
}

TEST(SalesTest, CartOfAClosedRoundIsDroppedAndCheckoutTimesOut) {
  World w(app::SalesConfig{}, "2026-11-26T16:59:00+09:00");
  auto alice = w.user("alice", 10000);
  ASSERT_TRUE(w.sales.select(alice, kRound, pick(1, 1)).ok());
  w.clock.set(at("2026-11-26T17:00:00+09:00"));
  auto checkout = w.sales.checkout(alice, "", "");
  ASSERT_FALSE(checkout.ok());
  EXPECT_EQ(checkout.error().code, ErrorCode::kTimeOut);
  EXPECT_TRUE(w.sales.cart(alice)->empty());
  EXPECT_EQ(*w.store->balance("alice"), 10000);
}

TEST(SalesTest, CheckoutBuysTheWholeCartAndDebitsOnce) {
  World w;
  auto alice = w.user("alice", 10000);
  ASSERT_TRUE(w.sales.select(alice, kRound, pick(1, 123)).ok());
  ASSERT_TRUE(w.sales.select(alice, kRound, pick(2, 456)).ok());
  auto rec = w.sales.checkout(alice, "", "");
  ASSERT_TRUE(rec.ok());
  EXPECT_EQ(rec->amount, 2000);
  EXPECT_EQ(rec->balance_after, 8000);
  EXPECT_EQ(rec->tickets.size(), 2u);
  EXPECT_TRUE(w.sales.cart(alice)->empty());
  auto empty = w.sales.checkout(alice, "", "");
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.error().code, ErrorCode::kSelectNoTicket);
}

TEST(SalesTest, FailedCheckoutChangesNothing) {
  World w;
  auto alice = w.user("alice", 1000);
  ASSERT_TRUE(w.sales.select(alice, kRound, pick(1, 1)).ok());
  ASSERT_TRUE(w.sales.select(alice, kRound, pick(1, 2)).ok());
  auto rec = w.sales.checkout(alice, "", "");
  ASSERT_FALSE(rec.ok());
  EXPECT_EQ(rec.error().code, ErrorCode::kNotEnoughMoney);
  EXPECT_EQ(*w.store->balance("alice"), 1000);
  EXPECT_EQ(w.sales.cart(alice)->size(), 2u);
  EXPECT_TRUE(w.store->tickets_of("alice", kRound)->empty());
}

TEST(SalesTest, RoundLimitCountsTicketsBought) {
  app::SalesConfig cfg;
  cfg.round_limit = 3;
  World w(cfg);
  auto alice = w.user("alice", 100000);
  ASSERT_TRUE(w.sales.buy(alice, kRound, {pick(1, 1), pick(1, 2)}, "", "").ok());
  auto over = w.sales.buy(alice, kRound, {pick(1, 3), pick(1, 4)}, "", "");
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.error().code, ErrorCode::kLimitExceeded);
  EXPECT_TRUE(w.sales.buy(alice, kRound, {pick(1, 3)}, "", "").ok());
  EXPECT_EQ(*w.store->balance("alice"), 97000);
}

TEST(SalesTest, DirectPurchaseOverTwentyTicketsIsRefused) {
  World w;
  auto alice = w.user("alice", 100000);
  std::vector<app::TicketSpec> specs;
  specs.reserve(5);
  for (int i = 0; i < 4; ++i) specs.push_back(pick(0, i));
  specs.push_back(pick(1, 99));
  auto r = w.sales.buy(alice, kRound, specs, "", "");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kMaxSelected);
  specs.pop_back();
  auto ok = w.sales.buy(alice, kRound, specs, "", "");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->tickets.size(), 20u);
}

TEST(SalesTest, SameTicketTwiceInOneRequestIsInvalid) {
  World w;
  auto alice = w.user("alice", 100000);
  auto r = w.sales.buy(alice, kRound, {pick(1, 5), pick(1, 5)}, "", "");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidRequest);
  auto r2 = w.sales.buy(alice, kRound, {pick(0, 5), pick(3, 5)}, "", "");
  ASSERT_FALSE(r2.ok());
  EXPECT_EQ(r2.error().code, ErrorCode::kInvalidRequest);
}

TEST(SalesTest, DirectPurchaseLeavesTheBuyersCart) {
  World w;
  auto alice = w.user("alice", 10000);
  ASSERT_TRUE(w.sales.select(alice, kRound, pick(1, 1)).ok());
  ASSERT_TRUE(w.sales.select(alice, kRound, pick(1, 2)).ok());
  ASSERT_TRUE(w.sales.buy(alice, kRound, {pick(1, 1)}, "", "").ok());
  auto cart = w.sales.cart(alice);
  ASSERT_EQ(cart->size(), 1u);
  EXPECT_EQ(cart->at(0).item.ticket, idx(1, 2));
}

TEST(SalesTest, IdempotencyKeyReplaysAndConflicts) {
  World w;
  auto alice = w.user("alice", 10000);
  auto first = w.sales.buy(alice, kRound, {auto_pick(2)}, "key-1", "hash-a");
  ASSERT_TRUE(first.ok());
  auto again = w.sales.buy(alice, kRound, {auto_pick(2)}, "key-1", "hash-a");
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->replayed);
  EXPECT_EQ(again->id, first->id);
  EXPECT_EQ(again->tickets[0].ticket, first->tickets[0].ticket);
  EXPECT_EQ(again->balance_after, 9000);
  EXPECT_EQ(*w.store->balance("alice"), 9000);
  auto conflict = w.sales.buy(alice, kRound, {auto_pick(3)}, "key-1", "hash-b");
  ASSERT_FALSE(conflict.ok());
  EXPECT_EQ(conflict.error().code, ErrorCode::kIdempotencyConflict);
  // A key whose request failed may be used again.
  auto poor = w.user("poor", 500);
  auto fail = w.sales.buy(poor, kRound, {pick(1, 9)}, "k", "h1");
  ASSERT_FALSE(fail.ok());
  ASSERT_TRUE(w.store->deposit("poor", 500, "test", "t").ok());
  EXPECT_TRUE(w.sales.buy(poor, kRound, {pick(1, 9)}, "k", "h1").ok());
}

TEST(SalesTest, DepositRules) {
  World w;
  app::Actor admin{"root", true};
  auto alice = w.user("alice");
  EXPECT_EQ(w.sales.deposit(alice, "", 1000).error().code, ErrorCode::kForbidden);  // not demo
  EXPECT_EQ(*w.sales.deposit(admin, "alice", 1000), 1000);
  EXPECT_EQ(w.sales.deposit(admin, "alice", 0).error().code, ErrorCode::kInvalidRequest);
  EXPECT_EQ(w.sales.deposit(admin, "alice", -5).error().code, ErrorCode::kInvalidRequest);
  app::SalesConfig demo;
  demo.demo = true;
  World d(demo);
  auto bob = d.user("bob");
  EXPECT_EQ(*d.sales.deposit(bob, "", 700), 700);
  EXPECT_EQ(d.sales.deposit(bob, "carol", 700).error().code, ErrorCode::kForbidden);
}

TEST(SalesTest, ConcurrentBuyersOfOneTicketOnlyOneWins) {
  World w;
  constexpr int kBuyers = 64;
  std::vector<app::Actor> buyers;
  buyers.reserve(kBuyers);
  for (int i = 0; i < kBuyers; ++i) buyers.push_back(w.user("u" + std::to_string(i), 5000));
  std::atomic<int> wins{0};
  std::vector<std::thread> threads;
  threads.reserve(kBuyers);
  for (int i = 0; i < kBuyers; ++i)
    threads.emplace_back([&, i] {
      if (w.sales.buy(buyers[i], kRound, {pick(3, 333333)}, "", "").ok()) ++wins;
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(wins.load(), 1);
  auto totals = w.store->totals();
  ASSERT_TRUE(totals.ok());
  EXPECT_EQ(totals->sales, 1000);
  EXPECT_EQ(totals->deposits, totals->balances + totals->sales - totals->prizes);
}

}  // namespace
}  // namespace p720::testing
