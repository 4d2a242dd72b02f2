// SoldIndex: sold tickets of a round as rank bitmaps over ticket indexes and digit values.
#include "domain/sold_index.h"

namespace p720 {
namespace {

bool valid_index(int index) { return index >= 0 && index < kTicketsPerRound; }
bool valid_group(int group) { return group >= 1 && group <= kGroups; }
int group_begin(int group) { return (group - 1) * kNumbersPerGroup; }

}  // namespace

SoldIndex::SoldIndex() : tickets_(kTicketsPerRound), digits_(kNumbersPerGroup) {}

bool SoldIndex::sold(int index) const { return valid_index(index) && tickets_.test(index); }

bool SoldIndex::mark_sold(int index) {
  if (!valid_index(index) || !tickets_.set(index)) return false;
  digits_.set(index % kNumbersPerGroup);
  return true;
}

void SoldIndex::unmark(int index) {
  if (!valid_index(index) || !tickets_.clear(index)) return;
  const int digits = index % kNumbersPerGroup;
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
