// Ticket value type: range checks, index mapping and the six-digit text form.
#include "domain/ticket.h"

#include <cassert>

namespace p720 {
namespace {

constexpr std::array<int, 6> kPowersOfTen = {100000, 10000, 1000, 100, 10, 1};

bool valid_group(int group) { return group >= 1 && group <= kGroups; }
bool valid_digits(int digits) { return digits >= 0 && digits < kNumbersPerGroup; }

}  // namespace

std::optional<Ticket> Ticket::make(int group, int digits) {
  if (!valid_group(group) || !valid_digits(digits)) return std::nullopt;
  return Ticket{group, digits};
}

Ticket Ticket::from_index(int ticket) {
  assert(ticket >= 0 && ticket < kTicketsPerRound);
  return Ticket{ticket / kNumbersPerGroup + 1, ticket % kNumbersPerGroup};
}

std::string Ticket::number() const {
  std::string out(6, '0');
  for (int pos = 0; pos < 6; ++pos) out[pos] = static_cast<char>('0' + digit(pos));
  return out;
}

int Ticket::digit(int pos) const {
  assert(pos >= 0 && pos < 6);
  return digits / kPowersOfTen[pos] % 10;
}

std::optional<int> parse_number(std::string_view s) {
  if (s.size() != 6) return std::nullopt;
  int value = 0;
  for (char c : s) {
    // Compare as bytes: std::isdigit depends on the C locale, and UTF-8 bytes of
    // non-ASCII digits must be rejected here.
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  return value;
}

std::optional<int> digits_from_array(const std::array<int, 6>& d) {
  int value = 0;
  for (int x : d) {
    if (x < 0 || x > 9) return std::nullopt;
    value = value * 10 + x;
  }
  return value;
}

std::array<int, 6> digits_to_array(int digits) {
  assert(valid_digits(digits));
  std::array<int, 6> out{};
  for (int pos = 0; pos < 6; ++pos) out[pos] = digits / kPowersOfTen[pos] % 10;
  return out;
}

std::vector<Ticket> expand_group(int group, int digits) {
  if (!valid_digits(digits)) return {};
  if (valid_group(group)) return {Ticket{group, digits}};
  if (group != 0) return {};
  std::vector<Ticket> out;
  out.reserve(kGroups);
  for (int g = 1; g <= kGroups; ++g) out.push_back(Ticket{g, digits});
  return out;
}

}  // namespace p720
