// Prize rules: matching a ticket against a draw and the prize table.
#include "domain/prize.h"

namespace p720 {

std::vector<ResultRule> result_rules(const DrawNumbers& d) {
  std::vector<ResultRule> rules = {
      {1, 0, (d.group - 1) * kNumbersPerGroup + d.digits},
      {2, kNumbersPerGroup, d.digits},
      {8, kNumbersPerGroup, d.bonus},
  };
  // Result 3 is "last five equal", down to result 7, "last one equal": the longest suffix
  // first so the best applicable result wins.
  int modulus = 100000;
  for (int result = 3; result <= 7; ++result, modulus /= 10) rules.push_back({result, modulus, d.digits % modulus});
  return rules;
}

namespace {

bool matches(int ticket, const ResultRule& rule) {
  return rule.modulus == 0 ? ticket == rule.value : ticket % rule.modulus == rule.value;
}

// Every ticket matching `narrow` also matches `wide`.
bool implies(const ResultRule& narrow, const ResultRule& wide) {
  if (wide.modulus == 0) return narrow.modulus == 0 && narrow.value == wide.value;
  if (narrow.modulus == 0) return narrow.value % wide.modulus == wide.value;
  return narrow.modulus % wide.modulus == 0 && narrow.value % wide.modulus == wide.value;
}

}  // namespace

int result_among(int ticket, const std::vector<ResultRule>& rules) {
  for (const auto& rule : rules)
    if (matches(ticket, rule)) return rule.result;
  return -1;
}

std::vector<ResultRule> winning_filter(const std::vector<ResultRule>& rules) {
  std::vector<ResultRule> out;
  for (size_t i = 0; i < rules.size(); ++i) {
    bool covered = false;
    for (size_t j = 0; j < rules.size() && !covered; ++j) {
      // Of two rules implying each other (the same condition), the earlier is kept.
      if (j == i || !implies(rules[i], rules[j])) continue;
      covered = !implies(rules[j], rules[i]) || j < i;
    }
    if (!covered) out.push_back(ResultRule{0, rules[i].modulus, rules[i].value});
  }
  return out;
}

int result_of(const Ticket& t, const DrawNumbers& d) { return result_among(t.index(), result_rules(d)); }

std::optional<Prize> prize_for(int result) {
  switch (result) {
    case 1: return Prize{1, true, 0, 7'000'000, 240};
    case 2: return Prize{2, true, 0, 1'000'000, 120};
    case 8: return Prize{8, true, 0, 1'000'000, 120};
    case 3: return Prize{3, false, 1'000'000, 0, 0};
    case 4: return Prize{4, false, 100'000, 0, 0};
    case 5: return Prize{5, false, 50'000, 0, 0};
    case 6: return Prize{6, false, 5'000, 0, 0};
    case 7: return Prize{7, false, 1'000, 0, 0};
    default: return std::nullopt;
  }
}

}  // namespace p720
