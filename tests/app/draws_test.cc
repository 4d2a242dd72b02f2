// Draw recording and settlement against a real SQLite store: exact credits, exactly once.
#include "app/draws.h"

#include <gtest/gtest.h>

#include <map>

#include "domain/prize.h"
#include "domain/ticket.h"
#include "test_support.h"

namespace p720::testing {
namespace {

constexpr int kRound = 343;
const app::Actor kAdmin{"admin", true};

// Buys one ticket per entry for `user` on sale, then moves the clock past the close.
struct Settled : World {
  Settled() : World(app::SalesConfig{.round_limit = 1000}) {}
  void buy(const std::string& user, int group, int digits) {
    ASSERT_TRUE(store->deposit(user, 1000, "test", "t").ok());
    auto r = sales.buy(app::Actor{user, false}, kRound, {app::TicketSpec{group, digits}}, "", "");
    ASSERT_TRUE(r.ok()) << static_cast<int>(r.error().code) << " " << r.error().detail;
  }
  void close() { clock.set(at("2026-11-26T18:00:00+09:00")); }
};

TEST(DrawsTest, CannotDrawWhileOnSale) {
  Settled w;
  auto r = w.draws.record(kAdmin, kRound, DrawNumbers{1, 123456, 654321});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kTimeOut);
}

TEST(DrawsTest, OnlyAdminDraws) {
  Settled w;
  w.close();
  auto r = w.draws.record(app::Actor{"bob", false}, kRound, DrawNumbers{1, 123456, 654321});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kForbidden);
}

TEST(DrawsTest, SettlementCreditsExactlyTheOneTimePrizesOnce) {
  Settled w;
  const DrawNumbers d{3, 123456, 654321};
  // user → tickets, one per result.
  w.buy("first", 3, 123456);    // 1
  w.buy("second", 1, 123456);   // 2
  w.buy("bonus", 5, 654321);    // 8
  w.buy("third", 2, 923456);    // 3: last five
  w.buy("fourth", 2, 993456);   // 4
  w.buy("fifth", 2, 999456);    // 5
  w.buy("sixth", 2, 999956);    // 6
  w.buy("seventh", 2, 999996);  // 7
  w.buy("none", 2, 999999);     // -1
  w.buy("seventh", 4, 111116);  // 7 again for the same user: credits add up
  w.close();
  auto rec = w.draws.record(kAdmin, kRound, d);
  ASSERT_TRUE(rec.ok());
  EXPECT_TRUE(rec->created);

  const std::map<std::string, long long> expected = {{"first", 0},         {"second", 0},       {"bonus", 0},
                                                     {"third", 1'000'000}, {"fourth", 100'000}, {"fifth", 50'000},
                                                     {"sixth", 5'000},     {"seventh", 2'000},  {"none", 0}};
  for (const auto& [user, credit] : expected) EXPECT_EQ(*w.store->balance(user), credit) << user;

  for (const auto& t : *w.store->tickets_of_round(kRound)) {
    EXPECT_EQ(t.result, result_of(Ticket::from_index(t.ticket), d));
    EXPECT_EQ(t.draw_date, "2026-11-26");
  }
  auto winnings = w.draws.winnings(app::Actor{"bonus", false});
  ASSERT_EQ(winnings->size(), 1u);
  EXPECT_EQ(winnings->at(0).result, 8);

  // Recording the same result again is a no-op; a different one is refused.
  auto same = w.draws.record(kAdmin, kRound, d);
  ASSERT_TRUE(same.ok());
  EXPECT_FALSE(same->created);
  EXPECT_EQ(*w.store->balance("third"), 1'000'000);
  auto other = w.draws.record(kAdmin, kRound, DrawNumbers{3, 123457, 654321});
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.error().code, ErrorCode::kAlreadyDrawn);
  auto random = w.draws.record(kAdmin, kRound, std::nullopt);
  ASSERT_FALSE(random.ok());
  EXPECT_EQ(random.error().code, ErrorCode::kAlreadyDrawn);
  ASSERT_TRUE(w.draws.settle_pending().ok());
  EXPECT_EQ(*w.store->balance("seventh"), 2'000);

  auto totals = w.store->totals();
  EXPECT_EQ(totals->prizes, 1'000'000 + 100'000 + 50'000 + 5'000 + 2'000);
  EXPECT_EQ(totals->deposits, totals->balances + totals->sales - totals->prizes);
  auto summary = w.draws.summary(kRound);
  ASSERT_TRUE(summary.ok());
  std::map<int, long long> counts;
  for (const auto& c : summary->winners) counts[c.result] = c.count;
  EXPECT_EQ(counts, (std::map<int, long long>{{1, 1}, {2, 1}, {8, 1}, {3, 1}, {4, 1}, {5, 1}, {6, 1}, {7, 2}}));
}

TEST(DrawsTest, RandomDrawNeverRepeatsTheWinningDigitsAsBonus) {
  for (int i = 0; i < 2000; ++i) {
    auto d = app::random_draw();
    ASSERT_GE(d.group, 1);
    ASSERT_LE(d.group, 5);
    ASSERT_NE(d.digits, d.bonus);
    ASSERT_LT(d.digits, kNumbersPerGroup);
  }
}

TEST(DrawsTest, StatisticsCountDigitsOverDraws) {
  Settled w;
  w.clock.set(at("2026-12-10T18:00:00+09:00"));
  ASSERT_TRUE(w.draws.record(kAdmin, 343, DrawNumbers{1, 111111, 222222}).ok());
  ASSERT_TRUE(w.draws.record(kAdmin, 344, DrawNumbers{1, 199999, 200000}).ok());
  auto groups = w.draws.statistics(false, 0);
  ASSERT_TRUE(groups.ok());
  EXPECT_EQ(groups->at(0), (std::pair<int, long long>{1, 2}));
  auto first = w.draws.statistics(false, 1);
  EXPECT_EQ(first->at(1).second, 2);  // digit 1 twice in first position
  auto bonus_last = w.draws.statistics(true, 6);
  EXPECT_EQ(bonus_last->at(2).second, 1);
  EXPECT_EQ(bonus_last->at(0).second, 1);
}

}  // namespace
}  // namespace p720::testing
