// Prize rules: matching a ticket against a draw and the prize table.
#include "domain/prize.h"

namespace p720 {

std::vector<ResultRule> result_rules(const DrawNumbers& d) {
  std::vector<ResultRule> rules = {
      {1, 0, (d.group - 1) * kNumbersPerGroup + d.digits},
      {2, kNumbersPerGroup, d.digits},
      {8, kNumbersPerGroup, d.bonus_digits},
  };
  // Result 3 is "last five equal", down to result 7, "last one equal": the longest suffix
  // first so the best applicable result wins.
  int modulus = 100000;
  for (int result = 3; result <= 7; ++result, modulus /= 10) rules.push_back({result, modulus, d.digits % modulus});
  return rules;
}

int result_of(const Ticket& t, const DrawNumbers& d) {
  const int index = t.index();
  for (const auto& rule : result_rules(d)) {
    if (rule.modulus == 0 ? index == rule.value : index % rule.modulus == rule.value) return rule.result;
  }
  return -1;
}

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
