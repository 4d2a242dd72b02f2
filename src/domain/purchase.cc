// The purchase decision: refusals in the SPEC's order, overflow-checked money, and running state.
#include "domain/purchase.h"

#include <algorithm>

namespace p720 {

PurchaseDecision decide_purchase(const BuyerState& buyer, const PurchaseRequest& request, const SoldView& is_sold) {
  if (request.tickets.empty()) return PurchaseRefused{PurchaseRefusal::kNoTickets, {}};
  if (request.price <= 0) return PurchaseRefused{PurchaseRefusal::kBadPrice, {}};
  const auto count = static_cast<long long>(request.tickets.size());
  long long amount = 0;
  if (__builtin_mul_overflow(request.price, count, &amount) || buyer.balance < amount)
    return PurchaseRefused{PurchaseRefusal::kNotEnoughMoney, {}};
  // owned never passes the limit it was counted under, so owned + count cannot overflow; checked
  // as a difference all the same.
  if (count > request.round_limit - buyer.owned) return PurchaseRefused{PurchaseRefusal::kLimitExceeded, {}};
  std::vector<int> sold;
  for (int t : request.tickets)
    if (is_sold(t)) sold.push_back(t);
  if (!sold.empty()) {
    std::sort(sold.begin(), sold.end());
    sold.erase(std::unique(sold.begin(), sold.end()), sold.end());
    return PurchaseRefused{PurchaseRefusal::kSold, std::move(sold)};
  }
  return PurchaseAccepted{amount, buyer.balance - amount, buyer.owned + count};
}

PurchaseDecision decide_purchase(const BuyerState& buyer, const PurchaseRequest& request,
                                 const std::vector<int>& sold) {
  return decide_purchase(buyer, request,
                         [&sold](int t) { return std::find(sold.begin(), sold.end(), t) != sold.end(); });
}

PurchaseDecision PurchaseRun::decide(const std::string& buyer, const PurchaseRequest& request) {
  auto wallet = balance_.find(buyer);
  long long& owned = owned_[{buyer, request.round}];
  const BuyerState state{wallet == balance_.end() ? 0 : wallet->second, owned};
  auto decision = decide_purchase(state, request, [&](int t) { return sold_.count({request.round, t}) > 0; });
  if (const auto* ok = std::get_if<PurchaseAccepted>(&decision)) {
    balance_[buyer] = ok->balance_after;
    owned = ok->owned_after;
    debits_[buyer] += ok->amount;
    added_[{buyer, request.round}] += static_cast<long long>(request.tickets.size());
    for (int t : request.tickets) sold_.insert({request.round, t});
  }
  return decision;
}

long long owned_in_round(long long in_user_rounds, const WalletRoundCount& wallet, int round) {
  return in_user_rounds + (wallet.round == round ? wallet.tickets : 0);
}

RoundCountUpdate count_purchase(const WalletRoundCount& wallet, int round, long long count) {
  if (round == wallet.round) return {{round, wallet.tickets + count}, 0, 0};
  if (round > wallet.round) return {{round, count}, wallet.round, wallet.tickets};
  return {wallet, round, count};
}

}  // namespace p720
