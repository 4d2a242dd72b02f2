// Prize rules of Pension Lottery 720+ (SPEC §1): which result a ticket gets for a draw,
// and what each result pays.
#pragma once

#include <array>
#include <optional>
#include <vector>

#include "domain/ticket.h"

namespace p720 {

// The official result of a round: the winning group 1..5 with six digits, and the bonus
// six digits (valid in any group). Plain value.
struct DrawNumbers {
  int group;
  int digits;
  int bonus_digits;
};

// Results from best to worst. Bonus (8) ranks between 2 and 3, so the order is not numeric.
inline constexpr std::array<int, 8> kResultsInOrder = {1, 2, 8, 3, 4, 5, 6, 7};

// One matching rule: a ticket index `t` matches when modulus == 0 ? t == value
// : t % modulus == value. Because ticket indexes are (group-1)*1,000,000 + digits, `t % 10^k`
// is the last k digits. The rules are in priority order: the first that matches is the result.
// The settlement SQL is generated from these, so SQL and result_of cannot disagree.
struct ResultRule {
  int result;
  int modulus;
  int value;
};
std::vector<ResultRule> result_rules(const DrawNumbers& d);

// The single best result of `t` for draw `d`, following kResultsInOrder:
//   1 group and all six digits equal; 2 all six digits, other group; 8 all six digits
//   equal the bonus; 3..7 last five..one digits equal; -1 none.
// A real draw never has bonus == winning digits, but the order is followed regardless.
// Pure; safe from any thread.
int result_of(const Ticket& t, const DrawNumbers& d);

// What a result pays. One-time prizes (3..7) set `amount` and leave monthly/months at 0;
// annuities (1, 2, 8) set `monthly` and `months` and leave `amount` at 0.
struct Prize {
  int result;
  bool annuity;
  long long amount;   // won, paid once
  long long monthly;  // won per month
  int months;
};

// nullopt for -1 (no prize), 0 (not drawn yet) and any unknown value.
std::optional<Prize> prize_for(int result);

}  // namespace p720
