// Unit tests of the sign-up rules: e-mail, password, name, birth dates and the age on a KST date.
#include "domain/account.h"

#include <gtest/gtest.h>

namespace p720 {
namespace {

using std::chrono::day;
using std::chrono::month;
using std::chrono::year;
using std::chrono::year_month_day;

year_month_day ymd(int y, unsigned m, unsigned d) { return year_month_day{year(y), month(m), day(d)}; }

TEST(AccountRulesTest, EmailsAreNormalisedOrRefused) {
  EXPECT_EQ(normalize_email("Kim.Chul-Su+lotto@Example.CO.KR"), "kim.chul-su+lotto@example.co.kr");
  for (const char* bad :
       {"", "plain", "a@b", "a@@b.com", "@b.com", "a@.com", "a@b..com", ".a@b.com", "a.@b.com", "a..b@c.com",
        "a b@c.com", "a@b.c", "a@-b.com", "a@b-.com", "a@b.c0m", "a@b.com\r\n", "김@b.com", "a@b_c.com", "\"a\"@b.com"})
    EXPECT_FALSE(normalize_email(bad)) << bad;
  EXPECT_TRUE(normalize_email(std::string(64, 'x') + "@example.com"));
  EXPECT_FALSE(normalize_email(std::string(65, 'x') + "@example.com"));
  EXPECT_FALSE(normalize_email("a@" + std::string(250, 'b') + ".com"));
}

TEST(AccountRulesTest, Passwords) {
  EXPECT_EQ(password_problem("12345678"), "");
  EXPECT_EQ(password_problem("비밀번호여덟글자"), "");  // 8 characters, 24 bytes
  EXPECT_NE(password_problem("1234567"), "");
  EXPECT_NE(password_problem("비밀번호"), "");  // 12 bytes but 4 characters
  EXPECT_NE(password_problem(std::string(257, 'p')), "");
  EXPECT_EQ(password_problem(std::string(256, 'p')), "");
  EXPECT_NE(password_problem(std::string("abcdefgh\0", 9)), "");
  EXPECT_NE(password_problem("abcdefgh\x7f"), "");
  EXPECT_NE(password_problem("abcdefgh\xff"), "");          // not UTF-8
  EXPECT_NE(password_problem("abcdefgh\xc0\xaf"), "");      // overlong
  EXPECT_NE(password_problem("abcdefgh\xed\xa0\x80"), "");  // a surrogate
}

TEST(AccountRulesTest, Names) {
  EXPECT_EQ(normalize_name("  홍길동 "), "홍길동");
  EXPECT_FALSE(normalize_name(""));
  EXPECT_FALSE(normalize_name("   "));
  EXPECT_FALSE(normalize_name("홍\n길동"));
  EXPECT_TRUE(normalize_name(std::string(50 * 3, 'a').substr(0, 50)));
  std::string fifty_one;
  for (int i = 0; i < 51; ++i) fifty_one += "가";
  EXPECT_FALSE(normalize_name(fifty_one));
}

TEST(AccountRulesTest, Dates) {
  EXPECT_EQ(parse_date("1990-05-17"), ymd(1990, 5, 17));
  EXPECT_EQ(parse_date("2000-02-29"), ymd(2000, 2, 29));
  for (const char* bad : {"1990-02-30", "1900-02-29", "1990-13-01", "1990-00-10", "19900517", "1990-5-17",
                          "1990-05-17T00:00", "abcd-ef-gh", "1899-12-31", ""})
    EXPECT_FALSE(parse_date(bad)) << bad;
  EXPECT_EQ(format_date(ymd(2007, 1, 2)), "2007-01-02");
}

TEST(AccountRulesTest, AgeOnTheKstCalendar) {
  EXPECT_EQ(age_on(ymd(2007, 11, 24), ymd(2026, 11, 24)), 19);
  EXPECT_EQ(age_on(ymd(2007, 11, 25), ymd(2026, 11, 24)), 18);
  EXPECT_EQ(age_on(ymd(2030, 1, 1), ymd(2026, 11, 24)), 0);
  // Born on 29 February: a year older on 1 March of a common year.
  EXPECT_EQ(age_on(ymd(2004, 2, 29), ymd(2023, 2, 28)), 18);
  EXPECT_EQ(age_on(ymd(2004, 2, 29), ymd(2023, 3, 1)), 19);
  EXPECT_EQ(age_on(ymd(2004, 2, 29), ymd(2024, 2, 29)), 20);
  // 2026-11-24T15:30Z is already the 25th in Korea.
  EXPECT_EQ(kst_date(*parse_instant("2026-11-24T15:30:00Z")), ymd(2026, 11, 25));
  EXPECT_EQ(kst_date(*parse_instant("2026-11-24T14:59:59Z")), ymd(2026, 11, 24));
}

}  // namespace
}  // namespace p720
