// Unit tests for withholding: the SPEC's amounts, truncation to whole won, brackets and the
// configuration forms.
#include "domain/tax.h"

#include <gtest/gtest.h>

namespace p720 {
namespace {

TEST(TaxTest, AnnuityInstallmentsOfTheSpec) {
  const TaxRules rules;
  EXPECT_EQ(rules.installment(7'000'000), (Withholding{7'000'000, 1'400'000, 140'000}));
  EXPECT_EQ(rules.installment(7'000'000).net(), 5'460'000);
  EXPECT_EQ(rules.installment(1'000'000).net(), 780'000);
  EXPECT_EQ(rules.installment(1'000'000).tax(), 220'000);
  EXPECT_EQ(rules.installment(0), (Withholding{0, 0, 0}));
}

TEST(TaxTest, TruncatesEachTaxToWholeWon) {
  const TaxRules rules;
  // 20% of 9 = 1.8 → 1; 2% of 9 = 0.18 → 0; the winner gets the rest.
  EXPECT_EQ(rules.installment(9), (Withholding{9, 1, 0}));
  EXPECT_EQ(rules.installment(9).net(), 8);
  // 20% of 1,234,567 = 246,913.4 → 246,913; 2% = 24,691.34 → 24,691.
  const auto w = rules.installment(1'234'567);
  EXPECT_EQ(w.income, 246'913);
  EXPECT_EQ(w.local, 24'691);
  EXPECT_EQ(w.income + w.local + w.net(), w.gross);
}

TEST(TaxTest, OneTimePrizesUpToTheFreeAmountAreTaxFree) {
  const TaxRules rules;
  for (long long g : {0LL, 1'000LL, 5'000LL, 50'000LL, 100'000LL, 1'000'000LL, 2'000'000LL})
    EXPECT_EQ(rules.one_time(g), (Withholding{g, 0, 0})) << g;
}

TEST(TaxTest, AboveTheFreeAmountTheWholePrizeIsTaxed) {
  const TaxRules rules;
  EXPECT_EQ(rules.one_time(2'000'001), (Withholding{2'000'001, 400'000, 40'000}));
  EXPECT_EQ(rules.one_time(10'000'000).net(), 7'800'000);
  EXPECT_EQ(rules.one_time(300'000'000), (Withholding{300'000'000, 60'000'000, 6'000'000}));
}

TEST(TaxTest, ThePartAbove300MillionIsTaxed33Percent) {
  const TaxRules rules;
  // 300,000,000 at 22% + 100,000,000 at 33%.
  EXPECT_EQ(rules.one_time(400'000'000), (Withholding{400'000'000, 60'000'000 + 30'000'000, 6'000'000 + 3'000'000}));
  EXPECT_EQ(rules.one_time(400'000'000).net(), 400'000'000 - 66'000'000 - 33'000'000);
  // One won above the bracket: 30% and 3% of 1 won truncate to nothing.
  EXPECT_EQ(rules.one_time(300'000'001), (Withholding{300'000'001, 60'000'000, 6'000'000}));
}

TEST(TaxTest, HugeAmountsDoNotOverflow) {
  const TaxRules rules;
  const long long max = 1'000'000'000'000'000LL;  // kMaxBalance
  const auto w = rules.one_time(max);
  EXPECT_EQ(w.income, 60'000'000 + (max - 300'000'000) / 10 * 3);
  EXPECT_EQ(w.local, 6'000'000 + (max - 300'000'000) / 100 * 3);
  EXPECT_EQ(rules.installment(max).income, max / 5);
}

TEST(TaxTest, ConfiguredRulesApply) {
  TaxRules rules;
  rules.annuity = {1500, 150};
  rules.free_up_to = 50'000;
  rules.brackets = {{0, {1000, 100}}};
  EXPECT_EQ(rules.installment(1'000'000), (Withholding{1'000'000, 150'000, 15'000}));
  EXPECT_EQ(rules.one_time(50'000), (Withholding{50'000, 0, 0}));
  EXPECT_EQ(rules.one_time(100'000), (Withholding{100'000, 10'000, 1'000}));
}

TEST(TaxTest, ParsesRates) {
  EXPECT_EQ(parse_tax_rate("20+2"), (TaxRate{2000, 200}));
  EXPECT_EQ(parse_tax_rate(" 20 + 2 "), (TaxRate{2000, 200}));
  EXPECT_EQ(parse_tax_rate("2.5+0.25"), (TaxRate{250, 25}));
  EXPECT_EQ(parse_tax_rate("0+0"), (TaxRate{0, 0}));
  EXPECT_EQ(parse_tax_rate("100+0"), (TaxRate{10000, 0}));
  std::string why;
  for (const char* bad : {"", "20", "20+", "+2", "20+2+1", "-1+2", "20.123+2", "101+0", "60+41", "2e1+2", "20,2",
                          "20.+2", "x+y", "100.01+0"}) {
    EXPECT_FALSE(parse_tax_rate(bad, &why)) << bad;
    EXPECT_FALSE(why.empty()) << bad;
  }
}

TEST(TaxTest, ParsesBrackets) {
  const auto b = parse_tax_brackets("0:20+2,300000000:30+3");
  ASSERT_TRUE(b);
  EXPECT_EQ(*b, TaxRules{}.brackets);
  EXPECT_EQ(parse_tax_brackets("0:22+0"), (std::vector<TaxBracket>{{0, {2200, 0}}}));
  for (const char* bad : {"", "1:20+2", "0:20+2,0:30+3", "0:20+2,5:30+3,4:1+1", "0:20", "0:20+2,", "a:20+2", "-0:20+2",
                          "0:20+2;5:1+1", "99999999999999999999:1+1"})
    EXPECT_FALSE(parse_tax_brackets(bad)) << bad;
}

TEST(TaxTest, FormatsWhatItParses) {
  EXPECT_EQ(format_tax_rate({2000, 200}), "20+2");
  EXPECT_EQ(format_tax_rate({250, 25}), "2.5+0.25");
  EXPECT_EQ(format_tax_rate({205, 1}), "2.05+0.01");
  EXPECT_EQ(format_tax_brackets(TaxRules{}.brackets), "0:20+2,300000000:30+3");
  for (const char* text : {"20+2", "2.5+0.25", "2.05+0.01", "0+0", "100+0"})
    EXPECT_EQ(format_tax_rate(*parse_tax_rate(text)), text);
}

}  // namespace
}  // namespace p720
