// Unit tests for the KST rounds calendar and the instant text forms.
#include "domain/calendar.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <ctime>

namespace p720 {
namespace {

Instant at(std::string_view iso) {
  auto t = parse_instant(iso);
  EXPECT_TRUE(t) << iso;
  return t.value_or(Instant{});
}

TEST(CalendarTest, DefaultsMatchSpec) {
  const CalendarConfig c = CalendarConfig::defaults();
  EXPECT_EQ(format_kst(c.first_draw), "2020-05-07T19:05:00+09:00");
  EXPECT_EQ(c.first_draw, at("2020-05-07T10:05:00Z"));
  EXPECT_EQ(c.draw_minute, 19 * 60 + 5);
  EXPECT_EQ(c.sales_close_minute, 17 * 60);
  EXPECT_EQ(c.sales_open_minute, 21 * 60);
  EXPECT_EQ(CalendarConfig{}.first_draw, c.first_draw);
}

TEST(CalendarTest, KnownDrawDates) {
  const RoundCalendar cal;
  EXPECT_EQ(cal.draw_date(1), "2020-05-07");
  EXPECT_EQ(cal.draw_date(2), "2020-05-14");
  EXPECT_EQ(cal.draw_date(291), "2025-11-27");
  EXPECT_EQ(cal.draw_date(343), "2026-11-26");
  EXPECT_EQ(format_kst(cal.draw_at(1)), "2020-05-07T19:05:00+09:00");
  EXPECT_EQ(format_kst(cal.draw_at(343)), "2026-11-26T19:05:00+09:00");
  EXPECT_EQ(cal.draw_at(343), at("2026-11-26T10:05:00Z"));
}

TEST(CalendarTest, SalesWindow) {
  const RoundCalendar cal;
  EXPECT_EQ(format_kst(cal.sales_open_at(343)), "2026-11-19T21:00:00+09:00");
  EXPECT_EQ(format_kst(cal.sales_close_at(343)), "2026-11-26T17:00:00+09:00");
  EXPECT_EQ(format_kst(cal.sales_open_at(1)), "2020-04-30T21:00:00+09:00");
  for (int round : {1, 2, 291, 343, 1000}) {
    EXPECT_EQ(cal.sales_open_at(round + 1) - cal.sales_close_at(round), std::chrono::hours(4));
    EXPECT_LT(cal.sales_close_at(round), cal.draw_at(round));
    EXPECT_LT(cal.draw_at(round), cal.sales_open_at(round + 1));
  }
}

TEST(CalendarTest, DrawDayBoundaries) {
  const RoundCalendar cal;
  // Thursday 2026-11-26 is round 343's draw day.
  const struct {
    const char* kst;
    int current;
    bool on_sale_343;
    bool on_sale_344;
  } cases[] = {
      // One case a line:
      // clang-format off
      {"2026-11-26T00:00:00+09:00", 343, true, false},
      {"2026-11-26T16:59:59+09:00", 343, true, false},
      {"2026-11-26T17:00:00+09:00", 343, false, false},
      {"2026-11-26T19:05:00+09:00", 343, false, false},
      {"2026-11-26T20:59:59+09:00", 343, false, false},
      {"2026-11-26T21:00:00+09:00", 344, false, true},
      {"2026-11-26T23:59:59+09:00", 344, false, true},
      {"2026-11-27T00:00:00+09:00", 344, false, true},
      {"2026-11-19T20:59:59+09:00", 342, false, false},
      {"2026-11-19T21:00:00+09:00", 343, true, false},
      {"2026-12-03T16:59:59+09:00", 344, false, true},
      {"2026-12-03T17:00:00+09:00", 344, false, false},
      // clang-format on
  };
  for (const auto& c : cases) {
    const Instant now = at(c.kst);
    EXPECT_EQ(cal.current_round(now), c.current) << c.kst;
    EXPECT_EQ(cal.on_sale(343, now), c.on_sale_343) << c.kst;
    EXPECT_EQ(cal.on_sale(344, now), c.on_sale_344) << c.kst;
  }
}

TEST(CalendarTest, CurrentRoundBeforeRoundOne) {
  const RoundCalendar cal;
  EXPECT_EQ(cal.current_round(at("1999-01-01T00:00:00Z")), 1);
  EXPECT_EQ(cal.current_round(at("2020-04-30T20:59:59+09:00")), 1);
  EXPECT_FALSE(cal.on_sale(1, at("2020-04-30T20:59:59+09:00")));
  EXPECT_TRUE(cal.on_sale(1, at("2020-04-30T21:00:00+09:00")));
  EXPECT_EQ(cal.current_round(at("2020-05-07T20:59:59+09:00")), 1);
  EXPECT_EQ(cal.current_round(at("2020-05-07T21:00:00+09:00")), 2);
}

TEST(CalendarTest, CurrentRoundIsConsistentWithWindowsEveryHour) {
  const RoundCalendar cal;
  const Instant start = cal.sales_open_at(2);
  for (Instant t = start; t < start + std::chrono::days(7 * 60); t += std::chrono::minutes(30)) {
    const int n = cal.current_round(t);
    ASSERT_LE(cal.sales_open_at(n), t);
    ASSERT_LT(t, cal.sales_open_at(n + 1));
    ASSERT_EQ(cal.on_sale(n, t), t < cal.sales_close_at(n));
  }
}

TEST(CalendarTest, MachineTimeZoneDoesNotMatter) {
  const RoundCalendar cal;
  const Instant probe = at("2026-11-26T20:59:59+09:00");
  const auto snapshot = [&] {
    return std::make_tuple(cal.draw_date(343), format_kst(cal.draw_at(291)), cal.current_round(probe),
                           cal.on_sale(343, probe), format_kst(probe), parse_instant("2026-11-26T10:00:00"),
                           parse_instant("2026-11-26T10:00:00Z"));
  };
  const auto before = snapshot();
  const char* old_tz = std::getenv("TZ");
  const std::string saved = old_tz ? old_tz : "";
  for (const char* tz : {"America/New_York", "Pacific/Chatham", "UTC", "Asia/Seoul"}) {
    setenv("TZ", tz, 1);
    tzset();
    EXPECT_EQ(snapshot(), before) << tz;
  }
  if (old_tz) setenv("TZ", saved.c_str(), 1);
  else unsetenv("TZ");
  tzset();
  EXPECT_EQ(std::get<4>(before), "2026-11-26T20:59:59+09:00");
}

TEST(CalendarTest, ConfiguredTimes) {
  CalendarConfig c = CalendarConfig::defaults();
  c.draw_minute = 20 * 60;
  c.sales_close_minute = 18 * 60;
  c.sales_open_minute = 22 * 60;
  const RoundCalendar cal(c);
  EXPECT_EQ(format_kst(cal.draw_at(343)), "2026-11-26T20:00:00+09:00");
  EXPECT_EQ(format_kst(cal.sales_close_at(343)), "2026-11-26T18:00:00+09:00");
  EXPECT_EQ(format_kst(cal.sales_open_at(344)), "2026-11-26T22:00:00+09:00");
  EXPECT_EQ(cal.current_round(at("2026-11-26T21:59:59+09:00")), 343);
  EXPECT_EQ(cal.current_round(at("2026-11-26T22:00:00+09:00")), 344);
  EXPECT_EQ(cal.config().draw_minute, 20 * 60);
}

TEST(CalendarTest, FormatKstCrossesDates) {
  EXPECT_EQ(format_kst(at("2026-12-31T15:00:00Z")), "2027-01-01T00:00:00+09:00");
  EXPECT_EQ(format_kst(at("2026-12-31T14:59:59Z")), "2026-12-31T23:59:59+09:00");
  EXPECT_EQ(format_kst(at("2024-02-28T15:30:00Z")), "2024-02-29T00:30:00+09:00");
  EXPECT_EQ(format_kst(Instant{}), "1970-01-01T09:00:00+09:00");
}

TEST(ParseInstantTest, Valid) {
  const Instant t = at("2026-11-26T10:00:00Z");
  EXPECT_EQ(t.time_since_epoch().count(), 1795687200);
  EXPECT_EQ(parse_instant("2026-11-26T19:00:00+09:00"), t);
  EXPECT_EQ(parse_instant("2026-11-26T19:00:00+0900"), t);
  EXPECT_EQ(parse_instant("2026-11-26T04:30:00-05:30"), t);
  EXPECT_EQ(parse_instant("2026-11-26T10:00:00.999Z"), t);
  EXPECT_EQ(parse_instant("2026-11-26T10:00:00.123456789+00:00"), t);
  EXPECT_EQ(parse_instant("2026-11-26T10:00Z"), t);
  EXPECT_EQ(parse_instant("2026-11-26t10:00:00z"), t);
  EXPECT_EQ(parse_instant("2026-11-26T10:00:00-00:00"), t);
  EXPECT_EQ(parse_instant("2026-11-27T00:00:00+14:00"), t);
  EXPECT_EQ(at("2024-02-29T00:00:00Z").time_since_epoch().count(), 1709164800);
  EXPECT_TRUE(parse_instant("2000-02-29T23:59:59Z"));
  EXPECT_EQ(parse_instant("1970-01-01T00:00:00Z"), Instant{});
}

TEST(ParseInstantTest, Invalid) {
  // clang-format off
  for (const char* s : {
           "", "garbage", "2026-11-26", "2026-11-26T10:00:00", "2026-11-26 10:00:00Z",
           "2026-13-01T00:00:00Z", "2026-00-01T00:00:00Z", "2026-02-29T00:00:00Z",
           "2026-02-30T00:00:00Z", "2026-04-31T00:00:00Z", "2026-11-00T00:00:00Z",
           "2026-11-26T24:00:00Z", "2026-11-26T10:60:00Z", "2026-11-26T10:00:60Z",
           "2026-11-26T10:00:00.Z", "2026-11-26T10:00:00+9:00", "2026-11-26T10:00:00+09",
           "2026-11-26T10:00:00+24:00", "2026-11-26T10:00:00+09:60", "2026-11-26T10:00:00ZZ",
           "2026-11-26T10:00:00Z ", " 2026-11-26T10:00:00Z", "26-11-26T10:00:00Z",
           "2026-1-26T10:00:00Z", "2026-11-26T1:00:00Z", "2026-11-26T10:0:00Z",
           "2026/11/26T10:00:00Z", "2026-11-26T10:00:00UTC", "2026-11-26T10Z",
           "+2026-11-26T10:00:00Z", "2026-11-26T10:00:00+09:00:00", "2026-11-26T10:00:00Q",
       }) {
    // clang-format on
    EXPECT_FALSE(parse_instant(s)) << s;
  }
}

TEST(ParseInstantTest, FormatRoundTrips) {
  const RoundCalendar cal;
  for (int round = 1; round < 2000; round += 37) {
    const Instant t = cal.draw_at(round);
    EXPECT_EQ(parse_instant(format_kst(t)), t);
  }
}

TEST(ParseHhmmTest, ValidAndInvalid) {
  EXPECT_EQ(parse_hhmm("17:00"), 1020);
  EXPECT_EQ(parse_hhmm("00:00"), 0);
  EXPECT_EQ(parse_hhmm("23:59"), 23 * 60 + 59);
  EXPECT_EQ(parse_hhmm("19:05"), 19 * 60 + 5);
  for (const char* s :
       {"", "24:00", "12:60", "7:00", "17:0", "1700", "17:00:00", " 17:00", "17:00 ", "ab:cd", "-1:00", "17-00"}) {
    EXPECT_FALSE(parse_hhmm(s)) << s;
  }
}

TEST(FirstPaymentMonthTest, NextCalendarMonth) {
  EXPECT_EQ(first_payment_month("2026-11-26"), "2026-12");
  EXPECT_EQ(first_payment_month("2026-12-31"), "2027-01");
  EXPECT_EQ(first_payment_month("2024-01-31"), "2024-02");
  EXPECT_EQ(first_payment_month("2025-11-27"), "2025-12");
  EXPECT_EQ(first_payment_month(""), "");
  EXPECT_EQ(first_payment_month("2026-13-01"), "");
  EXPECT_EQ(first_payment_month("2026-02-30"), "");
  EXPECT_EQ(first_payment_month("2026-11-26T00:00"), "");
}

TEST(RoundDrawnOnTest, EveryDrawDateMapsBackToItsRound) {
  const RoundCalendar cal;
  for (int round = 1; round <= 3000; ++round) {
    ASSERT_EQ(cal.round_drawn_on(cal.draw_date(round)), round) << round;
  }
  EXPECT_EQ(cal.round_drawn_on("2026-11-26"), 343);
  EXPECT_EQ(cal.round_drawn_on("2020-05-07"), 1);
}

TEST(RoundDrawnOnTest, OtherDaysAndBadDatesHaveNoRound) {
  const RoundCalendar cal;
  for (const char* s : {"2026-11-25", "2026-11-27", "2020-04-30", "2020-05-06", "1999-01-01", "2026-02-30",
                        "2026-11-26T19:05", "26-11-26", "", "2026-1-26", "２０２６-11-26"})
    EXPECT_FALSE(cal.round_drawn_on(s)) << s;
}

TEST(KstDateTest, DateOfAnInstantInKst) {
  EXPECT_EQ(format_date(kst_date(*parse_instant("2026-11-24T14:59:59Z"))), "2026-11-24");
  EXPECT_EQ(format_date(kst_date(*parse_instant("2026-11-24T15:00:00Z"))), "2026-11-25");
  EXPECT_EQ(format_date(kst_date(*parse_instant("2026-12-31T23:30:00+09:00"))), "2026-12-31");
  EXPECT_TRUE(parse_date("2024-02-29"));
  EXPECT_FALSE(parse_date("2025-02-29"));
  EXPECT_FALSE(parse_date("2025-02-28 "));
}

}  // namespace
}  // namespace p720
