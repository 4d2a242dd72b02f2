// The annuity schedule (SPEC "Annuity installments and tax"): which months an annuity pays,
// when each installment falls due on the KST calendar, and its gross, tax and net. Pure: the
// time is a parameter. Safe from any thread.
#pragma once

#include <compare>
#include <optional>
#include <string>
#include <string_view>

#include "domain/calendar.h"
#include "domain/tax.h"

namespace p720 {

// A calendar month. Months are counted as year * 12 + (month − 1), so adding and comparing are
// plain integer arithmetic.
struct YearMonth {
  int year = 0;
  int month = 1;  // 1..12
  int serial() const { return year * 12 + (month - 1); }
  static YearMonth from_serial(int s) { return YearMonth{s / 12, s % 12 + 1}; }
  YearMonth plus(int months) const { return from_serial(serial() + months); }
  friend auto operator<=>(const YearMonth& a, const YearMonth& b) { return a.serial() <=> b.serial(); }
  friend bool operator==(const YearMonth&, const YearMonth&) = default;
};

// "YYYY-MM" with a month 01..12 and a year 1900..9999; nullopt otherwise (other forms, signs,
// spaces, trailing characters).
std::optional<YearMonth> parse_year_month(std::string_view s);
std::string format_year_month(YearMonth m);

// The day of the month installments are paid (annuity.pay-day, 1..31). A month shorter than the
// pay day pays on its last day.
inline constexpr int kDefaultPayDay = 20;

// When the installment of `month` falls due: 00:00 KST of its pay day.
Instant due_at(YearMonth month, int pay_day);
// Its KST date "YYYY-MM-DD".
std::string due_date(YearMonth month, int pay_day);
// The latest month whose pay day has come by `now` (due_at(m) <= now).
YearMonth latest_due_month(Instant now, int pay_day);

// An entitlement as settlement created it (store::annuities): `monthly` won for `months` months
// from `first` on.
struct AnnuityTerms {
  long long monthly = 0;
  int months = 0;
  YearMonth first;
  YearMonth last() const { return first.plus(months - 1); }
  // True when `m` is one of the annuity's months.
  bool pays_in(YearMonth m) const { return months > 0 && first <= m && m <= last(); }
  // How many of its months are due by `up_to` inclusive (0..months).
  int months_due_by(YearMonth up_to) const;
};

// One month's installment: its place (1..months), due date, and what is withheld.
struct Installment {
  int number = 0;
  YearMonth month;
  std::string due_date;  // KST "YYYY-MM-DD"
  Withholding amounts;   // gross = the monthly amount; tax truncated to whole won (see Withholding)
};

// The installment of `month`; nullopt when the annuity does not pay that month.
std::optional<Installment> installment_of(const AnnuityTerms& a, YearMonth month, int pay_day, const TaxRules& tax);

}  // namespace p720
