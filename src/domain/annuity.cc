// The annuity schedule: months, due dates and withholding of each installment.
#include "domain/annuity.h"

#include <chrono>
#include <cstdio>

namespace p720 {
namespace {

using namespace std::chrono;

constexpr auto kKstOffset = hours(9);

int clamp_day(YearMonth m, int pay_day) {
  const year_month_day_last last{year(m.year) / month(static_cast<unsigned>(m.month)) / std::chrono::last};
  const int days = static_cast<int>(static_cast<unsigned>(last.day()));
  return pay_day < 1 ? 1 : (pay_day > days ? days : pay_day);
}

}  // namespace

std::optional<YearMonth> parse_year_month(std::string_view s) {
  if (s.size() != 7 || s[4] != '-') return std::nullopt;
  for (size_t i = 0; i < 7; ++i)
    if (i != 4 && (s[i] < '0' || s[i] > '9')) return std::nullopt;
  const int y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
  const int m = (s[5] - '0') * 10 + (s[6] - '0');
  if (y < 1900 || m < 1 || m > 12) return std::nullopt;
  return YearMonth{y, m};
}

std::string format_year_month(YearMonth m) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02d", m.year, m.month);
  return buf;
}

Instant due_at(YearMonth m, int pay_day) {
  const sys_days day{year(m.year) / month(static_cast<unsigned>(m.month)) /
                     std::chrono::day(static_cast<unsigned>(clamp_day(m, pay_day)))};
  return Instant(day) - kKstOffset;  // KST midnight is 15:00 UTC the day before
}

std::string due_date(YearMonth m, int pay_day) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", m.year, m.month, clamp_day(m, pay_day));
  return buf;
}

YearMonth latest_due_month(Instant now, int pay_day) {
  const year_month_day today = kst_date(now);
  const YearMonth here{int(today.year()), static_cast<int>(unsigned(today.month()))};
  return due_at(here, pay_day) <= now ? here : here.plus(-1);
}

int AnnuityTerms::months_due_by(YearMonth up_to) const {
  if (months <= 0 || up_to < first) return 0;
  const int n = up_to.serial() - first.serial() + 1;
  return n < months ? n : months;
}

std::optional<Installment> installment_of(const AnnuityTerms& a, YearMonth month, int pay_day, const TaxRules& tax) {
  if (!a.pays_in(month)) return std::nullopt;
  return Installment{month.serial() - a.first.serial() + 1, month, due_date(month, pay_day),
                     tax.installment(a.monthly)};
}

}  // namespace p720
