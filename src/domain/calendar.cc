// Rounds calendar in fixed KST arithmetic (std::chrono only, never localtime or TZ), and
// the ISO-8601 instant text forms the API speaks.
#include "domain/calendar.h"

#include <cstdio>

namespace p720 {
namespace {

using std::chrono::days;
using std::chrono::floor;
using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;
using std::chrono::sys_days;

constexpr seconds kKstOffset = hours(9);
constexpr long long kDaysPerRound = 7;

// The instant of `minute` after KST midnight of local date `day`.
Instant at_kst(sys_days day, int minute) { return Instant(day) + minutes(minute) - kKstOffset; }

sys_days kst_day_of(Instant t) { return floor<days>(t + kKstOffset); }

// Reads exactly `n` ASCII digits at s[pos...], advancing pos; nullopt if any is missing.
std::optional<int> read_digits(std::string_view s, size_t& pos, size_t n) {
  if (pos + n > s.size()) return std::nullopt;
  int value = 0;
  for (size_t i = 0; i < n; ++i) {
    char c = s[pos + i];
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  pos += n;
  return value;
}

bool expect(std::string_view s, size_t& pos, char c) {
  if (pos >= s.size() || s[pos] != c) return false;
  ++pos;
  return true;
}

// "YYYY-MM-DD" → a valid calendar date, advancing pos.
std::optional<std::chrono::year_month_day> read_date(std::string_view s, size_t& pos) {
  auto y = read_digits(s, pos, 4);
  if (!y || !expect(s, pos, '-')) return std::nullopt;
  auto m = read_digits(s, pos, 2);
  if (!m || !expect(s, pos, '-')) return std::nullopt;
  auto d = read_digits(s, pos, 2);
  if (!d) return std::nullopt;
  std::chrono::year_month_day ymd{std::chrono::year(*y), std::chrono::month(unsigned(*m)),
                                  std::chrono::day(unsigned(*d))};
  if (!ymd.ok()) return std::nullopt;
  return ymd;
}

}  // namespace

CalendarConfig CalendarConfig::defaults() { return CalendarConfig{}; }

RoundCalendar::RoundCalendar(CalendarConfig config) : config_(config), first_day_(kst_day_of(config.first_draw)) {}

sys_days RoundCalendar::draw_day(int round) const {
  return first_day_ + days(kDaysPerRound * (static_cast<long long>(round) - 1));
}

Instant RoundCalendar::draw_at(int round) const { return at_kst(draw_day(round), config_.draw_minute); }

Instant RoundCalendar::sales_open_at(int round) const { return at_kst(draw_day(round - 1), config_.sales_open_minute); }

Instant RoundCalendar::sales_close_at(int round) const { return at_kst(draw_day(round), config_.sales_close_minute); }

int RoundCalendar::current_round(Instant now) const {
  // Round n is current from its opening until round n+1 opens, so current_round is the
  // smallest n >= 1 with now < sales_open_at(n + 1). Openings are a week apart.
  const Instant second_opens = sales_open_at(2);
  if (now < second_opens) return 1;
  const long long weeks = floor<days>(now - second_opens).count() / kDaysPerRound;
  return static_cast<int>(weeks + 2);
}

bool RoundCalendar::on_sale(int round, Instant now) const {
  return sales_open_at(round) <= now && now < sales_close_at(round);
}

std::string RoundCalendar::draw_date(int round) const {
  return format_date(std::chrono::year_month_day{draw_day(round)});
}

std::optional<int> RoundCalendar::round_drawn_on(std::string_view date) const {
  size_t pos = 0;
  auto ymd = read_date(date, pos);
  if (!ymd || pos != date.size()) return std::nullopt;
  const long long day_count = (sys_days(*ymd) - first_day_).count();
  if (day_count < 0 || day_count % kDaysPerRound != 0 || day_count / kDaysPerRound >= 1000000) return std::nullopt;
  return static_cast<int>(day_count / kDaysPerRound + 1);
}

std::optional<std::chrono::year_month_day> parse_date(std::string_view s) {
  size_t pos = 0;
  auto ymd = read_date(s, pos);
  if (!ymd || pos != s.size() || ymd->year() < std::chrono::year(1900)) return std::nullopt;
  return ymd;
}

std::chrono::year_month_day kst_date(Instant t) { return std::chrono::year_month_day{kst_day_of(t)}; }

std::string format_date(std::chrono::year_month_day ymd) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", int(ymd.year()), unsigned(ymd.month()), unsigned(ymd.day()));
  return buf;
}

std::string format_kst(Instant t) {
  const sys_days day = kst_day_of(t);
  const std::chrono::year_month_day ymd{day};
  const std::chrono::hh_mm_ss<seconds> tod{t + kKstOffset - Instant(day)};
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d+09:00", int(ymd.year()), unsigned(ymd.month()),
                unsigned(ymd.day()), int(tod.hours().count()), int(tod.minutes().count()), int(tod.seconds().count()));
  return buf;
}

std::optional<Instant> parse_instant(std::string_view s) {
  size_t pos = 0;
  auto ymd = read_date(s, pos);
  if (!ymd) return std::nullopt;
  if (pos >= s.size() || (s[pos] != 'T' && s[pos] != 't')) return std::nullopt;
  ++pos;
  auto hh = read_digits(s, pos, 2);
  if (!hh || !expect(s, pos, ':')) return std::nullopt;
  auto mm = read_digits(s, pos, 2);
  if (!mm) return std::nullopt;
  int ss = 0;
  if (pos < s.size() && s[pos] == ':') {
    ++pos;
    auto sec = read_digits(s, pos, 2);
    if (!sec) return std::nullopt;
    ss = *sec;
    if (pos < s.size() && s[pos] == '.') {
      ++pos;
      const size_t start = pos;
      while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') ++pos;
      if (pos == start) return std::nullopt;  // "10:00:00." has no fraction
    }
  }
  // No leap seconds: sys_seconds cannot represent 23:59:60.
  if (*hh > 23 || *mm > 59 || ss > 59) return std::nullopt;

  if (pos >= s.size()) return std::nullopt;  // a local time without offset is ambiguous
  seconds offset{0};
  const char sign = s[pos++];
  if (sign == '+' || sign == '-') {
    auto oh = read_digits(s, pos, 2);
    if (!oh) return std::nullopt;
    expect(s, pos, ':');  // optional: both "+09:00" and "+0900" are common
    auto om = read_digits(s, pos, 2);
    if (!om || *oh > 23 || *om > 59) return std::nullopt;
    offset = hours(*oh) + minutes(*om);
    if (sign == '-') offset = -offset;
  } else if (sign != 'Z' && sign != 'z') {
    return std::nullopt;
  }
  if (pos != s.size()) return std::nullopt;

  return Instant(sys_days(*ymd)) + hours(*hh) + minutes(*mm) + seconds(ss) - offset;
}

std::optional<int> parse_hhmm(std::string_view s) {
  size_t pos = 0;
  auto hh = read_digits(s, pos, 2);
  if (!hh || !expect(s, pos, ':')) return std::nullopt;
  auto mm = read_digits(s, pos, 2);
  if (!mm || pos != s.size() || *hh > 23 || *mm > 59) return std::nullopt;
  return *hh * 60 + *mm;
}

std::string first_payment_month(const std::string& draw_date) {
  size_t pos = 0;
  auto ymd = read_date(draw_date, pos);
  if (!ymd || pos != draw_date.size()) return {};
  const std::chrono::year_month next = ymd->year() / ymd->month() + std::chrono::months(1);
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02u", int(next.year()), unsigned(next.month()));
  return buf;
}

}  // namespace p720
