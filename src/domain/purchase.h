// How a purchase is decided (SPEC §3 "Purchase"): the one place that says whether a buyer may buy
// the requested tickets, in which order the refusals are checked, and what an accepted one writes.
// Every write path of the store (SQLite and MariaDB, one by one and set-based) reads the state,
// asks decide_purchase (or PurchaseRun for a batch), and writes what it answers.
#pragma once

#include <functional>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace p720 {

// What is asked: tickets (indexes 0..4,999,999) of one round at a price each, under the round limit.
// `tickets` are distinct by the application's contract; a repeated ticket is not refused here (it is
// counted each time), the store's UNIQUE (round, ticket) refuses it when written.
struct PurchaseRequest {
  int round = 0;
  std::vector<int> tickets;
  long long price = 0;        // won per ticket
  long long round_limit = 0;  // most tickets the buyer may own in the round
};

// What the buyer has: the wallet's balance (0 when there is no wallet) and the tickets already
// owned in the request's round.
struct BuyerState {
  long long balance = 0;
  long long owned = 0;
};

// An accepted purchase: what to debit, and the wallet and round count after it.
struct PurchaseAccepted {
  long long amount = 0;
  long long balance_after = 0;
  long long owned_after = 0;
};

// Why a purchase is refused, in the order the checks run (the first that applies is the answer).
enum class PurchaseRefusal {
  kNoTickets,       // the request names no ticket (the application never sends one)
  kBadPrice,        // price not positive (a configuration error, never a client's)
  kNotEnoughMoney,  // the balance cannot pay price × tickets (or that product overflows)
  kLimitExceeded,   // owned + tickets would pass the round limit
  kSold,            // some of the tickets are sold: `sold` lists them, ascending, each once
};

struct PurchaseRefused {
  PurchaseRefusal reason;
  std::vector<int> sold;  // kSold only
};

using PurchaseDecision = std::variant<PurchaseAccepted, PurchaseRefused>;

// Whether a ticket of the request's round is sold, in the caller's view of the round.
using SoldView = std::function<bool(int ticket)>;

// Decides one purchase. Checks, in order: tickets named, price positive, money (price × count,
// overflow-checked: a product past int64 is more than any balance), round limit, sold tickets.
// `is_sold` is asked only when the money and limit checks pass. Pure; safe from any thread.
PurchaseDecision decide_purchase(const BuyerState& buyer, const PurchaseRequest& request, const SoldView& is_sold);

// The same with the sold tickets of the round given as a list (any order, may hold others).
PurchaseDecision decide_purchase(const BuyerState& buyer, const PurchaseRequest& request, const std::vector<int>& sold);

// Decides a sequence of purchases against running state, as if each were decided (and, when
// accepted, written) before the next: a later purchase sees the earlier ones' debits, round counts
// and sold tickets. Seed it with what the store read, then decide() each in order. Not thread-safe.
class PurchaseRun {
 public:
  void set_balance(const std::string& buyer, long long balance) { balance_[buyer] = balance; }
  void set_owned(const std::string& buyer, int round, long long owned) { owned_[{buyer, round}] = owned; }
  void set_sold(int round, int ticket) { sold_.insert({round, ticket}); }

  // Decides `request` for `buyer` (balance 0 and nothing owned unless set) and, when accepted,
  // applies it to the running state.
  PurchaseDecision decide(const std::string& buyer, const PurchaseRequest& request);

  // The sums the accepted purchases so far add: debit per buyer, tickets per (buyer, round).
  const std::map<std::string, long long>& debits() const { return debits_; }
  const std::map<std::pair<std::string, int>, long long>& added() const { return added_; }

 private:
  std::map<std::string, long long> balance_;
  std::map<std::pair<std::string, int>, long long> owned_;
  std::set<std::pair<int, int>> sold_;  // (round, ticket)
  std::map<std::string, long long> debits_;
  std::map<std::pair<std::string, int>, long long> added_;
};

// Where a buyer's per-round ticket count lives on the embedded store (migration 7): the wallet row
// keeps the latest round the buyer bought in and its count, so that a purchase changes one row of
// the buyer's instead of two (one random B-tree leaf fewer per purchase in each commit); every other
// round's count is in user_rounds. MariaDB's writes keep every round in user_rounds (the wallet's
// counter stays round 0), and counts written before the migration are there too.
struct WalletRoundCount {
  int round = 0;  // 0: none
  long long tickets = 0;
};

// Tickets owned in `round`: user_rounds' count plus the wallet's when it counts that round.
long long owned_in_round(long long in_user_rounds, const WalletRoundCount& wallet, int round);

// After buying `count` tickets in `round`: the wallet's counter, and what to add to user_rounds'
// row of `moved_round` (nothing when moved_tickets is 0). A later round takes the wallet's counter
// and moves the earlier round's count out; an earlier one (instances' clocks apart at a round's
// end) is added to user_rounds and leaves the wallet as it was.
struct RoundCountUpdate {
  WalletRoundCount wallet;
  int moved_round = 0;
  long long moved_tickets = 0;
};
RoundCountUpdate count_purchase(const WalletRoundCount& wallet, int round, long long count);

}  // namespace p720
