// Withholding tax: applying the configured rates, and reading them from configuration text.
#include "domain/tax.h"

#include <algorithm>
#include <charconv>

namespace p720 {
namespace {

constexpr int kFullBp = 10'000;  // 100%

// amount × bp / 10,000, truncated; 128-bit so no balance-sized amount can overflow.
long long share(long long amount, int bp) {
  return static_cast<long long>(static_cast<__int128>(amount) * bp / kFullBp);
}

void say(std::string* why, const std::string& text) {
  if (why) *why = text;
}

// "20", "2.5", "0.25" → basis points; at most two decimals, 0..100%.
std::optional<int> parse_percent(std::string_view s) {
  if (s.empty() || s.size() > 6) return std::nullopt;
  const size_t dot = s.find('.');
  const std::string_view whole = s.substr(0, dot);
  const std::string_view frac = dot == std::string_view::npos ? std::string_view() : s.substr(dot + 1);
  if (whole.empty() || whole.find_first_not_of("0123456789") != std::string_view::npos) return std::nullopt;
  if (dot != std::string_view::npos &&
      (frac.empty() || frac.size() > 2 || frac.find_first_not_of("0123456789") != std::string_view::npos))
    return std::nullopt;
  int w = 0, f = 0;
  std::from_chars(whole.data(), whole.data() + whole.size(), w);
  if (!frac.empty()) std::from_chars(frac.data(), frac.data() + frac.size(), f);
  if (frac.size() == 1) f *= 10;
  const int bp = w * 100 + f;
  if (w > 100 || bp > kFullBp) return std::nullopt;
  return bp;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

std::string percent_text(int bp) {
  std::string out = std::to_string(bp / 100);
  if (const int f = bp % 100; f != 0)
    out += (f % 10 == 0 ? "." + std::to_string(f / 10) : (f < 10 ? ".0" : ".") + std::to_string(f));
  return out;
}

}  // namespace

Withholding TaxRules::installment(long long gross) const {
  return Withholding{gross, share(gross, annuity.income_bp), share(gross, annuity.local_bp)};
}

Withholding TaxRules::one_time(long long gross) const {
  Withholding w{gross, 0, 0};
  if (gross <= free_up_to) return w;
  // Each bracket's part is taxed at its rate; the sum of the parts is truncated once per tax,
  // so splitting a prize across brackets never loses a won to rounding twice.
  __int128 income = 0, local = 0;
  for (size_t i = 0; i < brackets.size(); ++i) {
    const long long lo = brackets[i].above;
    const long long hi = i + 1 < brackets.size() ? brackets[i + 1].above : gross;
    if (gross <= lo) break;
    const long long part = (gross < hi ? gross : hi) - lo;
    income += static_cast<__int128>(part) * brackets[i].rate.income_bp;
    local += static_cast<__int128>(part) * brackets[i].rate.local_bp;
  }
  w.income = static_cast<long long>(income / kFullBp);
  w.local = static_cast<long long>(local / kFullBp);
  return w;
}

std::optional<TaxRate> parse_tax_rate(std::string_view text, std::string* why) {
  text = trim(text);
  const size_t plus = text.find('+');
  if (plus == std::string_view::npos) {
    say(why, "must be income+local in percent, e.g. 20+2");
    return std::nullopt;
  }
  auto income = parse_percent(trim(text.substr(0, plus)));
  auto local = parse_percent(trim(text.substr(plus + 1)));
  if (!income || !local) {
    say(why, "each rate must be a percent 0..100 with at most two decimals, e.g. 20+2");
    return std::nullopt;
  }
  if (*income + *local > kFullBp) {
    say(why, "income + local must not exceed 100%");
    return std::nullopt;
  }
  return TaxRate{*income, *local};
}

std::optional<std::vector<TaxBracket>> parse_tax_brackets(std::string_view text, std::string* why) {
  std::vector<TaxBracket> out;
  for (size_t start = 0; start <= text.size();) {
    const size_t comma = std::min(text.find(',', start), text.size());
    const std::string_view item = trim(text.substr(start, comma - start));
    start = comma + 1;
    const size_t colon = item.find(':');
    const std::string_view above = trim(item.substr(0, colon));
    long long a = -1;
    const auto [end, ec] = std::from_chars(above.data(), above.data() + above.size(), a);
    if (colon == std::string_view::npos || above.empty() || ec != std::errc() || end != above.data() + above.size() ||
        a < 0 || above.front() == '-') {
      say(why, "must be a list of above:income+local, e.g. 0:20+2,300000000:30+3");
      return std::nullopt;
    }
    auto rate = parse_tax_rate(item.substr(colon + 1), why);
    if (!rate) return std::nullopt;
    if (out.empty() ? a != 0 : a <= out.back().above) {
      say(why, "brackets must start at 0 and rise strictly");
      return std::nullopt;
    }
    out.push_back(TaxBracket{a, *rate});
  }
  return out;
}

std::string format_tax_rate(const TaxRate& r) { return percent_text(r.income_bp) + "+" + percent_text(r.local_bp); }

std::string format_tax_brackets(const std::vector<TaxBracket>& b) {
  std::string out;
  for (const auto& x : b) out += (out.empty() ? "" : ",") + std::to_string(x.above) + ":" + format_tax_rate(x.rate);
  return out;
}

}  // namespace p720
