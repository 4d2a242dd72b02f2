// Withholding tax on prizes (SPEC "Annuity installments and tax"): the rates are configuration
// (tax.*), these are pure functions of them. No I/O; safe from any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace p720 {

// A withholding rate as income tax + local income tax, each in basis points (1/100 of a
// percent) of the gross: 20% + 2% is {2000, 200}.
struct TaxRate {
  int income_bp = 0;
  int local_bp = 0;
  friend bool operator==(const TaxRate&, const TaxRate&) = default;
};

// One bracket of one-time prizes: the part of a prize above `above` won (up to the next
// bracket's `above`) is withheld at `rate`.
struct TaxBracket {
  long long above = 0;
  TaxRate rate;
  friend bool operator==(const TaxBracket&, const TaxBracket&) = default;
};

// What is withheld from one payment. Rounding: each tax is truncated to whole won (원 미만
// 절사, in the winner's favour), and net = gross − income − local exactly, so the three always
// add up to the gross.
struct Withholding {
  long long gross = 0;
  long long income = 0;
  long long local = 0;
  long long tax() const { return income + local; }
  long long net() const { return gross - income - local; }
  friend bool operator==(const Withholding&, const Withholding&) = default;
};

// The configured rules. Defaults are the SPEC's: annuity installments 20% + 2%; one-time prizes
// up to 2,000,000 won tax-free, above that the whole prize is taxed 20% + 2% up to 300,000,000
// and 30% + 3% on the part above.
struct TaxRules {
  TaxRate annuity{2000, 200};
  long long free_up_to = 2'000'000;
  std::vector<TaxBracket> brackets{{0, {2000, 200}}, {300'000'000, {3000, 300}}};

  // A monthly installment of `gross` won (>= 0).
  Withholding installment(long long gross) const;
  // A one-time prize of `gross` won (>= 0): nothing withheld up to free_up_to; above it every
  // bracket taxes its part of the whole prize.
  Withholding one_time(long long gross) const;
  friend bool operator==(const TaxRules&, const TaxRules&) = default;
};

// Configuration forms, percent with at most two decimals:
//   rates    "20+2"                      income 20%, local 2%
//   brackets "0:20+2,300000000:30+3"     from 0 won 20%+2%, above 300,000,000 30%+3%
// Brackets must start at 0 and rise strictly; each rate and each income+local is 0..100%.
// nullopt (and `why` set) on anything else.
std::optional<TaxRate> parse_tax_rate(std::string_view text, std::string* why = nullptr);
std::optional<std::vector<TaxBracket>> parse_tax_brackets(std::string_view text, std::string* why = nullptr);
// The same forms back ("20+2", "0:20+2,300000000:30+3"), for documentation and logs.
std::string format_tax_rate(const TaxRate& r);
std::string format_tax_brackets(const std::vector<TaxBracket>& b);

}  // namespace p720
