// Every write path of the store refuses a purchase in the domain's order (domain/purchase.h) when
// several refusals apply — SQLite and MariaDB, one by one, queued together (MariaDB's set-based
// batch) and under an Idempotency-Key — and a refused purchase writes nothing.
#include <gtest/gtest.h>

#include <future>
#include <optional>

#include "store/sql_store.h"
#include "test_database.h"

namespace p720::store {
namespace {

constexpr int kRound = 91;
constexpr long long kPrice = 1000;

class PurchaseOrder : public StoreTest {
 protected:
  PurchaseOrder() : StoreTest("p720order") {}

  static PurchaseCommand cmd(const std::string& user, std::vector<int> tickets, int limit,
                             const std::string& key = "") {
    return PurchaseCommand{user,
                           kRound,
                           std::move(tickets),
                           kPrice,
                           limit,
                           "2026-11-24T12:00:00+09:00",
                           key,
                           key.empty() ? "" : "h-" + key};
  }

  // A buyer for each combination of refusals: bit 0 poor (less than the two tickets cost), bit 1
  // at the round limit (one ticket owned, limit 1), bit 2 asks for a sold ticket (500).
  struct Case {
    PurchaseCommand cmd;
    std::optional<ErrorCode> expect;  // none: bought
    long long balance;                // before the purchase
  };
  std::vector<Case> cases(const std::string& prefix, bool keyed) {
    std::vector<Case> out;
    const int base = keyed ? 100 : 0;
    for (int mask = 0; mask < 8; ++mask) {
      const bool poor = mask & 1, over = mask & 2, taken = mask & 4;
      const std::string user = prefix + std::to_string(mask);
      EXPECT_TRUE(store_->deposit(user, poor ? kPrice : 10 * kPrice, "t", "t").ok());
      if (over) {
        EXPECT_TRUE(store_->purchase(cmd(user, {1'000 + base + mask}, 1)).ok());
      }
      std::optional<ErrorCode> expect;
      if (poor) expect = ErrorCode::kNotEnoughMoney;
      else if (over) expect = ErrorCode::kLimitExceeded;
      else if (taken) expect = ErrorCode::kPurchaseDuplicated;
      const std::vector<int> tickets = {2'000 + base + mask, taken ? 500 : 3'000 + base + mask};
      out.push_back({cmd(user, tickets, over ? 1 : 100, keyed ? "k" + user : ""), expect, *store_->balance(user)});
    }
    return out;
  }

  void check(const std::vector<Case>& cs, const std::vector<Result<PurchaseRecord>>& results) {
    for (size_t i = 0; i < cs.size(); ++i) {
      SCOPED_TRACE(cs[i].cmd.user_id);
      const auto& r = results[i];
      if (!cs[i].expect) {
        ASSERT_TRUE(r.ok()) << r.error().detail;
        EXPECT_EQ(*store_->balance(cs[i].cmd.user_id), cs[i].balance - 2 * kPrice);
        continue;
      }
      ASSERT_FALSE(r.ok());
      EXPECT_EQ(r.error().code, *cs[i].expect);
      EXPECT_EQ(r.error().tickets,
                *cs[i].expect == ErrorCode::kPurchaseDuplicated ? std::vector<int>{500} : std::vector<int>{});
      EXPECT_EQ(*store_->balance(cs[i].cmd.user_id), cs[i].balance);  // nothing written
      auto mine = store_->tickets_of(cs[i].cmd.user_id, kRound);
      ASSERT_TRUE(mine.ok());
      for (const auto& t : *mine) EXPECT_NE(t.ticket, cs[i].cmd.tickets[0]);
    }
  }

  void sell_500() {
    ASSERT_TRUE(store_->deposit("seller", 10 * kPrice, "t", "t").ok());
    ASSERT_TRUE(store_->purchase(cmd("seller", {500}, 100)).ok());
  }
};

TEST_P(PurchaseOrder, OneByOne) {
  ASSERT_NO_FATAL_FAILURE(sell_500());
  for (bool keyed : {false, true}) {
    SCOPED_TRACE(keyed ? "keyed" : "plain");
    const auto cs = cases(keyed ? "k" : "p", keyed);
    std::vector<Result<PurchaseRecord>> results;
    results.reserve(cs.size());
    for (const auto& c : cs) results.push_back(store_->purchase(c.cmd));
    check(cs, results);
  }
}

TEST_P(PurchaseOrder, QueuedTogether) {
  ASSERT_NO_FATAL_FAILURE(sell_500());
  const auto cs = cases("q", false);
  std::vector<std::promise<Result<PurchaseRecord>>> promises(cs.size());
  for (size_t i = 0; i < cs.size(); ++i)
    store_->purchase_async(cs[i].cmd,
                           [&promises, i](Result<PurchaseRecord> r) { promises[i].set_value(std::move(r)); });
  std::vector<Result<PurchaseRecord>> results;
  results.reserve(promises.size());
  for (auto& p : promises) results.push_back(p.get_future().get());
  check(cs, results);
}

INSTANTIATE_TEST_SUITE_P(Backends, PurchaseOrder, ::testing::Values("sqlite", "mariadb"),
                         [](const ::testing::TestParamInfo<std::string>& info) { return info.param; });

}  // namespace
}  // namespace p720::store
