// Unit tests for the purchase decision: every refusal, their order, boundaries, overflow, and a
// batch decided against running state.
#include "domain/purchase.h"

#include <gtest/gtest.h>

#include <climits>
#include <map>

#include "domain/rules.h"
#include "domain/ticket.h"

namespace p720 {
namespace {

constexpr int kRound = 7;

PurchaseRequest req(std::vector<int> tickets, long long price = kTicketPrice, long long limit = kDefaultRoundLimit) {
  return PurchaseRequest{kRound, std::move(tickets), price, limit};
}

const SoldView kNoneSold = [](int) { return false; };

PurchaseRefusal refusal(const PurchaseDecision& d) {
  EXPECT_TRUE(std::holds_alternative<PurchaseRefused>(d));
  return std::get<PurchaseRefused>(d).reason;
}

PurchaseAccepted accepted(const PurchaseDecision& d) {
  EXPECT_TRUE(std::holds_alternative<PurchaseAccepted>(d));
  return std::holds_alternative<PurchaseAccepted>(d) ? std::get<PurchaseAccepted>(d) : PurchaseAccepted{-1, -1, -1};
}

TEST(PurchaseDecisionTest, AcceptsWhatTheBuyerCanPay) {
  const auto ok = accepted(decide_purchase({5'000, 3}, req({1, 2, 3}), kNoneSold));
  EXPECT_EQ(ok.amount, 3'000);
  EXPECT_EQ(ok.balance_after, 2'000);
  EXPECT_EQ(ok.owned_after, 6);
}

TEST(PurchaseDecisionTest, MoneyBoundary) {
  EXPECT_EQ(accepted(decide_purchase({2'000, 0}, req({1, 2}), kNoneSold)).balance_after, 0);  // exactly enough
  EXPECT_EQ(refusal(decide_purchase({1'999, 0}, req({1, 2}), kNoneSold)), PurchaseRefusal::kNotEnoughMoney);
  EXPECT_EQ(refusal(decide_purchase({0, 0}, req({1}), kNoneSold)), PurchaseRefusal::kNotEnoughMoney);  // no wallet
  EXPECT_EQ(accepted(decide_purchase({kMaxBalance, 0}, req({1}), kNoneSold)).balance_after, kMaxBalance - kTicketPrice);
}

TEST(PurchaseDecisionTest, LimitBoundary) {
  EXPECT_EQ(accepted(decide_purchase({100'000, 98}, req({1, 2}), kNoneSold)).owned_after, 100);  // up to the limit
  EXPECT_EQ(refusal(decide_purchase({100'000, 99}, req({1, 2}), kNoneSold)), PurchaseRefusal::kLimitExceeded);
  EXPECT_EQ(refusal(decide_purchase({100'000, 0}, req({1, 2}, kTicketPrice, 1), kNoneSold)),
            PurchaseRefusal::kLimitExceeded);
  EXPECT_EQ(accepted(decide_purchase({100'000, 0}, req({1}, kTicketPrice, 1), kNoneSold)).owned_after, 1);
  // A limit lowered below what the buyer already owns refuses any more.
  EXPECT_EQ(refusal(decide_purchase({100'000, 5}, req({1}, kTicketPrice, 3), kNoneSold)),
            PurchaseRefusal::kLimitExceeded);
}

TEST(PurchaseDecisionTest, SoldTicketsAreListedSortedOnce) {
  const std::vector<int> sold = {4'999'999, 40, 0};
  const auto d = decide_purchase({100'000, 0}, req({40, 41, 4'999'999, 0}), sold);
  ASSERT_EQ(refusal(d), PurchaseRefusal::kSold);
  EXPECT_EQ(std::get<PurchaseRefused>(d).sold, (std::vector<int>{0, 40, 4'999'999}));
  // A repeated ticket (never sent by the application) is listed once.
  const auto twice = decide_purchase({100'000, 0}, req({40, 40}), sold);
  EXPECT_EQ(std::get<PurchaseRefused>(twice).sold, (std::vector<int>{40}));
  // Sold tickets not in the request do not matter.
  EXPECT_EQ(accepted(decide_purchase({100'000, 0}, req({41}), sold)).amount, kTicketPrice);
}

// SPEC order: money, then the round limit, then sold tickets; each check applies only when the
// earlier ones pass. Every combination of the three failing.
TEST(PurchaseDecisionTest, RefusalOrderWhenSeveralApply) {
  for (int mask = 0; mask < 8; ++mask) {
    const bool poor = mask & 1, over = mask & 2, taken = mask & 4;
    const BuyerState buyer{poor ? 999 : 1'000'000, over ? 100 : 0};
    const std::vector<int> sold = taken ? std::vector<int>{5} : std::vector<int>{};
    const auto d = decide_purchase(buyer, req({5}), sold);
    SCOPED_TRACE(mask);
    if (poor) EXPECT_EQ(refusal(d), PurchaseRefusal::kNotEnoughMoney);
    else if (over) EXPECT_EQ(refusal(d), PurchaseRefusal::kLimitExceeded);
    else if (taken) EXPECT_EQ(refusal(d), PurchaseRefusal::kSold);
    else EXPECT_EQ(accepted(d).amount, kTicketPrice);
  }
}

TEST(PurchaseDecisionTest, SoldViewAskedOnlyAfterMoneyAndLimit) {
  int asked = 0;
  const SoldView counting = [&](int) { return ++asked, true; };
  EXPECT_EQ(refusal(decide_purchase({0, 0}, req({1, 2}), counting)), PurchaseRefusal::kNotEnoughMoney);
  EXPECT_EQ(refusal(decide_purchase({100'000, 100}, req({1, 2}), counting)), PurchaseRefusal::kLimitExceeded);
  EXPECT_EQ(asked, 0);
  EXPECT_EQ(refusal(decide_purchase({100'000, 0}, req({1, 2}), counting)), PurchaseRefusal::kSold);
  EXPECT_EQ(asked, 2);
}

TEST(PurchaseDecisionTest, OverflowingAmountIsNotEnoughMoney) {
  // price × count past int64: no balance pays it, and nothing wraps around to a small amount.
  const long long price = LLONG_MAX / 2 + 1;
  EXPECT_EQ(refusal(decide_purchase({LLONG_MAX, 0}, req({1, 2}, price), kNoneSold)), PurchaseRefusal::kNotEnoughMoney);
  EXPECT_EQ(refusal(decide_purchase({LLONG_MAX, 0}, req({1, 2, 3}, LLONG_MAX / 3 + 1), kNoneSold)),
            PurchaseRefusal::kNotEnoughMoney);
  // Exactly LLONG_MAX does not overflow.
  EXPECT_EQ(accepted(decide_purchase({LLONG_MAX, 0}, req({1}, LLONG_MAX), kNoneSold)).balance_after, 0);
}

TEST(PurchaseDecisionTest, MalformedRequestsComeFirst) {
  // No tickets, or a price that is not positive, is refused before anything else is looked at.
  EXPECT_EQ(refusal(decide_purchase({0, 1'000}, req({}), kNoneSold)), PurchaseRefusal::kNoTickets);
  EXPECT_EQ(refusal(decide_purchase({0, 1'000}, req({1}, 0), kNoneSold)), PurchaseRefusal::kBadPrice);
  EXPECT_EQ(refusal(decide_purchase({100'000, 0}, req({1}, -1'000), kNoneSold)), PurchaseRefusal::kBadPrice);
}

TEST(PurchaseDecisionTest, RepeatedTicketIsCountedEachTime) {
  // Not refused here (the store's UNIQUE (round, ticket) refuses it when written), but it is paid
  // and counted as asked, so it cannot pass the money or limit checks by being repeated.
  EXPECT_EQ(accepted(decide_purchase({10'000, 0}, req({3, 3}), kNoneSold)).amount, 2 * kTicketPrice);
  EXPECT_EQ(refusal(decide_purchase({1'000, 0}, req({3, 3}), kNoneSold)), PurchaseRefusal::kNotEnoughMoney);
}

// A batch decided in order sees the earlier purchases' debits, round counts and sold tickets, in
// any round, and a refused purchase changes nothing of the running state.
TEST(PurchaseRunTest, LaterPurchasesSeeEarlierOnes) {
  PurchaseRun run;
  run.set_balance("money", 3'000);
  run.set_balance("limit", 100'000);
  run.set_owned("limit", kRound, 98);
  run.set_balance("other", 100'000);
  run.set_sold(kRound, 500);
  run.set_sold(kRound + 1, 600);

  EXPECT_EQ(accepted(run.decide("money", req({1, 2}))).balance_after, 1'000);
  EXPECT_EQ(refusal(run.decide("money", req({3, 4}))), PurchaseRefusal::kNotEnoughMoney);  // sees the debit
  EXPECT_EQ(accepted(run.decide("money", req({3}))).balance_after, 0);
  EXPECT_EQ(accepted(run.decide("limit", req({10}))).owned_after, 99);
  EXPECT_EQ(refusal(run.decide("limit", req({11, 12}))), PurchaseRefusal::kLimitExceeded);  // sees the count
  EXPECT_EQ(accepted(run.decide("limit", PurchaseRequest{kRound + 1, {11, 12}, kTicketPrice, 100})).owned_after, 2);
  const auto dup = run.decide("other", req({2, 500, 10, 20}));  // 2 and 10 bought above, 500 before
  ASSERT_EQ(refusal(dup), PurchaseRefusal::kSold);
  EXPECT_EQ(std::get<PurchaseRefused>(dup).sold, (std::vector<int>{2, 10, 500}));
  EXPECT_EQ(accepted(run.decide("other", req({600, 20}))).amount, 2'000);  // 600 is sold in another round only
  EXPECT_EQ(refusal(run.decide("nobody", req({700}))), PurchaseRefusal::kNotEnoughMoney);  // no wallet

  EXPECT_EQ(run.debits(), (std::map<std::string, long long>{{"money", 3'000}, {"limit", 3'000}, {"other", 2'000}}));
  EXPECT_EQ(run.added(),
            (std::map<std::pair<std::string, int>, long long>{
                {{"money", kRound}, 3}, {{"limit", kRound}, 1}, {{"limit", kRound + 1}, 2}, {{"other", kRound}, 2}}));
}

// One by one or as a run, the same answers: the run is decide_purchase with state carried over.
TEST(PurchaseRunTest, AgreesWithOneByOne) {
  const std::vector<std::pair<std::string, PurchaseRequest>> cmds = {{"a", req({1, 2})},
                                                                     {"b", req({2, 3})},
                                                                     {"a", req({4}, kTicketPrice, 3)},
                                                                     {"a", req({5}, kTicketPrice, 3)},
                                                                     {"b", req({6, 7, 8})},
                                                                     {"c", req({9})},
                                                                     {"b", req({10})}};
  PurchaseRun run;
  std::map<std::string, BuyerState> state = {{"a", {10'000, 0}}, {"b", {3'000, 0}}, {"c", {0, 0}}};
  for (const auto& [u, s] : state) run.set_balance(u, s.balance);
  std::vector<int> sold;
  for (const auto& [user, r] : cmds) {
    const auto alone = decide_purchase(state[user], r, sold);
    const auto together = run.decide(user, r);
    ASSERT_EQ(alone.index(), together.index());
    if (const auto* ok = std::get_if<PurchaseAccepted>(&alone)) {
      EXPECT_EQ(ok->balance_after, std::get<PurchaseAccepted>(together).balance_after);
      state[user] = {ok->balance_after, ok->owned_after};
      sold.insert(sold.end(), r.tickets.begin(), r.tickets.end());
    } else {
      EXPECT_EQ(std::get<PurchaseRefused>(alone).reason, std::get<PurchaseRefused>(together).reason);
      EXPECT_EQ(std::get<PurchaseRefused>(alone).sold, std::get<PurchaseRefused>(together).sold);
    }
  }
  EXPECT_EQ(state["a"].balance, 10'000 - 3'000);  // 1, 2, 4 bought; 5 over the limit of 3
  EXPECT_EQ(state["b"].balance, 0);               // 2 sold, then 6..8 paid, then no money for 10
}

}  // namespace
// The wallet's round counter with user_rounds beside it counts every round exactly, whatever the
// order of the rounds bought in: every sequence of 6 purchases over rounds 1..3 (3^6 orders, each
// with 1..2 tickets), checked after each purchase against a plain per-round count.
TEST(RoundCountTest, WalletAndUserRoundsCountEveryRoundInAnyOrder) {
  for (int seq = 0; seq < 729 * 2; ++seq) {
    WalletRoundCount wallet;
    std::map<int, long long> user_rounds, truth;
    int code = seq / 2;
    const long long count = 1 + seq % 2;
    for (int step = 0; step < 6; ++step, code /= 3) {
      const int round = 1 + code % 3;
      const RoundCountUpdate u = count_purchase(wallet, round, count);
      if (u.moved_tickets > 0) user_rounds[u.moved_round] += u.moved_tickets;
      wallet = u.wallet;
      truth[round] += count;
      for (int r = 1; r <= 3; ++r)
        ASSERT_EQ(owned_in_round(user_rounds[r], wallet, r), truth[r]) << "seq " << seq << " step " << step;
    }
  }
}

TEST(RoundCountTest, SameRoundTouchesOnlyTheWallet) {
  const RoundCountUpdate u = count_purchase({7, 3}, 7, 2);
  EXPECT_EQ(u.wallet.round, 7);
  EXPECT_EQ(u.wallet.tickets, 5);
  EXPECT_EQ(u.moved_tickets, 0);
  const RoundCountUpdate first = count_purchase({}, 7, 2);  // a wallet that never bought
  EXPECT_EQ(first.wallet.round, 7);
  EXPECT_EQ(first.moved_tickets, 0);
  EXPECT_EQ(owned_in_round(4, {}, 7), 4);  // counts from before the migration, or MariaDB's
}

}  // namespace p720
