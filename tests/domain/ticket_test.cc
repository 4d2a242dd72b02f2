// Unit tests for the ticket value type: ranges, index mapping, six-digit text form.
#include "domain/ticket.h"

#include <gtest/gtest.h>

#include "domain/rules.h"

namespace p720 {
namespace {

TEST(TicketTest, IndexRoundTripsForEveryTicket) {
  for (int index = 0; index < kTicketsPerRound; ++index) {
    const Ticket t = Ticket::from_index(index);
    ASSERT_GE(t.group, 1);
    ASSERT_LE(t.group, kGroups);
    ASSERT_GE(t.digits, 0);
    ASSERT_LT(t.digits, kNumbersPerGroup);
    ASSERT_EQ(t.index(), index);
  }
}

TEST(TicketTest, IndexOrdersByGroupThenDigits) {
  EXPECT_EQ((Ticket{1, 0}).index(), 0);
  EXPECT_EQ((Ticket{1, 999999}).index(), 999999);
  EXPECT_EQ((Ticket{2, 0}).index(), 1000000);
  EXPECT_EQ((Ticket{5, 999999}).index(), kTicketsPerRound - 1);
  EXPECT_EQ(Ticket::from_index(2049309), (Ticket{3, 49309}));
  EXPECT_LT((Ticket{1, 999999}), (Ticket{2, 0}));
  EXPECT_LT((Ticket{2, 5}), (Ticket{2, 6}));
}

TEST(TicketTest, MakeChecksRanges) {
  EXPECT_EQ(Ticket::make(1, 0), (Ticket{1, 0}));
  EXPECT_EQ(Ticket::make(5, 999999), (Ticket{5, 999999}));
  EXPECT_FALSE(Ticket::make(0, 1));
  EXPECT_FALSE(Ticket::make(6, 1));
  EXPECT_FALSE(Ticket::make(-1, 1));
  EXPECT_FALSE(Ticket::make(1, -1));
  EXPECT_FALSE(Ticket::make(1, 1000000));
}

TEST(TicketTest, NumberIsAlwaysSixDigits) {
  EXPECT_EQ((Ticket{1, 49309}).number(), "049309");
  EXPECT_EQ((Ticket{1, 0}).number(), "000000");
  EXPECT_EQ((Ticket{1, 7}).number(), "000007");
  EXPECT_EQ((Ticket{5, 999999}).number(), "999999");
  EXPECT_EQ((Ticket{2, 100000}).number(), "100000");
}

TEST(TicketTest, DigitPositionsAreMostSignificantFirst) {
  const Ticket t{1, 49309};
  const int expected[6] = {0, 4, 9, 3, 0, 9};
  for (int pos = 0; pos < 6; ++pos) EXPECT_EQ(t.digit(pos), expected[pos]) << pos;
}

TEST(TicketTest, NumberParseRoundTripsForEveryDigitValue) {
  for (int d = 0; d < kNumbersPerGroup; ++d) {
    const Ticket t{1, d};
    ASSERT_EQ(parse_number(t.number()), d);
    std::array<int, 6> arr{};
    for (int pos = 0; pos < 6; ++pos) arr[pos] = t.digit(pos);
    ASSERT_EQ(digits_from_array(arr), d);
    ASSERT_EQ(digits_to_array(d), arr);
  }
}

TEST(TicketTest, ParseNumberAcceptsExactlySixAsciiDigits) {
  EXPECT_EQ(parse_number("049309"), 49309);
  EXPECT_EQ(parse_number("000000"), 0);
  EXPECT_EQ(parse_number("999999"), 999999);
  EXPECT_FALSE(parse_number(""));
  EXPECT_FALSE(parse_number("12345"));
  EXPECT_FALSE(parse_number(" 12345"));
  EXPECT_FALSE(parse_number("12345 "));
  EXPECT_FALSE(parse_number("1234567"));
  EXPECT_FALSE(parse_number("12a456"));
  EXPECT_FALSE(parse_number("-12345"));
  EXPECT_FALSE(parse_number("+12345"));
  EXPECT_FALSE(parse_number("12.345"));
  EXPECT_FALSE(parse_number("0x1234"));
  EXPECT_FALSE(parse_number(std::string_view("12\000456", 6)));  // "12", a NUL, "456"
  EXPECT_FALSE(parse_number("\xef\xbc\x91\xef\xbc\x92"));        // fullwidth "１２", six bytes
  EXPECT_FALSE(parse_number("\xd9\xa1\xd9\xa2\xd9\xa3"));        // Arabic-Indic "١٢٣", six bytes
  EXPECT_FALSE(parse_number("１２３４５６"));                    // fullwidth, 18 bytes
}

TEST(TicketTest, DigitsFromArrayRejectsNonDigits) {
  EXPECT_EQ(digits_from_array({0, 4, 9, 3, 0, 9}), 49309);
  EXPECT_FALSE(digits_from_array({0, 4, 9, 3, 0, 10}));
  EXPECT_FALSE(digits_from_array({-1, 4, 9, 3, 0, 9}));
  EXPECT_FALSE(digits_from_array({0, 4, 9, 33, 0, 9}));
}

TEST(TicketTest, ExpandGroup) {
  EXPECT_EQ(expand_group(3, 49309), (std::vector<Ticket>{{3, 49309}}));
  const auto all = expand_group(0, 49309);
  ASSERT_EQ(all.size(), 5u);
  for (int g = 1; g <= 5; ++g) EXPECT_EQ(all[g - 1], (Ticket{g, 49309}));
  EXPECT_TRUE(expand_group(6, 1).empty());
  EXPECT_TRUE(expand_group(-1, 1).empty());
  EXPECT_TRUE(expand_group(1, 1000000).empty());
  EXPECT_TRUE(expand_group(0, -1).empty());
}

TEST(RulesTest, Limits) {
  EXPECT_EQ(kMaxTicketsPerRequest, 20);
  EXPECT_EQ(kMaxCartItems, 20);
  EXPECT_EQ(kDefaultRoundLimit, 100);
  EXPECT_EQ(kTicketPrice, 1000);
}

}  // namespace
}  // namespace p720
