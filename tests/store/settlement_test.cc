// Settlement follows the domain's prize rules (domain/prize.h), on SQLite and MariaDB: every
// ticket gets result_of's result, and the SQL prefilter generated from the rules selects every
// ticket that can win under any rule table, including changed ones.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>

#include "domain/prize.h"
#include "domain/ticket.h"
#include "store/sql_store.h"
#include "store/sql_store_parts.h"
#include "test_database.h"

namespace p720::store {
namespace {

constexpr int kRound = 77;

class Settlement : public StoreTest {
 protected:
  Settlement() : StoreTest("p720settle") {}
};

// Tickets that match each rule (a few per rule: its value plus multiples of its modulus), and a
// spread of others: what a settlement must sort into winners and losers.
std::set<int> probe_tickets(const std::vector<ResultRule>& rules) {
  std::set<int> out;
  for (const auto& r : rules) {
    if (r.modulus == 0) out.insert(r.value);
    else
      for (long long k = 0, step = r.modulus * std::max(1, kTicketsPerRound / r.modulus / 7); k < 7; ++k)
        if (const long long t = r.value + k * step; t < kTicketsPerRound) out.insert(static_cast<int>(t));
  }
  std::mt19937 rng(720);
  for (int i = 0; i < 300; ++i) out.insert(static_cast<int>(rng() % kTicketsPerRound));
  return out;
}

// Every bought ticket's stored result is the domain's: result_of for a drawn round, -1 for none.
TEST_P(Settlement, EveryTicketGetsTheDomainsResult) {
  auto& store = dynamic_cast<SqlStore&>(*store_);
  // The bonus shares the winning number's last five digits: 8 outranks 3 for the bonus ticket.
  const DrawNumbers nums{3, 123456, 923456};
  const auto tickets = probe_tickets(result_rules(nums));
  std::vector<int> all(tickets.begin(), tickets.end());
  ASSERT_TRUE(store.deposit("buyer", 1'000'000'000, "t", "t").ok());
  for (size_t i = 0; i < all.size(); i += 20) {
    std::vector<int> chunk(all.begin() + static_cast<long>(i),
                           all.begin() + static_cast<long>(std::min(all.size(), i + 20)));
    auto r =
        store.purchase(PurchaseCommand{"buyer", kRound, chunk, 1000, 100'000, "2026-11-24T12:00:00+09:00", "", ""});
    ASSERT_TRUE(r.ok()) << r.error().detail;
  }
  ASSERT_TRUE(store.record_draw(DrawRecord{kRound, nums.group, nums.digits, nums.bonus, "2026-11-26", false}).ok());
  ASSERT_TRUE(store.settle_draw(kRound, "2026-11-26T19:10:00+09:00").ok());
  auto rows = store.tickets_of_round(kRound);
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), all.size());
  std::map<int, long long> counts;
  for (const auto& row : *rows) {
    const int expected = result_of(Ticket::from_index(row.ticket), nums);
    EXPECT_EQ(row.result, expected) << "ticket " << row.ticket;
    if (expected > 0) ++counts[expected];
  }
  for (int result : kResultsInOrder) EXPECT_GT(counts[result], 0) << "no ticket of result " << result;
  auto winners = store.winners(kRound);
  ASSERT_TRUE(winners.ok());
  std::map<int, long long> stored;
  for (const auto& w : *winners) stored[w.result] = w.count;
  EXPECT_EQ(stored, counts);
}

// The settlement's prefilter, as SQL on this backend, selects exactly the tickets the generated
// conditions describe and keeps every winner — for the real rules and for changed rule tables,
// whose prefilter differs: a rule change changes what settlement reads, never dropping a winner.
TEST_P(Settlement, GeneratedPrefilterKeepsEveryWinnerOfChangedRules) {
  auto c = db_.factory()();
  c->exec("CREATE TABLE filter_probe (ticket INTEGER NOT NULL)");
  const DrawNumbers nums{4, 305172, 861034};
  const auto real = result_rules(nums);
  auto no_seven = real;  // no prize for the last digit
  std::erase_if(no_seven, [](const ResultRule& r) { return r.result == 7; });
  auto bonus_three = real;  // a new prize for the bonus's last three digits
  bonus_three.push_back({9, 1000, nums.bonus % 1000});
  const std::vector<std::vector<ResultRule>> tables = {real, no_seven, bonus_three, {real.front()}};

  std::set<int> probe;
  for (const auto& rules : tables) probe.merge(probe_tickets(rules));
  std::string insert = "INSERT INTO filter_probe (ticket) VALUES ";
  for (int t : probe) insert += (insert.back() == ' ' ? "(" : ", (") + std::to_string(t) + ")";
  c->exec(insert);

  std::vector<std::set<int>> selected;
  for (const auto& rules : tables) {
    parts::Params p;
    const std::string where = parts::winning_condition(rules, p);
    std::set<int> got;
    for (const auto& r : c->query("SELECT ticket FROM filter_probe WHERE " + where, p))
      got.insert(static_cast<int>(r.i(0)));
    const auto filter = winning_filter(rules);
    for (int t : probe) {
      const bool described = std::any_of(filter.begin(), filter.end(), [t](const ResultRule& f) {
        return f.modulus == 0 ? t == f.value : t % f.modulus == f.value;
      });
      EXPECT_EQ(got.count(t) > 0, described) << "ticket " << t;
      if (result_among(t, rules) > 0) {
        EXPECT_TRUE(got.count(t)) << "winner " << t << " dropped";
      }
    }
    EXPECT_LT(got.size(), probe.size());  // it does narrow
    selected.push_back(std::move(got));
  }
  // Each changed table reads a different set of tickets than the real rules.
  for (size_t i = 1; i < selected.size(); ++i) EXPECT_NE(selected[i], selected[0]) << "table " << i;
}

INSTANTIATE_TEST_SUITE_P(Backends, Settlement, ::testing::Values("sqlite", "mariadb"),
                         [](const ::testing::TestParamInfo<std::string>& info) { return info.param; });

}  // namespace
}  // namespace p720::store
