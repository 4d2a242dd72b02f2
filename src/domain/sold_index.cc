// SoldIndex: sold tickets of a round as rank bitmaps over ticket indexes and digit values.
#include "domain/sold_index.h"

namespace p720 {
namespace {

bool valid_ticket(int ticket) { return ticket >= 0 && ticket < kTicketsPerRound; }
bool valid_group(int group) { return group >= 1 && group <= kGroups; }
int group_begin(int group) { return (group - 1) * kNumbersPerGroup; }

}  // namespace

SoldIndex::SoldIndex() : tickets_(kTicketsPerRound), digits_(kNumbersPerGroup) {}

bool SoldIndex::sold(int ticket) const { return valid_ticket(ticket) && tickets_.test(ticket); }

bool SoldIndex::mark_sold(int ticket) {
  if (!valid_ticket(ticket) || !tickets_.set(ticket)) return false;
  digits_.set(ticket % kNumbersPerGroup);
  return true;
}

void SoldIndex::unmark(int ticket) {
  if (!valid_ticket(ticket) || !tickets_.clear(ticket)) return;
  const int digits = ticket % kNumbersPerGroup;
  for (int g = 1; g <= kGroups; ++g) {
    if (tickets_.test(group_begin(g) + digits)) return;  // still sold elsewhere
  }
  digits_.clear(digits);
}

int SoldIndex::unsold_in_group(int group) const {
  if (!valid_group(group)) return 0;
  return tickets_.zeros_before(group_begin(group) + kNumbersPerGroup) - tickets_.zeros_before(group_begin(group));
}

int SoldIndex::unsold_all_groups_digits() const { return digits_.zeros(); }

long long SoldIndex::sold_count() const { return kTicketsPerRound - tickets_.zeros(); }

std::optional<int> SoldIndex::pick_unsold(int group, uint64_t r) const {
  const int n = unsold_in_group(group);
  if (n == 0) return std::nullopt;
  return nth_unsold(group, static_cast<int>(r % static_cast<uint64_t>(n)));
}

std::optional<int> SoldIndex::pick_unsold_digits_all_groups(uint64_t r) const {
  const int n = unsold_all_groups_digits();
  if (n == 0) return std::nullopt;
  return nth_unsold_digits_all_groups(static_cast<int>(r % static_cast<uint64_t>(n)));
}

std::optional<int> SoldIndex::nth_unsold(int group, int k) const {
  if (!valid_group(group) || k < 0) return std::nullopt;
  const int before = tickets_.zeros_before(group_begin(group));
  const int in_group = tickets_.zeros_before(group_begin(group) + kNumbersPerGroup) - before;
  if (k >= in_group) return std::nullopt;
  return tickets_.select_zero(before + k);
}

std::optional<int> SoldIndex::nth_unsold_digits_all_groups(int k) const {
  if (k < 0 || k >= digits_.zeros()) return std::nullopt;
  return digits_.select_zero(k);
}

size_t SoldIndex::memory_bytes() const { return sizeof(*this) + tickets_.heap_bytes() + digits_.heap_bytes(); }

}  // namespace p720
