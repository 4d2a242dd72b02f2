// The rounds calendar: when each round is drawn and on sale, in Korea Standard Time
// (UTC+9, no daylight saving), plus the instant parsing/formatting the API uses.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace p720 {

using Instant = std::chrono::sys_seconds;

// The three times of SPEC §1 are configuration; these are their defaults.
struct CalendarConfig {
  // Round 1's draw. Only its KST date anchors the calendar: every draw happens at
  // draw_minute, so a config that moves the draw time need not also move this.
  // Default 2020-05-07T19:05:00+09:00 (10:05Z), so CalendarConfig{} equals defaults().
  Instant first_draw = Instant(std::chrono::sys_days(std::chrono::year(2020) / 5 / 7)) + std::chrono::hours(10) +
                       std::chrono::minutes(5);
  int draw_minute = 19 * 60 + 5;     // minutes after KST midnight on the draw day
  int sales_close_minute = 17 * 60;  // on the round's own draw day
  int sales_open_minute = 21 * 60;   // on the draw day of the previous round

  // The SPEC defaults; the same as a value-initialised CalendarConfig.
  static CalendarConfig defaults();
};

// Maps rounds to instants and back. Round n is drawn 7·(n−1) days after round 1 and is
// on sale from sales_open_minute on round n−1's draw day until sales_close_minute on its
// own. Everything is computed from the fixed +09:00 offset: the machine's TZ is never
// read, so answers are the same everywhere.
//
// Immutable after construction; safe to share between threads.
// Minutes in the config must be 0..1439 and sales must close before they reopen
// (close <= open); anything else is a configuration bug the caller rejects first.
class RoundCalendar {
 public:
  explicit RoundCalendar(CalendarConfig config = CalendarConfig::defaults());

  Instant draw_at(int round) const;
  // sales_open_minute KST on the draw day of round − 1.
  Instant sales_open_at(int round) const;
  // sales_close_minute KST on the round's draw day.
  Instant sales_close_at(int round) const;

  // The round on sale at `now`. Between the close of round n and the opening of n+1
  // (17:00–21:00 on a draw day by default) it is n, the round being drawn. Before round 1
  // opens it is 1, so the result is always >= 1.
  int current_round(Instant now) const;
  // sales_open_at(round) <= now < sales_close_at(round).
  bool on_sale(int round, Instant now) const;

  // The KST draw date of the round, "YYYY-MM-DD".
  std::string draw_date(int round) const;
  // The round drawn on the KST date "YYYY-MM-DD": nullopt when no round is drawn that day
  // (not a draw day, or before round 1). Throws nothing; a malformed date is also nullopt —
  // callers that must tell the two apart check the form with parse_date first.
  std::optional<int> round_drawn_on(std::string_view date) const;

  const CalendarConfig& config() const { return config_; }

 private:
  // The KST calendar date of the round's draw, as a day count (a "local" date).
  std::chrono::sys_days draw_day(int round) const;

  CalendarConfig config_;
  std::chrono::sys_days first_day_;  // KST date of round 1's draw
};

// `t` in KST with an explicit offset: "2026-11-26T19:05:00+09:00".
std::string format_kst(Instant t);

// An ISO-8601 / RFC 3339 instant: "YYYY-MM-DDTHH:MM[:SS[.fraction]]" followed by "Z" or
// an offset "+HH:MM" / "-HH:MM" (also "+HHMM"). Fractional seconds are truncated. A 't'
// or 'z' in lower case is accepted as RFC 3339 allows. nullopt on anything else: a
// missing offset (a local time names no instant), impossible dates such as 2026-02-30,
// out-of-range fields, trailing characters.
std::optional<Instant> parse_instant(std::string_view s);

// A calendar date "YYYY-MM-DD" that exists (2026-02-30 does not), year 1900 or later; nullopt
// otherwise (other forms, trailing characters).
std::optional<std::chrono::year_month_day> parse_date(std::string_view s);

// The KST calendar date of an instant.
std::chrono::year_month_day kst_date(Instant t);

// "YYYY-MM-DD".
std::string format_date(std::chrono::year_month_day d);

// "HH:MM" (two digits each, 00:00..23:59) → minutes after midnight, for configuration.
std::optional<int> parse_hhmm(std::string_view s);

// The calendar month after a "YYYY-MM-DD" date, "YYYY-MM": annuities start paying then.
// Returns "" when draw_date is not a valid date.
std::string first_payment_month(const std::string& draw_date);

}  // namespace p720
