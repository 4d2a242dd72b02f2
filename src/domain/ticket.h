// Tickets of Pension Lottery 720+: a group 1..5 and six digits, and the dense index
// (0..4,999,999) that storage and the sold index use to name a ticket within a round. A variable
// or parameter holding that index is named `ticket` (`tickets` for several), as in TicketRow.
#pragma once

#include <array>
#include <compare>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace p720 {

inline constexpr int kGroups = 5;
inline constexpr int kNumbersPerGroup = 1'000'000;
inline constexpr int kTicketsPerRound = 5'000'000;
inline constexpr long long kTicketPrice = 1000;  // won

// A ticket of one round. A plain value: copy it freely; all functions are pure and
// safe to call from any thread.
//
// The index orders tickets by group, then digits, so group g occupies the contiguous
// range [(g-1)*kNumbersPerGroup, g*kNumbersPerGroup); the sold index relies on that.
struct Ticket {
  int group = 1;   // 1..5
  int digits = 0;  // 0..999999; "049309" is 49309

  // Returns nullopt when group is not 1..5 or digits is not 0..999999.
  static std::optional<Ticket> make(int group, int digits);
  // Precondition: 0 <= ticket < kTicketsPerRound (checked by assert only; callers own
  // their indexes, so a bad one is a bug, not a client error).
  static Ticket from_index(int ticket);

  int index() const { return (group - 1) * kNumbersPerGroup + digits; }
  // Always six characters with leading zeros, e.g. "049309".
  std::string number() const;
  // pos 0..5 is the first..sixth digit; the first is the most significant.
  int digit(int pos) const;

  // NOLINTNEXTLINE(modernize-use-nullptr): clang-tidy 14 flags the 0 of a defaulted <=>.
  friend auto operator<=>(const Ticket&, const Ticket&) = default;
};

// Exactly six ASCII digits → 0..999999. Anything else (signs, spaces, other lengths,
// non-ASCII digits) → nullopt: the API promises `number` is exactly six ASCII digits.
std::optional<int> parse_number(std::string_view s);

// The predecessor's first..sixth fields → digits. Each must be 0..9, else nullopt.
std::optional<int> digits_from_array(const std::array<int, 6>& d);

// The inverse of digits_from_array, for serialising first..sixth.
// Precondition: 0 <= digits <= 999999.
std::array<int, 6> digits_to_array(int digits);

// Expands a requested group into tickets: group 1..5 → that one ticket; group 0 ("all
// groups") → five tickets, groups 1..5 in order, same digits; any other group, or
// digits outside 0..999999 → empty.
std::vector<Ticket> expand_group(int group, int digits);

}  // namespace p720
