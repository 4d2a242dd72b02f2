// utf8_code_points: well-formed UTF-8 counted, everything malformed refused.
#include "domain/text.h"

#include <gtest/gtest.h>

#include <string>

namespace p720 {
namespace {

TEST(Utf8Test, WellFormedTextIsCountedInCodePoints) {
  EXPECT_EQ(utf8_code_points(""), 0u);
  EXPECT_EQ(utf8_code_points("abc"), 3u);
  EXPECT_EQ(utf8_code_points("연금복권720+"), 8u);
  EXPECT_EQ(utf8_code_points("\xF0\x9F\x8E\xB0"), 1u);  // U+1F3B0, four bytes
  EXPECT_EQ(utf8_code_points("\xF4\x8F\xBF\xBF"), 1u);  // U+10FFFF, the last
  EXPECT_EQ(utf8_code_points("a\tb"), 3u);
}

TEST(Utf8Test, MalformedTextIsRefused) {
  for (const std::string bad : {"\xff", "\xfe\xff", "\x80", "\xC3", "\xE2\x82", "\xC0\xAF", "\xE0\x80\xAF",
                                "\xED\xA0\x80", "\xF4\x90\x80\x80", "\xF8\x88\x80\x80\x80", "ok\xC3(", "\xE2\x28\xA1"})
    EXPECT_FALSE(utf8_code_points(bad)) << testing::PrintToString(bad);
}

TEST(Utf8Test, ControlsAreRefusedOnlyWhenAsked) {
  for (const std::string& s :
       {std::string("a\tb"), std::string("\x7f"), std::string("\xC2\x85"), std::string(1, '\0')}) {
    EXPECT_TRUE(utf8_code_points(s, true)) << testing::PrintToString(s);
    EXPECT_FALSE(utf8_code_points(s, false)) << testing::PrintToString(s);
  }
}

}  // namespace
}  // namespace p720
