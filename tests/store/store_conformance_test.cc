// One conformance suite for every Store backend: SQLite (a temporary file) and MariaDB (the
// server named by PENSION_TEST_MYSQL, which scripts/test.sh always starts and sets; each test
// gets its own database). Without PENSION_TEST_MYSQL the MariaDB cases fail; they never skip. Both must behave identically, including under concurrency from two
// SqlStore instances on one database — two processes, as far as the database can tell.
#include <gtest/gtest.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <future>
#include <map>
#include <random>
#include <semaphore>
#include <set>
#include <thread>

#include "domain/ticket.h"
#include "store/migrations.h"
#include "store/mysql_connection.h"
#include "store/sql_store.h"
#include "store/sqlite_connection.h"
#include "test_database.h"

namespace p720::store {
namespace {

constexpr int kRound = 343;
constexpr long long kPrice = 1000;

class StoreConformance : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(db_.create(GetParam(), "p720conf"));
    mysql_ = db_.mysql;
    store_ = open();
  }

  void TearDown() override {
    store_.reset();
    db_.drop();
  }

  SqlStore::ConnectionFactory factory() const { return db_.factory(); }

  // Another store on the same database: what a second process would have.
  std::unique_ptr<Store> open(bool outbox = false) { return std::make_unique<SqlStore>(factory(), 256, outbox); }

  static PurchaseCommand cmd(const std::string& user, std::vector<int> tickets, std::string key = "",
                             std::string hash = "", int limit = 100) {
    return PurchaseCommand{
        user, kRound, std::move(tickets), kPrice, limit, "2026-11-24T12:00:00+09:00", std::move(key), std::move(hash)};
  }

  void expect_conserved(Store& s) {
    auto t = s.totals();
    ASSERT_TRUE(t.ok());
    EXPECT_EQ(t->deposits, t->balances + t->sales - t->prizes)
        << "deposits " << t->deposits << " balances " << t->balances << " sales " << t->sales << " prizes "
        << t->prizes;
  }

  TestDatabase db_;
  MysqlParams mysql_;  // the test's MariaDB database, for rival connections (MariaDB cases only)
  std::unique_ptr<Store> store_;
};

TEST_P(StoreConformance, DepositBalanceAndLedger) {
  EXPECT_EQ(*store_->balance("nobody"), 0);
  EXPECT_EQ(*store_->deposit("alice", 5000, "by:admin", "t1"), 5000);
  EXPECT_EQ(*store_->deposit("alice", 2500, "by:alice", "t2"), 7500);
  EXPECT_EQ(*store_->balance("alice"), 7500);
  auto ledger = store_->ledger("alice", 10);
  ASSERT_TRUE(ledger.ok());
  ASSERT_EQ(ledger->size(), 2u);
  EXPECT_EQ((*ledger)[0].amount, 2500);  // newest first
  EXPECT_EQ((*ledger)[0].balance_after, 7500);
  EXPECT_EQ((*ledger)[0].kind, "DEPOSIT");
  EXPECT_EQ((*ledger)[0].ref, "by:alice");
  EXPECT_EQ((*ledger)[1].amount, 5000);
  EXPECT_TRUE(store_->ledger("bob", 10)->empty());
  // Ids compare exactly (binary collation on MariaDB, as in SQLite).
  EXPECT_EQ(*store_->balance("Alice"), 0);
  EXPECT_EQ(*store_->balance("alice "), 0);
  expect_conserved(*store_);
}

TEST_P(StoreConformance, UnicodeAndQuotesSurvive) {
  const std::string user = "김'철수\"\\;--";
  EXPECT_EQ(*store_->deposit(user, 1000, "ref'\\", "t"), 1000);
  auto ledger = store_->ledger(user, 1);
  ASSERT_TRUE(ledger.ok());
  ASSERT_EQ(ledger->size(), 1u);
  EXPECT_EQ((*ledger)[0].user_id, user);
  EXPECT_EQ((*ledger)[0].ref, "ref'\\");
}

TEST_P(StoreConformance, CartAddDuplicateMaxRemoveClear) {
  auto added = store_->add_to_cart("alice", kRound, {10, 11}, 3, "t");
  ASSERT_TRUE(added.ok());
  ASSERT_EQ(added->size(), 2u);
  EXPECT_EQ((*added)[0].ticket, 10);

  auto dup = store_->add_to_cart("alice", kRound, {12, 11}, 3, "t");
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.error().code, ErrorCode::kSelectDuplicated);
  EXPECT_EQ(store_->cart("alice")->size(), 2u);  // all or none

  auto max = store_->add_to_cart("alice", kRound, {12, 13}, 3, "t");
  ASSERT_FALSE(max.ok());
  EXPECT_EQ(max.error().code, ErrorCode::kMaxSelected);

  ASSERT_TRUE(store_->deposit("bob", 1000, "t", "t").ok());
  ASSERT_TRUE(store_->purchase(cmd("bob", {20})).ok());
  auto sold = store_->add_to_cart("alice", kRound, {20}, 3, "t");
  ASSERT_FALSE(sold.ok());
  EXPECT_EQ(sold.error().code, ErrorCode::kPurchaseDuplicated);

  // Another user may put the same ticket in its own cart (holds, not the cart, keep them apart).
  EXPECT_TRUE(store_->add_to_cart("carol", kRound, {10}, 3, "t").ok());

  auto not_mine = store_->remove_cart_item("bob", (*added)[0].id);
  ASSERT_FALSE(not_mine.ok());
  EXPECT_EQ(not_mine.error().code, ErrorCode::kNotFound);
  auto removed = store_->remove_cart_item("alice", (*added)[0].id);
  ASSERT_TRUE(removed.ok());
  EXPECT_EQ(removed->ticket, 10);
  EXPECT_EQ(store_->cart("alice")->size(), 1u);

  ASSERT_TRUE(store_->add_to_cart("alice", kRound - 1, {30}, 3, "t").ok());
  auto stale = store_->clear_cart("alice", kRound);
  ASSERT_TRUE(stale.ok());
  ASSERT_EQ(stale->size(), 1u);
  EXPECT_EQ((*stale)[0].round, kRound - 1);
  auto all = store_->clear_cart("alice", std::nullopt);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 1u);
  EXPECT_TRUE(store_->cart("alice")->empty());
  EXPECT_EQ(store_->cart("carol")->size(), 1u);
}

TEST_P(StoreConformance, PurchaseDebitsRecordsAndLeavesCart) {
  ASSERT_TRUE(store_->deposit("alice", 5000, "t", "t").ok());
  ASSERT_TRUE(store_->add_to_cart("alice", kRound, {1, 2, 3}, 20, "t").ok());
  auto rec = store_->purchase(cmd("alice", {1, 2}));
  ASSERT_TRUE(rec.ok());
  EXPECT_EQ(rec->amount, 2000);
  EXPECT_EQ(rec->balance_after, 3000);
  EXPECT_FALSE(rec->replayed);
  ASSERT_EQ(rec->tickets.size(), 2u);
  EXPECT_EQ(rec->tickets[0].ticket, 1);
  EXPECT_EQ(rec->tickets[1].purchase_id, rec->id);
  EXPECT_EQ(*store_->balance("alice"), 3000);

  auto cart = store_->cart("alice");
  ASSERT_EQ(cart->size(), 1u);
  EXPECT_EQ((*cart)[0].ticket, 3);

  auto mine = store_->tickets_of("alice", kRound);
  ASSERT_EQ(mine->size(), 2u);
  EXPECT_EQ((*mine)[0].ticket, 2);  // newest first
  EXPECT_TRUE(store_->tickets_of("alice", kRound + 1)->empty());
  auto sold = store_->sold_tickets(kRound);
  std::sort(sold->begin(), sold->end());
  EXPECT_EQ(*sold, (std::vector<int>{1, 2}));
  auto ledger = store_->ledger("alice", 1);
  EXPECT_EQ((*ledger)[0].kind, "PURCHASE");
  EXPECT_EQ((*ledger)[0].amount, -2000);
  expect_conserved(*store_);
}

TEST_P(StoreConformance, FailedPurchasesChangeNothing) {
  ASSERT_TRUE(store_->deposit("alice", 3000, "t", "t").ok());
  ASSERT_TRUE(store_->deposit("bob", 3000, "t", "t").ok());
  ASSERT_TRUE(store_->purchase(cmd("bob", {7})).ok());
  ASSERT_TRUE(store_->add_to_cart("alice", kRound, {6, 8}, 20, "t").ok());

  auto dup = store_->purchase(cmd("alice", {6, 7, 8}));
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.error().code, ErrorCode::kPurchaseDuplicated);
  EXPECT_EQ(dup.error().tickets, std::vector<int>{7});

  auto poor = store_->purchase(cmd("alice", {6, 8, 9, 10}));
  ASSERT_FALSE(poor.ok());
  EXPECT_EQ(poor.error().code, ErrorCode::kNotEnoughMoney);

  auto limit = store_->purchase(cmd("alice", {6, 8}, "", "", 1));
  ASSERT_FALSE(limit.ok());
  EXPECT_EQ(limit.error().code, ErrorCode::kLimitExceeded);

  EXPECT_EQ(*store_->balance("alice"), 3000);
  EXPECT_TRUE(store_->tickets_of("alice", std::nullopt)->empty());
  EXPECT_EQ(store_->cart("alice")->size(), 2u);
  EXPECT_EQ(store_->ledger("alice", 10)->size(), 1u);

  // The limit counts tickets bought across purchases.
  ASSERT_TRUE(store_->purchase(cmd("alice", {6}, "", "", 2)).ok());
  auto over = store_->purchase(cmd("alice", {8, 9}, "", "", 2));
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.error().code, ErrorCode::kLimitExceeded);
  EXPECT_TRUE(store_->purchase(cmd("alice", {8}, "", "", 2)).ok());
  expect_conserved(*store_);
}

// The per-round limit counts each round apart, whatever order the rounds' purchases come in
// (on SQLite the wallet row holds the latest round's count, migration 7, and moves it to
// user_rounds when the buyer buys in a later round), and counts rows of user_rounds written
// before that migration.
TEST_P(StoreConformance, RoundLimitCountsEachRoundApart) {
  ASSERT_TRUE(store_->deposit("alice", 20 * kPrice, "t", "t").ok());
  auto buy = [&](int round, std::vector<int> tickets) {
    return store_->purchase(
        PurchaseCommand{"alice", round, std::move(tickets), kPrice, 3, "2026-11-24T12:00:00+09:00", "", ""});
  };
  auto refused = [](const Result<PurchaseRecord>& r) { return !r.ok() && r.error().code == ErrorCode::kLimitExceeded; };
  ASSERT_TRUE(buy(kRound, {1, 2}).ok());
  ASSERT_TRUE(buy(kRound + 1, {1, 2}).ok());  // another round: its own count
  EXPECT_TRUE(refused(buy(kRound + 1, {3, 4})));
  EXPECT_TRUE(refused(buy(kRound, {3, 4})));  // the earlier round kept its 2
  ASSERT_TRUE(buy(kRound, {3}).ok());         // a purchase in an earlier round counts there
  EXPECT_TRUE(refused(buy(kRound, {4})));
  ASSERT_TRUE(buy(kRound + 1, {3}).ok());
  EXPECT_TRUE(refused(buy(kRound + 1, {4})));
  ASSERT_TRUE(buy(kRound + 2, {1, 2, 3}).ok());
  EXPECT_TRUE(refused(buy(kRound + 2, {4})));
  EXPECT_TRUE(refused(buy(kRound, {4})));
  EXPECT_EQ(*store_->balance("alice"), 20 * kPrice - 9 * kPrice);
  // A count in user_rounds alone (a database from before migration 7) counts too.
  ASSERT_TRUE(store_->deposit("bob", 5 * kPrice, "t", "t").ok());
  factory()()->query("INSERT INTO user_rounds (user_id, round, tickets) VALUES ('bob', ?, 2)",
                     {SqlValue{(long long)kRound}});
  EXPECT_TRUE(refused(store_->purchase(cmd("bob", {10, 11}, "", "", 3))));
  ASSERT_TRUE(store_->purchase(cmd("bob", {10}, "", "", 3)).ok());
  EXPECT_TRUE(refused(store_->purchase(cmd("bob", {11}, "", "", 3))));
  EXPECT_EQ(*store_->balance("bob"), 4 * kPrice);
  expect_conserved(*store_);
}

TEST_P(StoreConformance, IdempotencyKeyReplaysAndConflicts) {
  ASSERT_TRUE(store_->deposit("alice", 5000, "t", "t").ok());
  auto first = store_->purchase(cmd("alice", {100, 101}, "key-1", "hash-a"));
  ASSERT_TRUE(first.ok());
  auto again = store_->purchase(cmd("alice", {100, 101}, "key-1", "hash-a"));
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->replayed);
  EXPECT_EQ(again->id, first->id);
  EXPECT_EQ(again->tickets.size(), 2u);
  EXPECT_EQ(again->balance_after, 3000);
  EXPECT_EQ(*store_->balance("alice"), 3000);  // charged once

  auto conflict = store_->purchase(cmd("alice", {102}, "key-1", "hash-b"));
  ASSERT_FALSE(conflict.ok());
  EXPECT_EQ(conflict.error().code, ErrorCode::kIdempotencyConflict);

  auto replay = store_->replay("alice", "key-1", "hash-a");
  ASSERT_TRUE(replay.ok());
  ASSERT_TRUE(replay->has_value());
  EXPECT_EQ((*replay)->id, first->id);
  EXPECT_FALSE(store_->replay("alice", "key-2", "x")->has_value());
  // Keys are per user.
  ASSERT_TRUE(store_->deposit("bob", 1000, "t", "t").ok());
  EXPECT_TRUE(store_->purchase(cmd("bob", {103}, "key-1", "hash-c")).ok());

  // A key whose request failed may be used again.
  auto failed = store_->purchase(cmd("alice", {100}, "key-3", "hash-d"));
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().code, ErrorCode::kPurchaseDuplicated);
  auto retried = store_->purchase(cmd("alice", {104}, "key-3", "hash-e"));
  ASSERT_TRUE(retried.ok());
  EXPECT_FALSE(retried->replayed);
  expect_conserved(*store_);
}

// Many threads on two stores (two processes, as far as the database knows) race for one
// ticket: exactly one wins, every other gets PURCHASE_DUPLICATED, nobody gets an error.
TEST_P(StoreConformance, ConcurrentBuyersOfOneTicketOnTwoStores) {
  auto other = open();
  constexpr int kBuyers = 24;
  for (int i = 0; i < kBuyers; ++i) ASSERT_TRUE(store_->deposit("u" + std::to_string(i), 1000, "t", "t").ok());
  std::atomic<int> wins{0}, dups{0}, others{0};
  std::vector<std::thread> threads;
  threads.reserve(kBuyers);
  for (int i = 0; i < kBuyers; ++i) {
    threads.emplace_back([&, i] {
      Store& s = i % 2 ? *other : *store_;
      auto r = s.purchase(cmd("u" + std::to_string(i), {4242}));
      if (r.ok()) ++wins;
      else if (r.error().code == ErrorCode::kPurchaseDuplicated) ++dups;
      else ++others;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(wins.load(), 1);
  EXPECT_EQ(dups.load(), kBuyers - 1);
  EXPECT_EQ(others.load(), 0);
  EXPECT_EQ(store_->tickets_of_round(kRound)->size(), 1u);
  expect_conserved(*store_);
  auto t = other->totals();
  EXPECT_EQ(t->sales, 1000);
}

// Random overlapping sets from many threads on two stores: every sale is unique, every winner
// owns exactly what it was told, and money is conserved.
TEST_P(StoreConformance, ConcurrentOverlappingPurchasesOnTwoStores) {
  auto other = open();
  constexpr int kThreads = 16, kEach = 12;
  for (int i = 0; i < kThreads; ++i) ASSERT_TRUE(store_->deposit("w" + std::to_string(i), 30'000, "t", "t").ok());
  std::mutex mu;
  std::map<long long, std::pair<std::string, std::vector<int>>> receipts;
  std::atomic<int> errors{0};
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      Store& s = i % 2 ? *other : *store_;
      std::mt19937 rng(i);
      const std::string user = "w" + std::to_string(i);
      for (int k = 0; k < kEach; ++k) {
        std::set<int> pick;
        const int n = 1 + static_cast<int>(rng() % 4);
        while (static_cast<int>(pick.size()) < n) pick.insert(static_cast<int>(rng() % 40));
        auto r = s.purchase(cmd(user, {pick.begin(), pick.end()}, "k" + std::to_string(k), "h" + std::to_string(k)));
        if (r.ok()) {
          std::vector<int> got;
          for (const auto& t : r->tickets) got.push_back(t.ticket);
          std::lock_guard lock(mu);
          receipts[r->id] = {user, got};
        } else if (r.error().code != ErrorCode::kPurchaseDuplicated) {
          ++errors;
          ADD_FAILURE() << "unexpected error " << static_cast<int>(r.error().code) << " " << r.error().detail;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(errors.load(), 0);
  auto rows = store_->tickets_of_round(kRound);
  ASSERT_TRUE(rows.ok());
  std::set<int> seen;
  size_t from_receipts = 0;
  for (const auto& row : *rows) EXPECT_TRUE(seen.insert(row.ticket).second) << "sold twice: " << row.ticket;
  for (const auto& [id, rec] : receipts) {
    from_receipts += rec.second.size();
    for (int t : rec.second) {
      auto it = std::find_if(rows->begin(), rows->end(), [&](const TicketRow& r) { return r.ticket == t; });
      ASSERT_NE(it, rows->end());
      EXPECT_EQ(it->user_id, rec.first);
      EXPECT_EQ(it->purchase_id, id);
    }
  }
  EXPECT_EQ(from_receipts, rows->size());
  expect_conserved(*store_);
  auto t = store_->totals();
  EXPECT_EQ(t->sales, static_cast<long long>(rows->size()) * kPrice);
}

// The same Idempotency-Key sent to two instances at once: one purchase, both answers equal.
TEST_P(StoreConformance, ConcurrentSameIdempotencyKeyOnTwoStores) {
  auto other = open();
  ASSERT_TRUE(store_->deposit("alice", 100'000, "t", "t").ok());
  for (int round = 0; round < 10; ++round) {
    const std::vector<int> tickets{500 + round * 2, 501 + round * 2};
    const std::string key = "same-" + std::to_string(round);
    std::optional<Result<PurchaseRecord>> a, b;
    std::thread ta([&] { a.emplace(store_->purchase(cmd("alice", tickets, key, "h"))); });
    std::thread tb([&] { b.emplace(other->purchase(cmd("alice", tickets, key, "h"))); });
    ta.join();
    tb.join();
    ASSERT_TRUE(a->ok()) << a->error().detail;
    ASSERT_TRUE(b->ok()) << b->error().detail;
    EXPECT_EQ((*a)->id, (*b)->id);
    EXPECT_NE((*a)->replayed, (*b)->replayed);
  }
  EXPECT_EQ(*store_->balance("alice"), 100'000 - 20 * kPrice);
  expect_conserved(*store_);
}

TEST_P(StoreConformance, DrawIsRecordedAndSettledExactlyOnce) {
  // Winning: group 2, 123456; bonus 654321.
  const DrawRecord draw{kRound, 2, 123456, 654321, "2026-11-26", false};
  ASSERT_TRUE(store_->deposit("alice", 10'000, "t", "t").ok());
  ASSERT_TRUE(store_->deposit("bob", 10'000, "t", "t").ok());
  auto idx = [](int g, int d) { return Ticket{g, d}.index(); };
  // alice: 1st, 3rd (last five), 7th (last one); bob: 2nd (other group), bonus, 6th, nothing.
  ASSERT_TRUE(store_->purchase(cmd("alice", {idx(2, 123456), idx(1, 923456), idx(3, 999996)})).ok());
  ASSERT_TRUE(store_->purchase(cmd("bob", {idx(4, 123456), idx(5, 654321), idx(1, 777756), idx(1, 111111)})).ok());

  auto rec = store_->record_draw(draw);
  ASSERT_TRUE(rec.ok());
  EXPECT_TRUE(store_->record_draw(draw).ok());  // the same again
  auto different = store_->record_draw(DrawRecord{kRound, 1, 1, 2, "2026-11-26", false});
  ASSERT_FALSE(different.ok());
  EXPECT_EQ(different.error().code, ErrorCode::kAlreadyDrawn);

  // Settled from two stores at once, and once more: credits happen once.
  auto other = open();
  std::thread t1([&] { EXPECT_TRUE(store_->settle_draw(kRound, "2026-11-26T19:10:00+09:00").ok()); });
  std::thread t2([&] { EXPECT_TRUE(other->settle_draw(kRound, "2026-11-26T19:10:00+09:00").ok()); });
  t1.join();
  t2.join();
  EXPECT_TRUE(store_->settle_draw(kRound, "2026-11-26T19:11:00+09:00").ok());

  EXPECT_EQ(*store_->balance("alice"), 10'000 - 3000 + 1'000'000 + 1000);
  EXPECT_EQ(*store_->balance("bob"), 10'000 - 4000 + 5000);
  auto found = store_->find_draw(kRound);
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_TRUE((*found)->settled);
  auto winners = store_->winners(kRound);
  std::map<int, long long> counts;
  for (const auto& w : *winners) counts[w.result] = w.count;
  EXPECT_EQ(counts, (std::map<int, long long>{{1, 1}, {2, 1}, {3, 1}, {6, 1}, {7, 1}, {8, 1}}));
  auto wins = store_->winnings_of("bob");
  ASSERT_TRUE(wins.ok());
  EXPECT_EQ(wins->size(), 3u);
  for (const auto& row : *store_->tickets_of("bob", kRound)) {
    EXPECT_EQ(row.draw_date, "2026-11-26");
    if (row.ticket == idx(1, 111111)) EXPECT_EQ(row.result, -1);
  }
  auto t = store_->totals();
  EXPECT_EQ(t->prizes, 1'000'000 + 1000 + 5000);
  expect_conserved(*store_);
  EXPECT_EQ(store_->draws()->size(), 1u);
}

TEST_P(StoreConformance, OutboxRecordsPurchasesAndPrizesInOrder) {
  auto evented = open(/*outbox=*/true);
  ASSERT_TRUE(evented->deposit("alice", 10'000, "t", "t").ok());
  auto p1 = evented->purchase(cmd("alice", {Ticket{1, 5}.index()}));
  auto p2 = evented->purchase(cmd("alice", {Ticket{1, 6}.index()}, "k", "h"));
  ASSERT_TRUE(p1.ok() && p2.ok());
  ASSERT_TRUE(evented->purchase(cmd("alice", {Ticket{1, 6}.index()}, "k", "h")).ok());  // a replay: no event
  ASSERT_FALSE(evented->purchase(cmd("alice", {Ticket{1, 6}.index()})).ok());           // failed: no event
  ASSERT_TRUE(evented->record_draw(DrawRecord{kRound, 3, 5, 999999, "2026-11-26", false}).ok());
  ASSERT_TRUE(evented->settle_draw(kRound, "now").ok());

  auto events = evented->pending_events(100);
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 3u);  // two purchases, one prize (group 1 000005: the 2nd prize, an annuity)
  EXPECT_EQ((*events)[0].kind, "purchase");
  EXPECT_NE((*events)[0].payload.find("\"purchaseId\":" + std::to_string(p1->id)), std::string::npos);
  // The same document on every backend (MariaDB builds it inside its purchase procedure).
  const auto e0 = nlohmann::json::parse((*events)[0].payload);
  EXPECT_EQ(e0,
            (nlohmann::json{{"purchaseId", p1->id},
                            {"userId", "alice"},
                            {"round", kRound},
                            {"amount", 1000},
                            {"balance", p1->balance_after},
                            {"createdAt", p1->created_at},
                            {"tickets", {{{"ticketId", p1->tickets.at(0).id}, {"group", 1}, {"number", "000005"}}}}}));
  EXPECT_NE((*events)[1].payload.find("\"purchaseId\":" + std::to_string(p2->id)), std::string::npos);
  EXPECT_LT((*events)[0].id, (*events)[1].id);
  EXPECT_EQ((*events)[2].kind, "prize");
  ASSERT_TRUE(evented->ack_events({(*events)[0].id, (*events)[1].id}).ok());
  auto rest = evented->pending_events(100);
  ASSERT_EQ(rest->size(), 1u);
  EXPECT_EQ((*rest)[0].kind, "prize");

  // A store without the outbox writes no events.
  ASSERT_TRUE(store_->purchase(cmd("alice", {Ticket{2, 7}.index()})).ok());
  EXPECT_EQ(evented->pending_events(100)->size(), 1u);
}

TEST_P(StoreConformance, MigrationsAreAppliedOnceEvenConcurrently) {
  std::vector<std::thread> threads;
  threads.reserve(4);
  std::atomic<int> opened{0};
  for (int i = 0; i < 4; ++i)
    threads.emplace_back([&] {
      auto s = open();
      if (s->ping().ok()) ++opened;
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(opened.load(), 4);
  auto conn = factory()();
  auto rows = conn->query("SELECT version FROM schema_migrations ORDER BY version", {});
  ASSERT_EQ(rows.size(), migration_count());
  EXPECT_EQ(rows.back().i(0), latest_schema_version());
}

// Many purchases queued at once land in the same group-commit batches (on MariaDB they are then
// decided and written together, set-based): every answer must be what buying them one by one,
// in order, gives — money, limit, tickets sold earlier or earlier in the batch, cart, events.
TEST_P(StoreConformance, PurchasesQueuedTogetherAnswerAsOneByOne) {
  auto s = open(/*outbox=*/true);
  ASSERT_TRUE(s->deposit("money", 3'000, "t", "t").ok());  // three tickets' worth
  for (const char* u : {"limit", "twice", "multi", "late", "cart"}) ASSERT_TRUE(s->deposit(u, 100'000, "t", "t").ok());
  ASSERT_TRUE(s->purchase(cmd("late", {500})).ok());  // sold before the batch
  ASSERT_TRUE(s->add_to_cart("cart", kRound, {600, 601, 602}, 20, "t").ok());
  struct Case {
    PurchaseCommand cmd;
    std::optional<ErrorCode> expect;  // none: bought
    std::vector<int> sold = {};
  };
  const std::optional<ErrorCode> ok;
  std::vector<Case> cases = {
      {cmd("money", {1}), ok},
      {cmd("limit", {10}, "", "", 2), ok},
      {cmd("twice", {100}), ok},
      {cmd("multi", {200, 201, 202}), ok},
      {cmd("money", {2, 3}), ok},
      {cmd("limit", {11}, "", "", 2), ok},
      {cmd("twice", {100}), ErrorCode::kPurchaseDuplicated, {100}},
      {cmd("multi", {203, 202}), ErrorCode::kPurchaseDuplicated, {202}},
      {cmd("money", {4}), ErrorCode::kNotEnoughMoney},
      {cmd("limit", {12}, "", "", 2), ErrorCode::kLimitExceeded},
      {cmd("late", {501, 500}), ErrorCode::kPurchaseDuplicated, {500}},
      {cmd("nobody", {700}), ErrorCode::kNotEnoughMoney},
      {cmd("cart", {601, 603}), ok},
      {cmd("multi", {203, 204}), ok},  // 203 was freed by the failed purchase above
  };
  std::vector<std::promise<Result<PurchaseRecord>>> promises(cases.size());
  for (size_t i = 0; i < cases.size(); ++i)
    s->purchase_async(cases[i].cmd, [&promises, i](Result<PurchaseRecord> r) { promises[i].set_value(std::move(r)); });
  std::vector<PurchaseRecord> bought;
  for (size_t i = 0; i < cases.size(); ++i) {
    auto r = promises[i].get_future().get();
    SCOPED_TRACE("case " + std::to_string(i));
    if (cases[i].expect) {
      ASSERT_FALSE(r.ok());
      EXPECT_EQ(r.error().code, *cases[i].expect) << r.error().detail;
      EXPECT_EQ(r.error().tickets, cases[i].sold);
      continue;
    }
    ASSERT_TRUE(r.ok()) << r.error().detail;
    EXPECT_EQ(r->amount, kPrice * static_cast<long long>(cases[i].cmd.tickets.size()));
    ASSERT_EQ(r->tickets.size(), cases[i].cmd.tickets.size());
    for (size_t k = 0; k < r->tickets.size(); ++k) EXPECT_EQ(r->tickets[k].ticket, cases[i].cmd.tickets[k]);
    bought.push_back(std::move(*r));
  }
  EXPECT_EQ(*s->balance("money"), 0);
  EXPECT_EQ(*s->balance("multi"), 100'000 - 5 * kPrice);
  // Each receipt is what the store holds: ids, owners, balances after, the cart left.
  std::map<long long, const PurchaseRecord*> by_id;
  for (const auto& rec : bought) by_id[rec.id] = &rec;
  ASSERT_EQ(by_id.size(), bought.size());
  auto rows = s->tickets_of_round(kRound);
  ASSERT_TRUE(rows.ok());
  std::set<int> seen;
  for (const auto& row : *rows) {
    EXPECT_TRUE(seen.insert(row.ticket).second) << "sold twice: " << row.ticket;
    if (row.user_id == "late" && row.ticket == 500) continue;
    ASSERT_TRUE(by_id.count(row.purchase_id)) << row.ticket;
    const auto& tickets = by_id[row.purchase_id]->tickets;
    EXPECT_TRUE(std::any_of(tickets.begin(), tickets.end(),
                            [&](const TicketRow& t) { return t.id == row.id && t.ticket == row.ticket; }));
  }
  EXPECT_EQ(rows->size(), 1u + 1 + 2 + 1 + 3 + 2 + 2 + 2);
  for (const char* user : {"money", "multi", "cart"}) {
    auto ledger = s->ledger(user, 100);
    long long last = -1;
    for (const auto& rec : bought)
      if (rec.user_id == user) last = rec.balance_after;
    EXPECT_EQ((*ledger)[0].balance_after, last) << user;
    EXPECT_EQ(*s->balance(user), last) << user;
  }
  auto cart = s->cart("cart");
  ASSERT_EQ(cart->size(), 2u);
  EXPECT_EQ((*cart)[0].ticket, 600);
  EXPECT_EQ((*cart)[1].ticket, 602);
  // One event per purchase made, describing it exactly, each with an id of its own.
  auto events = s->pending_events(100);
  ASSERT_EQ(events->size(), bought.size() + 1);  // + the purchase made before the batch
  std::set<std::string> ids;
  for (const auto& e : *events) ids.insert(e.event_id());
  EXPECT_EQ(ids.size(), events->size());
  for (const auto& rec : bought) {
    nlohmann::json tickets = nlohmann::json::array();
    for (const auto& t : rec.tickets) {
      const Ticket tk = Ticket::from_index(t.ticket);
      tickets.push_back({{"ticketId", t.id}, {"group", tk.group}, {"number", tk.number()}});
    }
    const nlohmann::json want{{"purchaseId", rec.id}, {"userId", rec.user_id},        {"round", rec.round},
                              {"amount", rec.amount}, {"balance", rec.balance_after}, {"createdAt", rec.created_at},
                              {"tickets", tickets}};
    const auto it = std::find_if(events->begin(), events->end(),
                                 [&](const OutboxEvent& e) { return nlohmann::json::parse(e.payload) == want; });
    EXPECT_NE(it, events->end()) << want.dump();
  }
  expect_conserved(*s);
  // MariaDB decides them set-based (purchase_together), with one outbox row for the batch's
  // events; SQLite one by one in its transaction, a row each.
  const bool together = s->metrics_text().find("pension_store_purchases_together_total 0\n") == std::string::npos;
  EXPECT_EQ(together, GetParam() == "mariadb");
  const bool batched_row =
      std::any_of(events->begin(), events->end(), [](const OutboxEvent& e) { return e.index > 0; });
  EXPECT_EQ(batched_row, GetParam() == "mariadb");
  // A smaller limit returns whole rows only: every event of the last row it returns.
  auto first = s->pending_events(2);
  ASSERT_GE(first->size(), 2u);
  const long long last_row = first->back().id;
  auto in_last_row = [&](const OutboxEvent& e) { return e.id == last_row; };
  EXPECT_EQ(std::count_if(first->begin(), first->end(), in_last_row),
            std::count_if(events->begin(), events->end(), in_last_row));
  // Acknowledging the rows clears every event of them.
  std::vector<long long> outbox_rows;
  for (const auto& e : *events) outbox_rows.push_back(e.id);
  ASSERT_TRUE(s->ack_events(outbox_rows).ok());
  EXPECT_TRUE(s->pending_events(100)->empty());
}

// A purchase that fails after it has written part of itself (here: a ticket twice in one
// command, which the application never sends) is undone alone, whether or not it ran under a
// savepoint (SQLite decides purchases before writing and uses none): the purchases queued with
// it still go through, and it leaves nothing behind.
TEST_P(StoreConformance, PurchaseFailingMidwayLeavesNothingAndSparesItsBatch) {
  for (const char* u : {"a", "b", "dup", "c", "d"}) ASSERT_TRUE(store_->deposit(u, 10'000, "t", "t").ok());
  const std::vector<PurchaseCommand> cmds = {cmd("a", {1}), cmd("b", {2}), cmd("dup", {300, 301, 300}), cmd("c", {3}),
                                             cmd("d", {4})};
  std::vector<std::promise<Result<PurchaseRecord>>> promises(cmds.size());
  for (size_t i = 0; i < cmds.size(); ++i)
    store_->purchase_async(cmds[i], [&promises, i](Result<PurchaseRecord> r) { promises[i].set_value(std::move(r)); });
  for (size_t i = 0; i < cmds.size(); ++i) {
    auto r = promises[i].get_future().get();
    if (i == 2) {
      ASSERT_FALSE(r.ok());
      EXPECT_EQ(r.error().code, ErrorCode::kPurchaseDuplicated) << r.error().detail;
    } else {
      ASSERT_TRUE(r.ok()) << i << ": " << r.error().detail;
    }
  }
  EXPECT_EQ(*store_->balance("dup"), 10'000);
  EXPECT_TRUE(store_->tickets_of("dup", std::nullopt)->empty());
  EXPECT_EQ(store_->ledger("dup", 10)->size(), 1u);  // the deposit only
  EXPECT_EQ(store_->tickets_of_round(kRound)->size(), 4u);
  ASSERT_TRUE(store_->purchase(cmd("dup", {300, 301})).ok());  // nothing of it was left sold
  expect_conserved(*store_);
}

// The purchase screen (the application's hold check) sees the purchases of a batch together and
// refuses some: those change nothing, the others go through.
TEST_P(StoreConformance, PurchaseScreenRefusesBeforeAnythingIsWritten) {
  ASSERT_TRUE(store_->deposit("alice", 10'000, "t", "t").ok());
  std::atomic<int> calls{0}, screened{0};
  store_->set_purchase_screen([&](const std::vector<const PurchaseCommand*>& cmds) {
    ++calls;
    screened += static_cast<int>(cmds.size());
    std::vector<std::optional<Error>> out(cmds.size());
    for (size_t i = 0; i < cmds.size(); ++i)
      if (cmds[i]->tickets.front() >= 1000) out[i] = make_error(ErrorCode::kTicketHeld);
    return out;
  });
  std::vector<std::promise<Result<PurchaseRecord>>> done(6);
  for (int i = 0; i < 6; ++i)
    store_->purchase_async(cmd("alice", {i % 2 ? 1000 + i : i}),
                           [&done, i](Result<PurchaseRecord> r) { done[i].set_value(std::move(r)); });
  for (int i = 0; i < 6; ++i) {
    auto r = done[i].get_future().get();
    if (i % 2) {
      ASSERT_FALSE(r.ok());
      EXPECT_EQ(r.error().code, ErrorCode::kTicketHeld);
    } else {
      EXPECT_TRUE(r.ok()) << r.error().detail;
    }
  }
  EXPECT_EQ(screened.load(), 6);
  EXPECT_LE(calls.load(), 6);
  EXPECT_EQ(*store_->balance("alice"), 10'000 - 3 * kPrice);
  EXPECT_EQ(store_->tickets_of_round(kRound)->size(), 3u);
  store_->set_purchase_screen(nullptr);
  EXPECT_TRUE(store_->purchase(cmd("alice", {1001})).ok());
  EXPECT_EQ(screened.load(), 6);
  expect_conserved(*store_);
}

// A lingering writer (SqlStore's linger): once buyers are concurrent (its last batch held more
// than one job) it starts its next batch only when the batch is full or the linger is over, and
// stopping the store ends the linger. The screen, run by the writer at each batch, shows the
// batches and holds the writer where the test needs it (no timing: the linger is an hour).
TEST_P(StoreConformance, LingeringWriterFillsItsBatchAndStopsAtOnce) {
  ASSERT_TRUE(store_->deposit("alice", 100'000, "t", "t").ok());
  auto s = std::make_unique<SqlStore>(factory(), /*max_batch=*/4, false, 1, std::chrono::hours(1));
  std::counting_semaphore<16> entered(0), gate(0);
  std::mutex mu;
  std::vector<size_t> batches;
  s->set_purchase_screen([&](const std::vector<const PurchaseCommand*>& cmds) {
    {
      std::lock_guard lock(mu);
      batches.push_back(cmds.size());
    }
    entered.release();
    gate.acquire();
    return std::vector<std::optional<Error>>(cmds.size());
  });
  std::vector<std::promise<Result<PurchaseRecord>>> done(8);
  auto buy = [&](int i) {
    s->purchase_async(cmd("alice", {i}), [&done, i](Result<PurchaseRecord> r) { done[i].set_value(std::move(r)); });
  };
  buy(0);
  entered.acquire();  // the writer holds [0]; 1 and 2 queue meanwhile
  buy(1);
  buy(2);
  gate.release();
  entered.acquire();  // [1, 2]: the writer's last batch held 1 job, so it did not linger
  buy(3);
  gate.release();
  for (int i = 4; i < 7; ++i) buy(i);  // [3] waits for these: a full batch of 4
  entered.acquire();
  gate.release();
  for (int i = 0; i < 7; ++i) ASSERT_TRUE(done[i].get_future().get().ok()) << i;
  gate.release();  // lets the last batch through the screen at once
  buy(7);          // lingers (an hour) until the store stops
  s.reset();
  auto last = done[7].get_future().get();
  ASSERT_TRUE(last.ok()) << last.error().detail;
  EXPECT_EQ(batches, (std::vector<size_t>{1, 2, 4, 1}));
  EXPECT_EQ(store_->tickets_of_round(kRound)->size(), 8u);
  expect_conserved(*store_);
}

// MariaDB only: a ticket sold by another transaction after the batch read the sold tickets but
// before it inserted its own makes the set-based write fail; the batch then falls back to
// buying one by one, and answers exactly.
class MariadbBatch : public StoreConformance {
 protected:
  // Polls `done` until it holds or 20 s pass. The interval is a poll period, not a wait for the
  // event: INNODB_TRX, which the conditions read, is a cache refreshed only when last read over
  // 0.1 s ago, so polling faster would never see it change.
  static bool poll_until(const std::function<bool()>& done) {
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (!done()) {
      if (std::chrono::steady_clock::now() >= give_up) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(150));
    }
    return true;
  }
  // A transaction of this test's database waits for a lock (other tests, run in parallel on the
  // same server, may be waiting for theirs).
  bool lock_wait(MysqlConnection& watcher) {
    return !watcher
                .query("SELECT 1 FROM information_schema.innodb_trx t JOIN information_schema.processlist p"
                       " ON p.id = t.trx_mysql_thread_id WHERE t.trx_state = 'LOCK WAIT' AND p.db = DATABASE()",
                       {})
                .empty();
  }
};

TEST_P(MariadbBatch, TicketSoldConcurrentlyFallsBackToOneByOne) {
  auto s = open(/*outbox=*/true);
  ASSERT_TRUE(s->deposit("alice", 10'000, "t", "t").ok());
  ASSERT_TRUE(s->deposit("bob", 10'000, "t", "t").ok());
  // Another instance's transaction inserts ticket 42 and keeps it uncommitted.
  MysqlConnection rival(mysql_);
  rival.exec("START TRANSACTION");
  rival.query("INSERT INTO tickets (purchase_id, user_id, round, ticket, created_at) VALUES (0, 'rival', ?, 42, 't')",
              {SqlValue{(long long)kRound}});
  std::promise<Result<PurchaseRecord>> a, b;
  s->purchase_async(cmd("alice", {41, 42}), [&a](Result<PurchaseRecord> r) { a.set_value(std::move(r)); });
  s->purchase_async(cmd("bob", {43}), [&b](Result<PurchaseRecord> r) { b.set_value(std::move(r)); });
  // Wait until the store's insert is blocked on the rival's row (a lock wait), then commit it.
  MysqlConnection watcher(mysql_);
  ASSERT_TRUE(poll_until([&] { return lock_wait(watcher); }));
  rival.exec("COMMIT");
  auto ra = a.get_future().get();
  auto rb = b.get_future().get();
  ASSERT_FALSE(ra.ok());
  EXPECT_EQ(ra.error().code, ErrorCode::kPurchaseDuplicated);
  EXPECT_EQ(ra.error().tickets, std::vector<int>{42});
  ASSERT_TRUE(rb.ok()) << rb.error().detail;
  EXPECT_EQ(*s->balance("alice"), 10'000);
  EXPECT_EQ(*s->balance("bob"), 10'000 - kPrice);
  EXPECT_NE(s->metrics_text().find("pension_store_together_fallbacks_total 1\n"), std::string::npos);
  auto rows = s->tickets_of_round(kRound);
  ASSERT_EQ(rows->size(), 2u);  // the rival's 42 and bob's 43; alice's 41 rolled back
  EXPECT_EQ(s->pending_events(100)->size(), 1u);
}

// MariaDB only: a batch locks only its own buyers' rows. Another instance's transaction holding
// one buyer's wallet and round count must not hold up a batch of other buyers (a full scan FOR
// UPDATE of those small tables, which the optimizer preferred, waited for every locked row).
TEST_P(MariadbBatch, OtherBuyersLockedRowsDoNotHoldUpABatch) {
  // Declared before the store, which may still answer into them if an assertion returns early.
  std::counting_semaphore<8> entered(0), gate(0);
  std::vector<std::promise<Result<PurchaseRecord>>> done(8);
  auto s = open(/*outbox=*/true);
  std::vector<std::string> buyers;
  for (int i = 0; i < 8; ++i) {  // each has a wallet and a round count: small tables
    buyers.push_back("buyer" + std::to_string(i));
    ASSERT_TRUE(s->deposit(buyers[i], 10'000, "t", "t").ok());
    ASSERT_TRUE(s->purchase(cmd(buyers[i], {100 + i})).ok());
  }
  MysqlConnection rival(mysql_);  // another instance, in the middle of buying for buyer0
  rival.exec("START TRANSACTION");
  rival.query("SELECT balance FROM wallets WHERE user_id = 'buyer0' FOR UPDATE", {});
  rival.query("SELECT tickets FROM user_rounds WHERE user_id = 'buyer0' FOR UPDATE", {});
  // One batch of the seven others: the screen holds the writer until all are queued.
  s->set_purchase_screen([&](const std::vector<const PurchaseCommand*>& cmds) {
    entered.release();
    gate.acquire();
    return std::vector<std::optional<Error>>(cmds.size());
  });
  std::vector<std::future<Result<PurchaseRecord>>> answers;
  for (size_t i = 1; i < buyers.size(); ++i) {
    answers.push_back(done[i].get_future());
    s->purchase_async(cmd(buyers[i], {200 + static_cast<int>(i)}),
                      [&done, i](Result<PurchaseRecord> r) { done[i].set_value(std::move(r)); });
    if (i == 1) entered.acquire();  // the writer holds [1]; the rest queue behind it
  }
  gate.release(8);
  MysqlConnection watcher(mysql_);
  bool waited = false;
  auto all_answered = [&] {
    return std::all_of(answers.begin(), answers.end(),
                       [](auto& f) { return f.wait_for(std::chrono::seconds(0)) == std::future_status::ready; });
  };
  ASSERT_TRUE(poll_until([&] { return all_answered() || (waited = lock_wait(watcher)); }));
  EXPECT_FALSE(waited) << "a batch of other buyers waited for the rival's locks";
  rival.exec("COMMIT");
  for (auto& f : answers) {
    auto r = f.get();
    EXPECT_TRUE(r.ok()) << r.error().detail;
  }
  EXPECT_EQ(s->tickets_of_round(kRound)->size(), 15u);
}

// MariaDB only (docs/DESIGN.md, "Bounded blast radius"): a ticket held by a transaction that
// does not end (a dead or partitioned instance's) costs the batch one lock wait: that purchase is
// refused (nothing of it written, not retried) and the rest of its batch commits, while the
// ticket is still held.
TEST_P(MariadbBatch, HeldTicketIsRefusedAndTheRestOfItsBatchCommits) {
  std::counting_semaphore<8> entered(0), gate(0);
  std::vector<std::promise<Result<PurchaseRecord>>> done(4);
  auto s = open(/*outbox=*/true);
  const std::vector<std::string> buyers = {"dave", "alice", "bob", "carol"};
  for (const auto& b : buyers) ASSERT_TRUE(s->deposit(b, 10'000, "t", "t").ok());
  MysqlConnection rival(mysql_);
  rival.exec("START TRANSACTION");
  rival.query("INSERT INTO tickets (purchase_id, user_id, round, ticket, created_at) VALUES (0, 'rival', ?, 42, 't')",
              {SqlValue{(long long)kRound}});
  // dave's batch holds the writer until the others are queued: they make the next batch.
  s->set_purchase_screen([&](const std::vector<const PurchaseCommand*>& cmds) {
    entered.release();
    gate.acquire();
    return std::vector<std::optional<Error>>(cmds.size());
  });
  const std::vector<std::vector<int>> tickets = {{50}, {41, 42}, {43}, {44}};
  std::vector<std::future<Result<PurchaseRecord>>> answers;
  for (size_t i = 0; i < buyers.size(); ++i) {
    answers.push_back(done[i].get_future());
    s->purchase_async(cmd(buyers[i], tickets[i]),
                      [&done, i](Result<PurchaseRecord> r) { done[i].set_value(std::move(r)); });
    if (i == 0) entered.acquire();
  }
  gate.release(8);
  std::vector<Result<PurchaseRecord>> r;
  r.reserve(answers.size());
  for (auto& f : answers) r.push_back(f.get());  // all answered while the rival holds 42
  EXPECT_TRUE(r[0].ok() && r[2].ok() && r[3].ok());
  ASSERT_FALSE(r[1].ok());
  EXPECT_EQ(r[1].error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(*s->balance("alice"), 10'000);  // nothing of it was written
  EXPECT_EQ(*s->balance("bob"), 10'000 - kPrice);
  const std::string metrics = s->metrics_text();
  EXPECT_NE(metrics.find("pension_store_lock_waits_total 1\n"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("pension_store_together_fallbacks_total 1\n"), std::string::npos) << metrics;
  EXPECT_EQ(s->tickets_of_round(kRound)->size(), 3u);  // dave's, bob's and carol's
  rival.exec("ROLLBACK");
  // The next batch waits for locks again, and 42 is free now.
  auto again = s->purchase(cmd("alice", {41, 42}));
  ASSERT_TRUE(again.ok()) << again.error().detail;
}

INSTANTIATE_TEST_SUITE_P(MariaDb, MariadbBatch, ::testing::Values("mariadb"),
                         [](const ::testing::TestParamInfo<std::string>& info) { return info.param; });

INSTANTIATE_TEST_SUITE_P(Backends, StoreConformance, ::testing::Values("sqlite", "mariadb"),
                         [](const ::testing::TestParamInfo<std::string>& info) { return info.param; });

// A writer that commits all the time must not let the WAL (and its index, mapped in memory)
// grow without bound: maintain() between transactions starts it over once it is long.
TEST(SqliteWal, StaysBoundedUnderContinuousWrites) {
  TestDatabase db;
  db.create("sqlite", "p720wal");
  const std::string path = db.sqlite_path;
  {
    SqliteConnection c(path);
    c.exec("CREATE TABLE blobs (id INTEGER PRIMARY KEY, data BLOB)");
    constexpr int kTransactions = 24;
    constexpr int kRowsEach = 80;  // 80 rows of 100 KB: ~8,000 pages of 1 KiB per transaction
    const std::string blob(100'000, 'x');
    for (int t = 0; t < kTransactions; ++t) {
      c.exec("BEGIN IMMEDIATE");
      for (int r = 0; r < kRowsEach; ++r)
        c.query("INSERT OR REPLACE INTO blobs (id, data) VALUES (?, ?)", {SqlValue{(long long)r}, SqlValue{blob}});
      c.exec("COMMIT");
      c.maintain();
    }
    // ~192,000 frames were written in all; the WAL never held much more than the limit.
    const auto wal = std::filesystem::file_size(path + "-wal");
    const auto bound = static_cast<std::uintmax_t>(SqliteConnection::kWalFrameLimit + 9'000) * (1024 + 24) + 32;
    EXPECT_LT(wal, bound) << "WAL of " << wal << " bytes";
  }
  db.drop();
}

// The background checkpoint (its own connection) asks the writer to finish only once the WAL is
// long; the writer's finish_upkeep() copies what is left, so that the next commit starts the WAL
// over. (Alone, with no writer racing it, a background pass copies everything itself.)
TEST(SqliteWal, BackgroundCheckpointAsksOnceTheWalIsLongAndTheWriterFinishes) {
  TestDatabase db;
  db.create("sqlite", "p720walbg");
  const std::string path = db.sqlite_path;
  {
    SqliteConnection writer(path);
    writer.exec("CREATE TABLE blobs (id INTEGER PRIMARY KEY, data BLOB)");
    SqliteConnection background(path);
    const std::string blob(100'000, 'x');
    auto write = [&] {  // ~8,000 frames of 1 KiB
      writer.exec("BEGIN IMMEDIATE");
      for (long long r = 0; r < 80; ++r)
        writer.query("INSERT OR REPLACE INTO blobs (id, data) VALUES (?, ?)", {SqlValue{r}, SqlValue{blob}});
      writer.exec("COMMIT");
    };
    // A short WAL: copied, but the writer is not asked.
    write();
    EXPECT_FALSE(background.background_upkeep());
    // The next commits start the WAL over (all of it was copied) and grow it past the restart
    // length; then the background asks.
    for (int i = 0; i < 20 && writer.wal_frames() <= SqliteConnection::kWalRestartFrames; ++i) write();
    ASSERT_GT(writer.wal_frames(), SqliteConnection::kWalRestartFrames);
    EXPECT_TRUE(background.background_upkeep());
    // The writer's finish copies what a racing writer would have left: three commits' worth here.
    write();
    write();
    write();
    const int before = writer.wal_frames();
    EXPECT_GT(before, 20'000);
    writer.finish_upkeep();
    write();
    EXPECT_LT(writer.wal_frames(), 10'000) << "the WAL did not start over (it held " << before << " frames)";
  }
  db.drop();
}

TEST(MysqlUrl, ParsesAndDecodes) {
  auto p = parse_mysql_url("mysql://us%40er:p%3Ass%2Fw@db.example:3307/pension720");
  EXPECT_EQ(p.user, "us@er");
  EXPECT_EQ(p.password, "p:ss/w");
  EXPECT_EQ(p.host, "db.example");
  EXPECT_EQ(p.port, 3307u);
  EXPECT_EQ(p.database, "pension720");
  auto d = parse_mysql_url("mysql://root@localhost/x");
  EXPECT_EQ(d.port, 3306u);
  EXPECT_EQ(d.password, "");
  EXPECT_THROW(parse_mysql_url("mysql://host/db"), std::invalid_argument);
  EXPECT_THROW(parse_mysql_url("mysql://u@host:99999/db"), std::invalid_argument);
  EXPECT_THROW(parse_mysql_url("mysql://u@host:3306/"), std::invalid_argument);
  EXPECT_THROW(parse_mysql_url("mysql://u@host/db;drop"), std::invalid_argument);
  EXPECT_THROW(parse_mysql_url("mysql://u:%zz@host/db"), std::invalid_argument);
}

// A Galera cluster's nodes, in the order to try them; the first is host/port.
TEST(MysqlUrl, ListsEveryNode) {
  auto p = parse_mysql_url("mysql://u:p@10.0.0.1:3341,10.0.0.2,10.0.0.3:3343/db");
  using Node = std::pair<std::string, unsigned>;
  EXPECT_EQ(p.nodes, (std::vector<Node>{{"10.0.0.1", 3341}, {"10.0.0.2", 3306}, {"10.0.0.3", 3343}}));
  EXPECT_EQ(p.host, "10.0.0.1");
  EXPECT_EQ(p.port, 3341u);
  EXPECT_EQ(parse_mysql_url("mysql://u@h:1/db").nodes, (std::vector<Node>{{"h", 1}}));
  EXPECT_THROW(parse_mysql_url("mysql://u@h1,/db"), std::invalid_argument);
  EXPECT_THROW(parse_mysql_url("mysql://u@h1,:3306/db"), std::invalid_argument);
  EXPECT_THROW(parse_mysql_url("mysql://u@h1:3306,h2:0/db"), std::invalid_argument);
}

}  // namespace
}  // namespace p720::store
